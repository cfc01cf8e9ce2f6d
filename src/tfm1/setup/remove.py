"""Removal of a tfm1-made environment: only a prefix whose receipt was written for it, and never a protected folder.

`--prefix` given as a symbolic link means the folder it points to: that folder is what is checked and removed
(and named in every message); the link itself is left alone, since tfm1 did not make it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from tfm1.envelope import Outcome
from tfm1.errors import ExitCode, Tfm1Error, UsageError
from tfm1.receipt import distrust, read_receipt
from tfm1.setup.events import Events
from tfm1.setup.names import check_env_name, is_conda_root
from tfm1.setup.result import RemoveResult


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


def remove(name: str | None, prefix: Path | None, yes: bool, events: Events) -> Outcome:
    """Remove the environment named or at `prefix`; the outcome (its result: a `RemoveResult`). Raises Tfm1Error."""
    from tfm1.setup.prefix_lock import lock_prefix
    from tfm1.setup.protected import refuse_protected
    from tfm1.setup.recover import recover

    given = find_named(check_env_name(name)) if name is not None else (prefix or Path()).expanduser().absolute()
    refuse_protected(given, "remove")
    target = Path(os.path.realpath(given))
    if target != given and given.exists():
        events.step("remove", "started", f"{given} leads to {target}: that is what is checked and removed")
    with lock_prefix(target, "remove"):
        if recover(target, events) == "remove" and not target.exists():
            # The interrupted remove it finished was this one's job.
            return Outcome("remove", ExitCode.OK, RemoveResult(target, "finished"))
        result = _remove(target, yes, events)
        return Outcome("remove", ExitCode.FAILED if result.action == "cancelled" else ExitCode.OK, result)


def _remove(target: Path, yes: bool, events: Events) -> RemoveResult:
    from tfm1.setup.journal import Journal, sibling
    from tfm1.setup.options import interactive
    from tfm1.setup.transaction import remove_tree

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
    reason = distrust(receipt, target)
    if reason is not None:
        raise Tfm1Error(
            f"{target} is left alone: {reason}",
            f"if it is an environment you want gone, delete it yourself (rm -rf {shlex.quote(str(target))}); "
            f"tfm1 setup --force --prefix {shlex.quote(str(target))} rebuilds it with a current receipt",
        )
    events.step(
        "remove",
        "started",
        f"removing {target} (profile {receipt.profile}, made {receipt.created})",
        prefix=str(target),
    )
    if interactive(yes) and not events.ask(f"Delete {target}?", default=False):
        events.step("remove", "skipped", "cancelled: nothing was removed")
        return RemoveResult(target, "cancelled")
    # Rename first: a half-deleted prefix would still look like an environment to conda; a renamed one does not.
    doomed = sibling(target, "removing", os.getpid())
    journal = Journal.start("remove", target)
    journal.write("remove", aside=doomed)  # a kill -9 from here on: the next setup or remove finishes the job
    try:
        target.rename(doomed)
    except OSError as error:
        journal.discard()
        raise Tfm1Error(f"cannot remove {target}: {error.strerror or error}", "check its permissions") from None
    from tfm1.setup.kernel import unregister_kernel

    unregister_kernel(receipt.kernel, events)  # the environment is going: its kernel would start nothing
    try:
        remove_tree(doomed)
    except OSError as error:
        from tfm1.host import live_host
        from tfm1.setup.hints import undeletable_hint

        where = f" ({error.filename})" if error.filename else ""
        raise Tfm1Error(
            f"could not delete all of {target}: {error.strerror or error}{where}; what is left is at {doomed}",
            f"delete {shlex.quote(str(doomed))} yourself ({undeletable_hint(live_host())})",
        ) from None
    journal.discard()
    events.step("remove", "ok", f"removed {target}", prefix=str(target))
    return RemoveResult(target, "removed")
