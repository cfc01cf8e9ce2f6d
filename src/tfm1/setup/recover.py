"""Repair what a killed setup or remove left behind, from its journal (see `tfm1.setup.journal`).

Called by setup and remove while they hold the prefix's lock, before they look at the prefix; each repair is
reported as a step, so the user learns what had happened and what was put back.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.setup.events import Events
from tfm1.setup.journal import BUILDING, Journal, complete, is_running, journal_path, read_journal, sibling, signed
from tfm1.setup.transaction import remove_tree


def recover(prefix: Path, events: Events) -> str | None:
    """Repair what a killed run left; the action of that run ("setup", "remove") when it did, else None."""
    found = read_journal(prefix)
    if found is None:
        return None
    if isinstance(found, str):
        events.step("recover", "warning", f"{found}; it was left alone", path=str(journal_path(prefix)))
        return None
    if is_running(found.pid):
        raise Tfm1Error(
            f"a tfm1 {found.action} (pid {found.pid}) was changing {prefix} and that process is still running",
            f"wait for it to end; if pid {found.pid} is not tfm1, see {shlex.quote(str(journal_path(prefix)))}"
            " for what was moved where, put it back yourself and delete that file",
        )
    try:
        done = _finish_remove(found) if found.action == "remove" else _undo_setup(found)
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise Tfm1Error(
            f"could not repair what an interrupted tfm1 {found.action} (pid {found.pid}) left at {prefix}: "
            f"{error.strerror or error}{where}",
            f"fix the permissions and run this again (the journal {journal_path(prefix)} says what was moved where)",
        ) from None
    found.discard()
    for message in done or [f"an interrupted tfm1 {found.action} (pid {found.pid}) had changed nothing at {prefix}"]:
        events.step("recover", "ok", message, prefix=str(prefix), pid=found.pid)
    return found.action


def _finish_remove(journal: Journal) -> list[str]:
    removing = sibling(journal.prefix, "removing", journal.pid)
    if not (removing.exists() or removing.is_symlink()):
        return []
    remove_tree(removing)
    return [f"finished removing {journal.prefix}: an interrupted tfm1 remove (pid {journal.pid}) had begun it"]


def _undo_setup(journal: Journal) -> list[str]:
    from tfm1.children import stop_stragglers

    prefix, pid = journal.prefix, journal.pid
    old, failed, new = (sibling(prefix, kind, pid) for kind in ("old", "failed", "new"))
    who = f"a tfm1 setup (pid {pid}) stopped during its {journal.step} step"
    done = []
    if new.exists() or new.is_symlink():
        # Made to be renamed into place, signed or not yet: a name only tfm1 uses, as for `.tfm1-removing-<pid>`.
        remove_tree(new)
        done.append(f"removed {new}, the start of a new environment left by {who}")
    if complete(prefix):
        if signed(prefix, journal.token):
            (prefix / BUILDING).unlink()
        if old.exists() or old.is_symlink():
            remove_tree(old)
            done.append(f"{prefix} is complete; finished deleting the environment it replaced ({old}), left by {who}")
    else:
        what = "Miniforge" if journal.step == "miniforge" else "environment"
        for path in (prefix, failed):
            if signed(path, journal.token):
                stop_stragglers(path)
                remove_tree(path)
                done.append(f"removed the half-built {what} at {path}, left by {who}")
        if old.is_dir() and not old.is_symlink():
            if prefix.exists() or prefix.is_symlink():
                raise Tfm1Error(
                    f"{old} is the environment {who} had moved aside, and something else is now at {prefix}",
                    f"keep the one you want: move {shlex.quote(str(prefix))} away, then "
                    f"mv {shlex.quote(str(old))} {shlex.quote(str(prefix))}",
                )
            old.rename(prefix)
            done.append(f"restored {prefix}, which {who} had moved aside to {old}")
    return done
