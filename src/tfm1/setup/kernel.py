"""The environment as a Jupyter kernel: registered by setup, removed by remove, and only ever the one tfm1 wrote.

A kernelspec is tfm1's when the environment's receipt records its kernel.json with the sha256 of what is there
now; anything else of the same name (`jupyter kernelspec install`, a hand edit, another environment's) is left
alone unless `--force` says otherwise. A kernel that cannot be written does not undo a finished install: the
environment is kept and a warning says how to register the kernel later.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.host.base import Host
from tfm1.jupyter.registration import (
    KernelRecord,
    kernel_file,
    marked_for,
    owned,
    remove_kernelspec,
    spec_document,
    write_kernelspec,
)
from tfm1.receipt import Receipt, write_receipt
from tfm1.setup.events import Events


@dataclass(frozen=True)
class KernelPlan:
    spec: Path  # <Jupyter data dir>/kernels/tfm1-<name>/kernel.json
    previous: KernelRecord | None  # the record of the kernelspec this environment had, while it is still tfm1's
    register: bool  # False with --no-kernel

    @property
    def name(self) -> str:
        return self.spec.parent.name


def display_name(packages: dict[str, str], profile: str) -> str:
    from tfm1.compat_data import TENSORFLOW_NAMES

    for distribution in TENSORFLOW_NAMES:
        if distribution in packages:
            return f"TensorFlow {packages[distribution]} (tfm1 {profile})"
    return f"Python {packages.get('python', '3')} (tfm1 {profile})"


def plan_kernel(host: Host, prefix: Path, receipt: Receipt | None, force: bool, register: bool = True) -> KernelPlan:
    """Where the kernelspec goes; refuses (before anything is installed) a same-named one that is not tfm1's.

    `receipt` is the one the prefix has now, if any: the kernelspec it records may be this environment's."""
    previous = receipt.kernel if receipt else None
    mine = previous if owned(previous) else None
    spec = kernel_file(host, prefix)
    folder = spec.parent
    occupied = folder.is_symlink() or (folder.is_dir() and any(folder.iterdir())) or folder.is_file()
    ours = (mine is not None and Path(mine["path"]) == spec) or (previous is None and marked_for(spec, prefix))
    if register and occupied and not ours and not force:
        raise Tfm1Error(
            f"a Jupyter kernel named {folder.name} already exists ({folder}) and tfm1 did not write it for {prefix}",
            "pass --no-kernel to leave it and register none, --force to replace it, or remove it first "
            f"(jupyter kernelspec remove {folder.name})",
        )
    return KernelPlan(spec, mine, register)


def finish_kernel(plan: KernelPlan, prefix: Path, receipt: Receipt, events: Events) -> bool:
    """Register the kernel of a finished environment (whose receipt is `receipt`) and record it in its receipt;
    whether it was written.

    With --no-kernel, or when writing fails, a kernelspec tfm1 wrote earlier for this environment stays
    recorded, so `tfm1 remove` still removes it.
    """
    title = display_name(receipt.packages, receipt.profile)
    kept = plan.previous if owned(plan.previous) else None  # looked at before a new kernel.json is written
    python = prefix / "bin" / "python"
    written: KernelRecord | None = None
    if plan.register:
        try:
            written = {
                "path": str(plan.spec),
                "sha256": write_kernelspec(plan.spec, spec_document(python, title, prefix)),
            }
        except OSError as error:
            folder = plan.spec.parent.parent
            events.warning(
                "kernel",
                f"the environment is ready, but its Jupyter kernel could not be written in {folder}: "
                f"{error.strerror or error}",
                f"make {shlex.quote(str(folder))} writable (or set JUPYTER_DATA_DIR to a folder that is) and re-run "
                "this tfm1 setup command: it then registers only the kernel",
                path=str(plan.spec),
            )
        else:
            message = f"Jupyter kernel {plan.name} registered: {plan.spec}"
            events.step("kernel", "ok", message, name=plan.name, path=str(plan.spec), python=str(python))
    record = written or kept
    if written is not None and plan.previous is not None and plan.previous["path"] != written["path"]:
        unregister_kernel(plan.previous, events)  # the Jupyter data dir moved: the old kernelspec would be a stray
    if record is not None and record != receipt.kernel:
        write_receipt(prefix, replace(receipt, kernel=record))
    return written is not None


def unregister_kernel(record: KernelRecord | None, events: Events) -> None:
    """Delete the kernelspec the receipt records, if it is still the file tfm1 wrote; warn otherwise."""
    if record is None:
        return
    spec = Path(record["path"])
    if not spec.exists():
        return
    name = spec.parent.name
    if not owned(record):
        events.warning(
            "kernel",
            f"left the Jupyter kernel {spec.parent} alone: it changed since tfm1 wrote it",
            f"remove it yourself if nothing needs it: jupyter kernelspec remove {name}",
        )
        return
    try:
        remove_kernelspec(spec)
    except OSError as error:
        events.warning(
            "kernel",
            f"could not remove the Jupyter kernel {spec.parent}: {error.strerror or error}",
            f"jupyter kernelspec remove {name}",
        )
        return
    events.step("kernel", "ok", f"removed the Jupyter kernel {name} ({spec.parent})", path=str(spec))
