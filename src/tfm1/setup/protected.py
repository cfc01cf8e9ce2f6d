"""Folders that setup never replaces and remove never deletes, whatever the flags and whatever a receipt says.

A receipt is a plain file anyone can copy, and `--force` is one word: neither may make tfm1 delete `/`, the home
folder, the current directory, a parent of any of them, a conda installation, or one of the system's own folders.
Folders are compared by identity (device and inode), not by name: on a Mac's case-insensitive disk
`/users/ana/Project` is the folder `/Users/ana/project`, and a symbolic link to `$HOME` is `$HOME`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tfm1.errors import UsageError
from tfm1.file_identity import Identity, enclosing, identity
from tfm1.setup.names import is_conda_root

# The folders macOS and Linux keep for themselves. On macOS /etc, /var and /tmp are links into /private, so the
# resolved names are listed too (https://apple.stackexchange.com/questions/1043/why-is-tmp-a-symlink-to-private-tmp).
SYSTEM_FOLDERS = frozenset(
    {
        "/Applications",
        "/Library",
        "/System",
        "/Users",
        "/Volumes",
        "/bin",
        "/boot",
        "/cores",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib64",
        "/media",
        "/mnt",
        "/opt",
        "/opt/homebrew",
        "/private",
        "/private/etc",
        "/private/tmp",
        "/private/var",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/local",
        "/var",
    }
)


def _system_folders() -> set[Identity]:
    return {found for folder in SYSTEM_FOLDERS if (found := identity(folder)) is not None}


def protection(path: Path) -> str | None:
    """Why `path` must never be replaced or deleted, or None when it may be (if it is tfm1's to touch)."""
    real = Path(os.path.realpath(path))
    target = identity(path)  # None when nothing is there yet: then only its name can be compared
    if real == real.parent or (target is not None and target == identity("/")):
        return "it is the root of the file system"
    if str(path) in SYSTEM_FOLDERS or str(real) in SYSTEM_FOLDERS or target in _system_folders():
        return "it is a system folder"
    home = os.environ.get("HOME", "")
    try:
        cwd = str(Path.cwd())
    except OSError:  # the current directory was deleted: nothing to protect there
        cwd = ""
    for what, place in (("your home folder", home), ("the current directory", cwd)):
        if not place:
            continue
        guarded = Path(os.path.realpath(place))
        if real == guarded or (target is not None and target == identity(place)):
            return f"it is {what}"
        if real in guarded.parents or (target is not None and target in enclosing(place)):
            return f"it contains {what}"
    if is_conda_root(real):
        return "it is a conda installation"
    return None


def refuse_protected(path: Path, action: str) -> None:
    """Raise a usage error (exit 2) when `path` is one of the folders tfm1 never touches; `action`: "replace"..."""
    reason = protection(path)
    if reason is None:
        return
    real = os.path.realpath(path)
    shown = str(path) if real == str(path) else f"{path} ({real})"
    raise UsageError(
        f"tfm1 never {action}s {shown}: {reason}", "choose an environment folder of its own (--prefix PATH)"
    )
