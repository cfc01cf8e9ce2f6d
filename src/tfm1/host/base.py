"""The one interface through which tfm1 reads the operating system.

Implementations supply a few primitives that never follow symlinks (`kind`, `readlink`, `listdir`,
`read_text`, `read_head`); path resolution and everything built on it live here once, so a live host,
a recorder and a replayed snapshot follow symlinks exactly the same way.
"""

from __future__ import annotations

import posixpath
from abc import ABC, abstractmethod
from typing import Literal

Kind = Literal["file", "dir", "symlink"]

# macOS resolves at most 32 links in a path (MAXSYMLINKS); a deeper chain is a loop.
MAX_SYMLINKS = 32


class Host(ABC):
    def __init__(self) -> None:
        self._resolved: dict[str, str] = {}

    # --- primitives -------------------------------------------------------------------------
    @abstractmethod
    def system(self) -> str:
        """`platform.system()`: Darwin, Linux, ..."""

    @abstractmethod
    def machine(self) -> str:
        """`platform.machine()`: the architecture of this process (x86_64 under Rosetta)."""

    @abstractmethod
    def mac_ver(self) -> str:
        """`platform.mac_ver()[0]`, empty off macOS."""

    @abstractmethod
    def sysctl(self, name: str) -> str | None:
        """The value of a sysctl OID as `sysctl -n` prints it; None when the OID does not exist."""

    @abstractmethod
    def env(self, name: str) -> str | None: ...

    @abstractmethod
    def kind(self, path: str) -> Kind | None:
        """What is at `path` itself (a symlink is not followed); None when nothing is."""

    @abstractmethod
    def readlink(self, path: str) -> str | None: ...

    @abstractmethod
    def listdir(self, path: str) -> list[str]:
        """Names in the directory at a resolved path; empty when it is not a readable directory."""

    @abstractmethod
    def read_text(self, path: str) -> str | None:
        """The text of the file at a resolved path; None when it is not a readable text file."""

    @abstractmethod
    def read_head(self, path: str, size: int) -> bytes:
        """Up to `size` leading bytes of the file at a resolved path; empty when unreadable."""

    # --- derived: the same for every host -----------------------------------------------------
    def resolve(self, path: str) -> str:
        """The path with every symlink in it followed, like realpath(3); a dangling link stays as is."""
        return self._resolve(posixpath.normpath(path), 0)

    def _resolve(self, path: str, depth: int) -> str:
        if path in self._resolved:
            return self._resolved[path]
        parent, name = posixpath.split(path)
        if not name:
            return path
        here = posixpath.join(self._resolve(parent, depth), name)
        if self.kind(here) == "symlink" and depth < MAX_SYMLINKS:
            target = self.readlink(here) or ""
            here = self._resolve(posixpath.normpath(posixpath.join(posixpath.dirname(here), target)), depth + 1)
        self._resolved[path] = here
        return here

    def exists(self, path: str) -> bool:
        # Still a symlink after resolution means a loop (ELOOP): nothing is there.
        return self.kind(self.resolve(path)) in ("file", "dir")

    def is_dir(self, path: str) -> bool:
        return self.kind(self.resolve(path)) == "dir"

    def is_file(self, path: str) -> bool:
        return self.kind(self.resolve(path)) == "file"

    def list_dir(self, path: str) -> list[str]:
        return sorted(self.listdir(self.resolve(path)))

    def text(self, path: str) -> str | None:
        return self.read_text(self.resolve(path))

    def head(self, path: str, size: int = 4096) -> bytes:
        return self.read_head(self.resolve(path), size)

    def home(self) -> str:
        return self.env("HOME") or "/"

    def path_dirs(self) -> list[str]:
        return [entry for entry in (self.env("PATH") or "").split(":") if entry]

    def which(self, name: str) -> str | None:
        """The first `name` on $PATH, unresolved (as a shell would run it)."""
        for directory in self.path_dirs():
            candidate = posixpath.join(directory, name)
            if self.is_file(candidate):
                return candidate
        return None
