"""What a run is about to do to a prefix, written before it does it, so that the next run can repair a kill -9.

`.<name>.tfm1-journal` beside the prefix (next to its lock) holds one JSON object: the action (setup or remove),
the prefix, the pid, the step, where the old environment was moved aside, and a random token. A setup also
writes the token into the new environment (`etc/tfm1/building`) as soon as it creates it, and deletes that
file right after the receipt: the token is what proves that a half-built prefix is this run's and not the
user's. The journal is deleted when the run ends, however it ends, short of SIGKILL or a power cut.

The next setup or remove of that prefix (holding its lock) reads it and, if that pid is no longer running, puts
things right: a half-built environment is removed and the old one renamed back, a complete one keeps its place
and the old one's deletion is finished, an interrupted remove is finished. A journal is a file anyone could
write, so it is trusted only this far: it must name exactly the prefix being repaired, and the only paths
acted on are that prefix (only with the token inside) and `<prefix>.tfm1-old-<pid>`, `.tfm1-failed-<pid>`,
`.tfm1-removing-<pid>` derived from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tfm1.atomic import write_atomic
from tfm1.errors import Tfm1Error
from tfm1.receipt import distrust, read_receipt

FORMAT = 1
BUILDING = Path("etc") / "tfm1" / "building"


def absolute(prefix: Path) -> Path:
    """`prefix` absolute and normalised (no `..`), its links not resolved: the path as the user named it."""
    return Path(os.path.normpath(Path(prefix).absolute()))


def beside(prefix: Path, suffix: str) -> Path:
    """`<parent>/.<name><suffix>`, the parent resolved: two spellings of one folder share one file."""
    path = absolute(prefix)
    return Path(os.path.realpath(path.parent)) / f".{path.name}{suffix}"


def journal_path(prefix: Path) -> Path:
    return beside(prefix, ".tfm1-journal")


def sibling(prefix: Path, kind: str, pid: int) -> Path:
    """`<prefix>.tfm1-<kind>-<pid>`: where a run with that pid moves the prefix (old, failed, removing) or makes
    the new one before it is renamed into place (new)."""
    return prefix.with_name(f"{prefix.name}.tfm1-{kind}-{pid}")


def sign(folder: Path, token: str) -> None:
    """Mark `folder` as made by the run holding `token`: only a folder holding it is ever removed by a later run."""
    write_atomic(folder / BUILDING, token.encode())


def unsign(folder: Path) -> None:
    """The run that made `folder` finished it: the mark goes (its `etc/tfm1/` too, when nothing else is there)."""
    (folder / BUILDING).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (folder / BUILDING).parent.rmdir()


@dataclass
class Journal:
    action: str  # "setup" or "remove"
    prefix: Path  # absolute
    pid: int
    token: str
    step: str = "start"
    aside: Path | None = None  # where the environment that was at `prefix` was moved

    @classmethod
    def start(cls, action: str, prefix: Path) -> Journal:
        return cls(action, absolute(prefix), os.getpid(), secrets.token_hex(16))

    def write(self, step: str | None = None, aside: Path | None = None) -> None:
        self.step = step or self.step
        self.aside = aside or self.aside
        data = {
            "tfm1_journal": FORMAT,
            "action": self.action,
            "prefix": str(self.prefix),
            "pid": self.pid,
            "token": self.token,
            "step": self.step,
            "aside": str(self.aside) if self.aside else None,
        }
        write_atomic(journal_path(self.prefix), (json.dumps(data) + "\n").encode())

    def discard(self) -> None:
        journal_path(self.prefix).unlink(missing_ok=True)


def read_journal(prefix: Path) -> Journal | str | None:
    """The journal left beside `prefix`: None when there is none, a reason (str) when it cannot be trusted."""
    path = journal_path(prefix)
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 4096:
            return None if not (path.exists() or path.is_symlink()) else f"{path} is not a journal tfm1 wrote"
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"{path} is not a journal tfm1 can read"
    if not isinstance(data, dict) or data.get("tfm1_journal") != FORMAT:
        return f"{path} is not a journal tfm1 wrote"
    action, where, pid, token, step = (data.get(k) for k in ("action", "prefix", "pid", "token", "step"))
    if (
        action not in ("setup", "remove")
        or not isinstance(pid, int)
        or pid <= 0
        or not isinstance(token, str)
        or len(token) < 16
        or not isinstance(step, str)
    ):
        return f"{path} is not a journal tfm1 wrote"
    if where != str(absolute(prefix)):
        return f"{path} was written for {where}, not for {absolute(prefix)}"
    journal = Journal(action, Path(where), pid, token, step)
    aside = data.get("aside")
    expected = sibling(journal.prefix, "old" if action == "setup" else "removing", pid)
    if aside is not None and aside != str(expected):
        return f"{path} names {aside}, which is not a place tfm1 moves {prefix} to"
    journal.aside = expected if aside is not None else None
    return journal


def is_running(pid: int) -> bool:
    """Whether process `pid` is still there, other than this one (a journal of this very process was left by an
    earlier run in it, or by one before a reboot that gave this process its pid: this process holds the lock)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def signed(path: Path, token: str) -> bool:
    """`path` is a folder that a tfm1 setup with this token created (its `etc/tfm1/building` holds the token)."""
    marker = path / BUILDING
    try:
        if path.is_symlink() or marker.is_symlink():
            return False
        return marker.read_bytes()[:256] == token.encode()
    except OSError:
        return False


def complete(prefix: Path) -> bool:
    receipt = read_receipt(prefix)
    return receipt is not None and distrust(receipt, prefix) is None


RepairKind = Literal["remove", "stop-and-remove", "unmark", "restore"]


@dataclass(frozen=True)
class Repair:
    """One change that puts right what the journal's run left: remove `path` (after stopping what still runs from
    it: "stop-and-remove"), delete the building mark at `path` ("unmark"), or rename `path` to `to` ("restore")."""

    kind: RepairKind
    path: Path
    said: str = ""  # what it did, for the user; empty: a detail not worth a line
    to: Path | None = None


def repairs_for(journal: Journal) -> list[Repair]:
    """What the run of `journal` left, and the changes that undo it (a setup) or finish it (a remove), in order.
    Only paths derived from the journal's prefix are named, and a folder is removed whole only when it is signed
    with the journal's token. Raises Tfm1Error when the environment moved aside cannot go back: something else
    is at its place now."""
    prefix, pid = journal.prefix, journal.pid
    if journal.action == "remove":
        removing = sibling(prefix, "removing", pid)
        if not (removing.exists() or removing.is_symlink()):
            return []
        said = f"finished removing {prefix}: an interrupted tfm1 remove (pid {pid}) had begun it"
        return [Repair("remove", removing, said)]
    old, failed, new = (sibling(prefix, kind, pid) for kind in ("old", "failed", "new"))
    who = f"a tfm1 setup (pid {pid}) stopped during its {journal.step} step"
    half_built = [path for path in (prefix, failed) if signed(path, journal.token)]
    prefix_signed = prefix in half_built
    repairs = []
    if new.exists() or new.is_symlink():
        # Made to be renamed into place, signed or not yet: a name only tfm1 uses, as for `.tfm1-removing-<pid>`.
        repairs.append(Repair("remove", new, f"removed {new}, the start of a new environment left by {who}"))
    if complete(prefix):  # last of the facts: it reads the receipt
        if prefix_signed:
            repairs.append(Repair("unmark", prefix / BUILDING))
        if old.exists() or old.is_symlink():
            said = f"{prefix} is complete; finished deleting the environment it replaced ({old}), left by {who}"
            repairs.append(Repair("remove", old, said))
        return repairs
    what = "Miniforge" if journal.step == "miniforge" else "environment"
    for path in half_built:
        repairs.append(Repair("stop-and-remove", path, f"removed the half-built {what} at {path}, left by {who}"))
    if old.is_dir() and not old.is_symlink():
        if not prefix_signed and (prefix.exists() or prefix.is_symlink()):
            raise Tfm1Error(
                f"{old} is the environment {who} had moved aside, and something else is now at {prefix}",
                f"keep the one you want: move {shlex.quote(str(prefix))} away, then "
                f"mv {shlex.quote(str(old))} {shlex.quote(str(prefix))}",
            )
        repairs.append(Repair("restore", old, f"restored {prefix}, which {who} had moved aside to {old}", prefix))
    return repairs
