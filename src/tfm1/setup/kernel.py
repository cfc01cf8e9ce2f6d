"""The environment as a Jupyter kernel: registered by setup, removed by remove, and only ever the one tfm1 wrote.

A kernelspec is tfm1's when the environment's receipt records its kernel.json with the sha256 of what is there
now; anything else of the same name (`jupyter kernelspec install`, a hand edit, another environment's) is left
alone unless `--force` says otherwise. A kernel that cannot be written does not undo a finished install: the
environment is kept and a warning says how to register the kernel later.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from tfm1.compat_data import TENSORFLOW_NAMES
from tfm1.errors import Tfm1Error
from tfm1.host.base import Host
from tfm1.jupyter.kernelspecs import KERNEL_FILE
from tfm1.jupyter.launch import KernelLaunch
from tfm1.jupyter.registration import kernel_file, kernel_name, remove_kernelspec, spec_document, write_kernelspec
from tfm1.receipt import Receipt, write_receipt
from tfm1.setup.events import Events

KernelRecord = dict[str, str]  # {"path": kernel.json, "sha256": of the bytes tfm1 wrote}


@dataclass(frozen=True)
class KernelPlan:
    spec: Path  # <Jupyter data dir>/kernels/tfm1-<name>/kernel.json
    previous: KernelRecord | None  # the record of the kernelspec this environment had, while it is still tfm1's
    register: bool  # False with --no-kernel

    @property
    def name(self) -> str:
        return self.spec.parent.name


def display_name(packages: dict[str, str], profile: str) -> str:
    for distribution in TENSORFLOW_NAMES:
        if distribution in packages:
            return f"TensorFlow {packages[distribution]} (tfm1 {profile})"
    return f"Python {packages.get('python', '3')} (tfm1 {profile})"


def _warn(events: Events, message: str, fix: str, **fields: str) -> None:
    # The fix is part of the line people read; JSON readers also get it on its own.
    events.step("kernel", "warning", f"{message} (fix: {fix})", fix=fix, **fields)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def owned(record: KernelRecord | None) -> bool:
    """Whether `record` (from an untrusted receipt) names a tfm1 kernel.json that is unchanged since it was written."""
    if record is None:
        return False
    spec = Path(record["path"])
    # Only the shape tfm1 writes: a receipt naming any other file must not make tfm1 delete or replace it.
    shaped = spec.is_absolute() and spec.name == KERNEL_FILE and spec.parent.name.startswith("tfm1-")
    return shaped and spec.parent.parent.name == "kernels" and _sha256(spec) == record["sha256"]


def _marked_for(spec: Path, prefix: Path) -> bool:
    """A kernelspec tfm1 wrote for this very prefix whose record is gone with the environment (deleted by hand).

    Only kernel.json in its folder, the tfm1 marker naming `prefix` and argv[0] its interpreter: replacing it
    changes nothing anyone relies on, since it can only ever start this environment.
    """
    try:
        document = json.loads(spec.read_text(encoding="utf-8"))
        entries = [p.name for p in spec.parent.iterdir()]
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(document, dict) or entries != [KERNEL_FILE]:
        return False
    marker = document.get("metadata", {}).get("tfm1", {}) if isinstance(document.get("metadata"), dict) else {}
    argv = document.get("argv")
    python = str(prefix / "bin" / "python")
    return (
        isinstance(marker, dict)
        and marker.get("prefix") == str(prefix)
        and isinstance(argv, list)
        and argv[:1] == [python]
    )


def plan_kernel(host: Host, prefix: Path, receipt: Receipt | None, force: bool, register: bool = True) -> KernelPlan:
    """Where the kernelspec goes; refuses (before anything is installed) a same-named one that is not tfm1's.

    `receipt` is the one the prefix has now, if any: the kernelspec it records may be this environment's."""
    previous = receipt.kernel if receipt else None
    mine = previous if owned(previous) else None
    spec = kernel_file(host, prefix)
    folder = spec.parent
    occupied = folder.is_symlink() or (folder.is_dir() and any(folder.iterdir())) or folder.is_file()
    ours = (mine is not None and Path(mine["path"]) == spec) or (previous is None and _marked_for(spec, prefix))
    if register and occupied and not ours and not force:
        raise Tfm1Error(
            f"a Jupyter kernel named {folder.name} already exists ({folder}) and tfm1 did not write it for {prefix}",
            "pass --no-kernel to leave it and register none, --force to replace it, or remove it first "
            f"(jupyter kernelspec remove {folder.name})",
        )
    return KernelPlan(spec, mine, register)


def register_kernel(
    plan: KernelPlan, prefix: Path, packages: dict[str, str], profile: str, events: Events
) -> KernelRecord | None:
    """Write the kernelspec; the record for the receipt, None (and a warning) when it cannot be written."""
    data = spec_document(prefix / "bin" / "python", display_name(packages, profile), prefix)
    try:
        sha256 = write_kernelspec(plan.spec, data)
    except OSError as error:
        folder = plan.spec.parent.parent
        _warn(
            events,
            f"the environment is ready, but its Jupyter kernel could not be written in {folder}: "
            f"{error.strerror or error}",
            fix=f"make {shlex.quote(str(folder))} writable (or set JUPYTER_DATA_DIR to a folder that is) and re-run "
            "this tfm1 setup command: it then registers only the kernel",
            path=str(plan.spec),
        )
        return None
    events.step(
        "kernel",
        "ok",
        f"Jupyter kernel {plan.name} registered: {plan.spec}",
        name=plan.name,
        path=str(plan.spec),
        python=str(prefix / "bin" / "python"),
    )
    return {"path": str(plan.spec), "sha256": sha256}


def unregister_kernel(record: KernelRecord | None, events: Events) -> None:
    """Delete the kernelspec the receipt records, if it is still the file tfm1 wrote; warn otherwise."""
    if record is None:
        return
    spec = Path(record["path"])
    if not spec.exists():
        return
    name = spec.parent.name
    if not owned(record):
        _warn(
            events,
            f"left the Jupyter kernel {spec.parent} alone: it changed since tfm1 wrote it",
            fix=f"remove it yourself if nothing needs it: jupyter kernelspec remove {name}",
        )
        return
    try:
        remove_kernelspec(spec)
    except OSError as error:
        _warn(
            events,
            f"could not remove the Jupyter kernel {spec.parent}: {error.strerror or error}",
            fix=f"jupyter kernelspec remove {name}",
        )
        return
    events.step("kernel", "ok", f"removed the Jupyter kernel {name} ({spec.parent})", path=str(spec))


def finish_kernel(plan: KernelPlan, prefix: Path, receipt: Receipt, events: Events) -> bool:
    """Register the kernel of a finished environment (whose receipt is `receipt`) and record it in its receipt;
    whether it was written.

    With --no-kernel, or when writing fails, a kernelspec tfm1 wrote earlier for this environment stays
    recorded, so `tfm1 remove` still removes it.
    """
    written = register_kernel(plan, prefix, receipt.packages, receipt.profile, events) if plan.register else None
    record = written or (plan.previous if owned(plan.previous) else None)
    if written is not None and plan.previous is not None and plan.previous["path"] != written["path"]:
        unregister_kernel(plan.previous, events)  # the Jupyter data dir moved: the old kernelspec would be a stray
    if record is not None and record != receipt.kernel:
        write_receipt(prefix, replace(receipt, kernel=record))
    return written is not None


def kernel_launch(host: Host, prefix: Path, events: Events) -> KernelLaunch:
    """What Jupyter starts for this environment's kernel name: the spec it finds first, maybe not tfm1's."""
    from tfm1.verify.kernel import kernel_target

    name = kernel_name(prefix)
    try:
        started = kernel_target(host, name)
    except Tfm1Error as error:  # a usage error for `verify --kernel`; here the install is done and only this failed
        message = f"{prefix} is installed, but not the kernel Jupyter would start: {error.message}"
        raise Tfm1Error(message, error.fix) from None
    if started.spec != kernel_file(host, prefix):
        _warn(
            events,
            f"Jupyter finds another kernel named {name} first ({started.spec}, on $JUPYTER_PATH): verifying that one",
            fix="remove it, or take its folder out of JUPYTER_PATH",
        )
    return started
