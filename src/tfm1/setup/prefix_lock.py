"""One tfm1 run at a time per environment: an exclusive `flock` on `.<name>.tfm1-lock` beside the prefix.

Two setups on one prefix would destroy both environments (one moves the user's environment aside and deletes it,
the other's rollback empties the prefix). The lock is taken before anything is checked or moved and held until
the run ends; a second run does not wait but stops at once, naming the pid that holds it.

Why beside the prefix and not in tfm1's cache: every run that can touch the prefix finds it there, whatever its
`HOME`, `TFM1_CACHE_DIR` or `XDG_CACHE_HOME`; it is on the prefix's own file system; and the rollback never
touches it (it removes only the prefix and what it moved aside). The file is deleted when the run ends, while
it is still locked, so that nothing is left beside the environment; a run that opened the file before it was
deleted sees that the path no longer names what it locked, and starts again.

The kernel drops an `flock` lock when its holder dies, SIGKILL included, so a killed run never leaves a stale
lock (https://developer.apple.com/library/mac/documentation/Darwin/Reference/ManPages/man2/flock.2.html).
A conda root is locked too: exclusively by a run that installs Miniforge into it, shared by runs that make an
environment inside it, so that no run can use a root that another is still installing.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.setup.journal import beside


def lock_path(prefix: Path) -> Path:
    return beside(prefix, ".tfm1-lock")


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return those made, deepest first (removed again if left empty)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            pass
        except OSError as error:
            raise Tfm1Error(
                f"cannot create {path}: {error.strerror or error}", "check its parent's permissions"
            ) from None
    return missing


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        text = []
    if len(text) >= 2 and text[0].isdigit():
        return f"another tfm1 {text[1]} is running on {{path}} (pid {text[0]})"
    return "another tfm1 run is using {path}"


@contextmanager
def _flock(prefix: Path, command: str, exclusive: bool) -> Iterator[None]:
    path = lock_path(prefix)
    made = _make_parents(path.parent)
    try:
        for _ in range(20):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except FileNotFoundError:  # the parent went away between the two calls: make it again
                made += _make_parents(path.parent)
                continue
            except OSError as error:
                raise Tfm1Error(
                    f"cannot lock {prefix}: {path}: {error.strerror or error}",
                    f"check the permissions of {path.parent}; remove {path} if it is not a regular file",
                ) from None
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                message = _holder(fd).format(path=prefix)
                os.close(fd)
                raise Tfm1Error(message, "wait for it to finish (or stop it), then run this again") from None
            if _same_file(fd, path):
                break
            os.close(fd)  # deleted by the run that held it before us: lock the new one
        else:
            raise Tfm1Error(f"cannot lock {prefix}: {path} keeps being replaced", "run this again")
        if exclusive:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
        try:
            yield
        finally:
            try:
                # Only a sole holder deletes the file (a shared holder may share it with others).
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink(missing_ok=True)
            except OSError:
                pass
            os.close(fd)
    finally:
        for folder in made:
            try:
                folder.rmdir()  # only if the run left it empty
            except OSError:
                break


def _same_file(fd: int, path: Path) -> bool:
    try:
        current = path.lstat()
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino)


@contextmanager
def lock_prefix(prefix: Path, command: str, root: Path | None = None, install_root: bool = False) -> Iterator[None]:
    """Hold the prefix (and its conda root, if any) for this run; raise Tfm1Error at once if another run has it."""
    with ExitStack() as stack:
        if root is not None:
            stack.enter_context(_flock(root, command, exclusive=install_root))
        if not install_root:
            # A root still to be installed must not exist yet, so nothing can be made inside it: its lock covers it.
            stack.enter_context(_flock(prefix, command, exclusive=True))
        yield
