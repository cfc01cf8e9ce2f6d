"""Whether two paths name the same folder, or one holds the other, decided by the folders themselves.

A Mac's disk is APFS, case-insensitive unless it was formatted otherwise (Apple's APFS Guide, FAQ:
https://developer.apple.com/library/archive/documentation/FileManagement/Conceptual/APFS_Guide/FAQ/FAQ.html): there
`/users/ana/Project` and `/Users/ana/project` are one folder, and `os.path.realpath` keeps the case it was given, so
two path strings can differ while naming the same folder (a bind mount or a hard link does the same on any system).
A file's device and inode numbers (`os.stat`, symbolic links followed) are the file itself, whatever name led to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

Identity = tuple[int, int]  # (st_dev, st_ino)


def identity(path: str | os.PathLike[str]) -> Identity | None:
    """The file `path` names, symbolic links followed; None when nothing (reachable) is there."""
    try:
        info = Path(path).stat()
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    return info.st_dev, info.st_ino


def same_file(first: str | os.PathLike[str], second: str | os.PathLike[str]) -> bool:
    """Whether both paths name one existing file or folder."""
    found = identity(first)
    return found is not None and found == identity(second)


def enclosing(path: str | os.PathLike[str]) -> list[Identity]:
    """Every folder above the one `path` names (its parent, the parent's parent, ... up to `/`), as identities."""
    real = Path(os.path.realpath(path))
    return [found for folder in real.parents if (found := identity(folder)) is not None]


class FileStamp(NamedTuple):
    """What a path was when setup looked at it: a later look that differs means someone changed it meanwhile."""

    device: int
    inode: int
    modified_ns: int
    size: int


def stamp(path: str | os.PathLike[str]) -> FileStamp | None:
    """`path` itself (a symbolic link is not followed) as it is now; None when nothing is there."""
    try:
        info = Path(path).lstat()
    except (OSError, ValueError):
        return None
    return FileStamp(info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
