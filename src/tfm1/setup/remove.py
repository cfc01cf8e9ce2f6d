"""Removal of a tfm1-made environment: only a prefix with a receipt, and never a conda root."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from tfm1.errors import ExitCode, Tfm1Error, UsageError
from tfm1.receipt import read_receipt
from tfm1.setup.events import Events
from tfm1.setup.names import check_env_name, is_conda_root


def find_named(name: str) -> Path:
    from tfm1.host import live_host
    from tfm1.inspect.conda import find_conda_roots

    matches = [
        Path(env.prefix) for root in find_conda_roots(live_host()) for env in root.envs if Path(env.prefix).name == name
    ]
    with_receipt = [p for p in matches if read_receipt(p) is not None]
    if with_receipt:
        return with_receipt[0]
    if matches:
        return matches[0]
    # Exit 2, as for `tfm1 verify --name`: a name that matches nothing is unusable input, not a failed removal.
    raise UsageError(
        f"--name {name}: no conda environment of that name was found",
        "list them with `conda env list`, or give --prefix PATH",
    )


def remove(name: str | None, prefix: Path | None, yes: bool, events: Events) -> int:
    from tfm1.setup.runner import SetupOptions, interactive
    from tfm1.setup.transaction import remove_tree

    target = find_named(check_env_name(name)) if name is not None else (prefix or Path()).expanduser().absolute()
    if not target.exists():
        raise UsageError(f"{target} does not exist", "check the path (tfm1 setup prints it)")
    if is_conda_root(target):
        raise Tfm1Error(
            f"{target} is a conda installation, not an environment: tfm1 never removes one",
            "remove it yourself if nothing needs it",
        )
    receipt = read_receipt(target)
    if receipt is None:
        raise Tfm1Error(
            f"{target} was not made by tfm1 (it has no receipt), so it is left alone",
            "remove it with the tool that made it (conda env remove -p PATH)",
        )
    events.step(
        "remove",
        "started",
        f"removing {target} (profile {receipt.profile}, made {receipt.created})",
        prefix=str(target),
    )
    if interactive(SetupOptions(yes=yes)):
        from rich.prompt import Confirm

        if not Confirm.ask(f"Delete {target}?", default=False, console=events.err):
            events.step("remove", "skipped", "cancelled: nothing was removed")
            return ExitCode.FAILED
    # Rename first: a half-deleted prefix would still look like an environment to conda; a renamed one does not.
    doomed = target.with_name(f"{target.name}.tfm1-removing-{os.getpid()}")
    try:
        target.rename(doomed)
    except OSError as error:
        raise Tfm1Error(f"cannot remove {target}: {error.strerror or error}", "check its permissions") from None
    try:
        remove_tree(doomed)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise Tfm1Error(
            f"could not delete all of {target}: {error.strerror or error}{where}; what is left is at {doomed}",
            f"delete {shlex.quote(str(doomed))} yourself (check its permissions and immutable flags: lsattr -R)",
        ) from None
    events.step("remove", "ok", f"removed {target}", prefix=str(target))
    return ExitCode.OK
