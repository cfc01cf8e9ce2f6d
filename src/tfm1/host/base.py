"""The one interface through which tfm1 reads the operating system.

Implementations supply a few primitives that never follow symlinks (`kind`, `readlink`, `listdir`,
`read_text`, `read_head`, `read_macho`); path resolution and everything built on it live here once, so a live host,
a recorder and a replayed snapshot follow symlinks exactly the same way.
"""

from __future__ import annotations

import posixpath
from abc import ABC, abstractmethod
from typing import Literal, NamedTuple

from tfm1.macho import MachOInfo

Kind = Literal["file", "dir", "symlink"]
TEXT_LIMIT = 1 << 20  # metadata files are small; never slurp a binary


class Process(NamedTuple):
    """An ancestor of the running process, as `sysctl kern.proc.pid.<pid>` describes it."""

    pid: int
    name: str  # p_comm: the executable's name, at most 16 bytes
    translated: bool  # runs under Rosetta 2 (P_TRANSLATED)


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
    def ancestors(self) -> list[Process]:
        """The parent of this process, its parent, and so on (nearest first); empty where unknown."""

    @abstractmethod
    def kind(self, path: str) -> Kind | None:
        """What is at `path` itself (a symlink is not followed); None when nothing is."""

    @abstractmethod
    def readlink(self, path: str) -> str | None: ...

    @abstractmethod
    def listdir(self, path: str) -> list[str]:
        """Names in the directory at a resolved path; empty when it is not a readable directory."""

    @abstractmethod
    def read_text(self, path: str, limit: int = TEXT_LIMIT) -> str | None:
        """The text (at most `limit` characters) of the file at a resolved path; None when unreadable."""

    @abstractmethod
    def read_head(self, path: str, size: int) -> bytes:
        """Up to `size` leading bytes of the file at a resolved path; empty when unreadable."""

    @abstractmethod
    def read_macho(self, path: str) -> MachOInfo:
        """The Mach-O facts (slices, their minimum macOS and SDK) of the file at a resolved path."""

    # --- derived: the same for every host -----------------------------------------------------
    def resolve(self, path: str) -> str:
        """The path with every symlink in it followed, like realpath(3); a dangling link stays as is.

        A loop, rather than recursion per component: a hostile snapshot may hold a path of thousands.
        """
        path = posixpath.normpath(path)
        if path not in self._resolved:
            parent, name = posixpath.split(path)
            # Paths come in families (a site-packages and its files): start from a resolved parent when known.
            if parent in self._resolved and name:
                self._resolved[path] = self._walk(self._resolved[parent], [name])
            else:
                self._resolved[path] = self._walk("/", [n for n in reversed(path.split("/")) if n])
        return self._resolved[path]

    def _walk(self, resolved: str, pending: list[str]) -> str:
        """`resolved` joined with the names in `pending` (last one first), following symlinks."""
        followed = 0
        while pending:
            name = pending.pop()
            if name == ".":
                continue
            if name == "..":
                resolved = posixpath.dirname(resolved)
                continue
            here = posixpath.join(resolved, name)
            if self.kind(here) == "symlink" and followed < MAX_SYMLINKS:
                followed += 1
                target = self.readlink(here) or ""
                if target.startswith("/"):
                    resolved = "/"
                pending.extend(n for n in reversed(target.split("/")) if n)
                continue
            resolved = here
        return resolved

    def exists(self, path: str) -> bool:
        # Still a symlink after resolution means a loop (ELOOP): nothing is there.
        return self.kind(self.resolve(path)) in ("file", "dir")

    def is_dir(self, path: str) -> bool:
        return self.kind(self.resolve(path)) == "dir"

    def is_file(self, path: str) -> bool:
        return self.kind(self.resolve(path)) == "file"

    def list_dir(self, path: str) -> list[str]:
        return sorted(self.listdir(self.resolve(path)))

    def text(self, path: str, limit: int = TEXT_LIMIT) -> str | None:
        return self.read_text(self.resolve(path), limit)

    def macho(self, path: str) -> MachOInfo:
        return self.read_macho(self.resolve(path))

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
