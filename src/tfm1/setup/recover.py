"""Repair what a killed setup or remove left behind, from its journal (see `tfm1.setup.journal`, which decides
the repairs; this module carries them out).

Called by setup and remove while they hold the prefix's lock, before they look at the prefix; each repair is
reported as a step, so the user learns what had happened and what was put back.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.setup.events import Events
from tfm1.setup.journal import is_running, journal_path, read_journal, repairs_for
from tfm1.setup.target import SetupTarget
from tfm1.setup.transaction import remove_tree


def recover_target(target: SetupTarget, events: Events, dry_run: bool = False) -> None:
    """Repair what a killed run left at the target: its Miniforge being installed, then the environment. A dry run
    changes nothing: it says where a journal waits, which a real run repairs first."""
    for place in (target.root, target.prefix) if target.install_root or dry_run else (target.prefix,):
        if place is not None:
            recover(place, events, dry_run)


def recover(prefix: Path, events: Events, dry_run: bool = False) -> str | None:
    """Repair what a killed run left; the action of that run ("setup", "remove") when it did, else None."""
    from tfm1.children import stop_stragglers

    found = read_journal(prefix)
    where = journal_path(prefix)
    if found is None:
        return None
    if dry_run:
        events.step(
            "recover", "warning", f"an interrupted tfm1 run left a journal beside {prefix}: a real run repairs it first"
        )
        return None
    if isinstance(found, str):
        events.step("recover", "warning", f"{found}; it was left alone", path=str(where))
        return None
    if is_running(found.pid):
        raise Tfm1Error(
            f"a tfm1 {found.action} (pid {found.pid}) was changing {prefix} and that process is still running",
            f"wait for it to end; if pid {found.pid} is not tfm1, see {shlex.quote(str(where))}"
            " for what was moved where, put it back yourself and delete that file",
        )
    repairs = repairs_for(found)
    try:
        for repair in repairs:
            if repair.kind == "stop-and-remove":
                stop_stragglers(repair.path)
            if repair.kind in ("remove", "stop-and-remove"):
                remove_tree(repair.path)
            elif repair.kind == "unmark":
                repair.path.unlink()
            elif repair.to is not None:
                repair.path.rename(repair.to)
    except OSError as error:
        failed = f" ({error.filename})" if error.filename else ""
        raise Tfm1Error(
            f"could not repair what an interrupted tfm1 {found.action} (pid {found.pid}) left at {prefix}: "
            f"{error.strerror or error}{failed}",
            f"fix the permissions and run this again (the journal {where} says what was moved where)",
        ) from None
    found.discard()
    done = [repair.said for repair in repairs if repair.said]
    for message in done or [f"an interrupted tfm1 {found.action} (pid {found.pid}) had changed nothing at {prefix}"]:
        events.step("recover", "ok", message, prefix=str(prefix), pid=found.pid)
    return found.action
