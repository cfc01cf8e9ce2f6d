"""All or nothing: what a setup run creates is removed, and what it moved aside is put back, on any failure.

Conda prefixes cannot be built elsewhere and renamed into place: installers write the final prefix into
files (prefix placeholders in scripts, `.pc` files, shebangs, binaries), so an environment only works at
the path it was installed to. So the environment is built at its final path, and this transaction removes
it entirely if the run does not finish. An environment being replaced (`--update`, `--force`) is renamed
aside first and renamed back on failure: a rename inside one directory is atomic, and a prefix renamed
back to its own path is intact again.

SIGTERM and SIGHUP are turned into KeyboardInterrupt (SIGINT already is) so that every way a run can be
stopped, short of SIGKILL, goes through the rollback; signals are ignored while the rollback runs. For SIGKILL
there is the journal (`tfm1.setup.journal`), written before each destructive step, which the next run reads.

Once the new environment is complete, deleting the one it replaced is not part of the all-or-nothing: an
interrupt then stops the deletion, the journal keeps what is left, and the next run finishes it
(`cleanup_interrupted` says so, for a truthful message).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from tfm1.setup.journal import Journal, sibling, sign

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def remove_tree(path: Path) -> None:
    """Remove a directory tree, retrying: a background writer may still be finishing a file. Raises OSError."""
    for attempt in range(3):
        if not path.exists() and not path.is_symlink():
            return
        if path.is_symlink() or path.is_file():
            path.unlink()
            return
        shutil.rmtree(path, ignore_errors=attempt < 2)
        time.sleep(0.05 * (attempt + 1))


def _reason(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"


class Transaction:
    def __init__(self, journal: Journal | None = None) -> None:
        self.journal = journal
        self.journals: list[Journal] = [journal] if journal is not None else []
        self.committed = False  # the body finished: what is left to do is only deleting what it replaced
        self.cleanup_interrupted: Path | None = None  # the replaced environment, partly deleted
        self.interrupted_late = False  # an interrupt came after the body finished
        self.created: list[tuple[Path, Path]] = []  # (path, outermost new parent): removed on rollback, newest first
        self.emptied: list[Path] = []  # existed empty before: emptied again on rollback
        self.moved: list[tuple[Path, Path]] = []  # (original, aside): renamed back on rollback
        self.rolled_back: list[str] = []  # what the rollback did, for the error message
        self.failures: list[str] = []  # what the rollback could not do, for the error message
        self.leftovers: list[Path] = []  # what the user has to delete by hand
        self._saved: dict[int, Any] = {}

    def claim(self, path: Path, token: str) -> Path:
        """Make `path` a new folder of this run that holds `token` (`journal.BUILDING`) from the moment it appears.

        It is made beside as `<path>.tfm1-new-<pid>`, signed, then renamed into place (over the empty folder that
        may be there: a rename replaces an empty directory, rename(2)), so a kill at any moment leaves no unsigned
        folder at `path` that the next run could not tell from the user's. The one exception is a symbolic link to
        an empty folder, which no rename may replace: that folder is signed where it is.
        """
        if path.is_dir() and not any(path.iterdir()) and path.is_symlink():
            sign(path, token)
            self.emptied.append(path)
            return path
        empty = path.is_dir() and not any(path.iterdir())
        outermost = self._outermost_made(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        new = sibling(path, "new", os.getpid())
        self.created.append((new, new))  # removed on rollback while it is there
        new.mkdir()
        sign(new, token)
        new.rename(path)
        if empty:
            self.emptied.append(path)
        else:
            self.created.append((path, outermost))
        return path

    @staticmethod
    def _outermost_made(path: Path) -> Path:
        """The outermost of `path` and its parents that do not exist yet: the rollback removes what this run made."""
        outermost = path
        while not outermost.parent.exists():
            outermost = outermost.parent
        return outermost

    def discards(self, journal: Journal) -> None:
        """`journal` (another than the run's own) is deleted with it when the run ends."""
        self.journals.append(journal)

    def move_aside(self, path: Path) -> Path:
        aside = sibling(path, "old", os.getpid())
        if self.journal is not None:
            self.journal.write(aside=aside)  # before the rename: a kill right after it must still find the old one
        path.rename(aside)
        self.moved.append((path, aside))
        return aside

    def __enter__(self) -> Transaction:
        for signum in STOP_SIGNALS:
            self._saved[signum] = signal.signal(signum, _interrupt)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.committed = True
                self._delete_replaced()
            else:
                self.rollback()
            if self.cleanup_interrupted is None:
                for journal in self.journals:
                    journal.discard()
        except KeyboardInterrupt:
            if not self.committed:
                raise
            # After success, an interrupt is not a failure: the journal (if still there) lets the next run finish.
            self.interrupted_late = True
        finally:
            for signum, handler in self._saved.items():
                signal.signal(signum, handler)

    def _delete_replaced(self) -> None:
        """The new environment is complete: an old one that cannot be deleted is a leftover, not a failure."""
        for _, aside in self.moved:
            try:
                if self.journal is not None:
                    self.journal.write("cleanup")
                remove_tree(aside)
            except OSError as error:
                self.failures.append(f"could not delete the old environment at {aside}: {_reason(error)}")
                self.leftovers.append(aside)
            except KeyboardInterrupt:
                self.cleanup_interrupted = aside
                return

    def rollback(self) -> None:
        """Undo everything that can be undone; a step that fails is recorded and the next ones still run.

        The user's old environment matters most: when the new prefix in its place cannot be deleted, the new
        one is renamed out of the way (`<prefix>.tfm1-failed-<pid>`) so that the old one can still go back.
        """
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, *STOP_SIGNALS)}
        try:
            for path, outermost in reversed(self.created):
                if (outermost.exists() or outermost.is_symlink()) and self._discard(outermost) == "removed":
                    made = f" (and {outermost}, made for it)" if outermost != path else ""
                    self.rolled_back.append(f"removed {path}{made}")
            for path in self.emptied:
                try:
                    if path.exists():
                        remove_tree(path)
                    path.mkdir(parents=True, exist_ok=True)
                    self.rolled_back.append(f"emptied {path} again")
                except OSError as error:
                    self.failures.append(f"could not empty {path} again: {_reason(error)}")
            for original, aside in reversed(self.moved):
                if (original.exists() or original.is_symlink()) and self._discard(original) is None:
                    self.failures.append(f"the old {original} is still at {aside}")
                    continue
                try:
                    aside.rename(original)
                    self.rolled_back.append(f"restored {original}")
                except OSError as error:
                    self.failures.append(f"could not put {original} back, it is at {aside}: {_reason(error)}")
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _discard(self, path: Path) -> str | None:
        """Delete `path` ("removed"); when that fails, rename it aside so that its name is free ("renamed")."""
        try:
            remove_tree(path)
            return "removed"
        except OSError as error:
            reason = _reason(error)
        failed = sibling(path, "failed", os.getpid())
        try:
            path.rename(failed)
        except OSError as error:
            self.failures.append(f"could not remove {path}: {reason}; nor rename it: {_reason(error)}")
            self.leftovers.append(path)
            return None
        self.failures.append(f"could not remove {path} ({reason}); what is left of it is at {failed}")
        self.leftovers.append(failed)
        return "renamed"
