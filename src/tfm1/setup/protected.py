"""Folders that setup never replaces and remove never deletes, whatever the flags and whatever a receipt says.

A receipt is a plain file anyone can copy, and `--force` is one word: neither may make tfm1 delete `/`, the home
folder, the current directory, a parent of any of them, a conda installation, or one of the system's own folders.
Paths are compared after resolving symbolic links, so a link to `$HOME` is `$HOME`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tfm1.errors import UsageError
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


def _resolved(path: str) -> Path | None:
    try:
        return Path(os.path.realpath(path))
    except OSError:
        return None


def protection(path: Path) -> str | None:
    """Why `path` must never be replaced or deleted, or None when it may be (if it is tfm1's to touch)."""
    real = Path(os.path.realpath(path))
    if real == real.parent:
        return "it is the root of the file system"
    if str(path) in SYSTEM_FOLDERS or str(real) in SYSTEM_FOLDERS:
        return "it is a system folder"
    home = os.environ.get("HOME", "")
    try:
        cwd = str(Path.cwd())
    except OSError:  # the current directory was deleted: nothing to protect there
        cwd = ""
    for what, place in (("your home folder", home), ("the current directory", cwd)):
        guarded = _resolved(place) if place else None
        if guarded is None:
            continue
        if real == guarded:
            return f"it is {what}"
        if real in guarded.parents:
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
