"""The machine tfm1 runs on: macOS (sysctl through libSystem) or anything else (no sysctl).

`root` maps every absolute path below a directory, so a test can lay out a Mac's file system in a
temporary directory and read it through the same code as the real one.
"""
# os, not pathlib: importing pathlib adds ~3 ms to every `tfm1 doctor` start.
# ruff: noqa: PTH100, PTH115, PTH123, PTH208

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from functools import cache
from typing import Any

from tfm1.host.base import TEXT_LIMIT, Host, Kind, Process
from tfm1.macho import MachOInfo, read_macho_from

# OIDs whose value is text; the others tfm1 reads are 32- or 64-bit integers.
STRING_OIDS = frozenset({"machdep.cpu.brand_string", "kern.osproductversion", "kern.osversion", "hw.model"})


def decode_sysctl(name: str, raw: bytes) -> str:
    """Render a sysctlbyname() value the way `sysctl -n` prints it."""
    if name in STRING_OIDS:
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    return str(int.from_bytes(raw[:8], "little", signed=True))


class LocalHost(Host):
    def __init__(self, root: str = "/", environ: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.root = os.path.abspath(root)
        self.environ = os.environ if environ is None else environ

    def _real(self, path: str) -> str:
        return path if self.root == "/" else self.root + path

    # os.uname() is what platform.system() and platform.machine() read on POSIX, without importing platform.
    def system(self) -> str:
        return os.uname().sysname

    def machine(self) -> str:
        return os.uname().machine

    def mac_ver(self) -> str:
        return ""

    def sysctl(self, name: str) -> str | None:
        return None

    def env(self, name: str) -> str | None:
        return self.environ.get(name)

    def ancestors(self) -> list[Process]:
        return []

    def kind(self, path: str) -> Kind | None:
        try:
            mode = os.lstat(self._real(path)).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            return "symlink"
        return "dir" if stat.S_ISDIR(mode) else "file"

    def readlink(self, path: str) -> str | None:
        try:
            return os.readlink(self._real(path))
        except (OSError, ValueError):
            return None

    def listdir(self, path: str) -> list[str]:
        try:
            return os.listdir(self._real(path))
        except (OSError, ValueError):
            return []

    def read_text(self, path: str, limit: int = TEXT_LIMIT) -> str | None:
        try:
            with open(self._real(path), encoding="utf-8", errors="replace") as handle:
                return handle.read(limit)
        except (OSError, ValueError):
            return None

    def read_head(self, path: str, size: int) -> bytes:
        try:
            with open(self._real(path), "rb") as handle:
                return handle.read(size)
        except (OSError, ValueError):
            return b""

    def read_macho(self, path: str) -> MachOInfo:
        try:
            with open(self._real(path), "rb") as handle:

                def read(offset: int, size: int) -> bytes:
                    handle.seek(offset)
                    return handle.read(size)

                return read_macho_from(read)
        except (OSError, ValueError):
            return read_macho_from(lambda offset, size: b"")


class LinuxHost(LocalHost):
    """Any non-macOS system: sysctl OIDs of macOS do not exist there."""


class MacHost(LocalHost):
    """A live Mac: sysctl values through sysctlbyname(3), without spawning `sysctl`."""

    def mac_ver(self) -> str:
        import platform  # reads SystemVersion.plist: the version this Python is told (10.16 in compat mode)

        return platform.mac_ver()[0]

    def sysctl(self, name: str) -> str | None:
        import ctypes

        libc = _libsystem()
        size = ctypes.c_size_t(0)
        if libc.sysctlbyname(name.encode(), None, ctypes.byref(size), None, 0) != 0:
            return None  # ENOENT: the OID does not exist (e.g. hw.optional.arm64 on Intel)
        buffer = ctypes.create_string_buffer(size.value)
        if libc.sysctlbyname(name.encode(), buffer, ctypes.byref(size), None, 0) != 0:
            return None
        return decode_sysctl(name, buffer.raw[: size.value])

    def ancestors(self) -> list[Process]:
        chain: list[Process] = []
        pid = os.getppid()
        while pid > 1 and len(chain) < MAX_ANCESTORS:
            raw = _kinfo_proc(pid)
            if raw is None:
                break
            process, parent = decode_kinfo_proc(pid, raw)
            chain.append(process)
            pid = parent
        return chain


# struct kinfo_proc of 64-bit macOS (arm64 and x86_64 alike): kp_proc (struct extern_proc, <sys/proc.h>) starts it;
# p_flag is the int after the p_un union (16 bytes) and two pointers, p_comm[MAXCOMLEN + 1] is at 243, and
# kp_eproc.e_ppid at 560, in a 648-byte struct. Layout:
# https://github.com/apple-oss-distributions/xnu/blob/main/bsd/sys/proc.h (extern_proc, P_TRANSLATED 0x00020000)
# and https://github.com/codemodify/systemkit-processes/blob/master/internal/runing-process-frompid_darwin-impl.go
# (pid at 40, comm at 243, ppid at 560, size 648).
KINFO_PROC_SIZE = 648
P_FLAG_OFFSET, P_COMM_OFFSET, E_PPID_OFFSET = 32, 243, 560
P_TRANSLATED = 0x00020000
CTL_KERN, KERN_PROC, KERN_PROC_PID = 1, 14, 1
# Terminal, login, the shell, a wrapper or two: the shell a user typed in is within a few levels.
MAX_ANCESTORS = 8


def decode_kinfo_proc(pid: int, raw: bytes) -> tuple[Process, int]:
    """The process a `struct kinfo_proc` describes, and its parent's pid."""
    flag = int.from_bytes(raw[P_FLAG_OFFSET : P_FLAG_OFFSET + 4], "little", signed=True)
    name = raw[P_COMM_OFFSET : P_COMM_OFFSET + 17].split(b"\0", 1)[0].decode("utf-8", "replace")
    parent = int.from_bytes(raw[E_PPID_OFFSET : E_PPID_OFFSET + 4], "little", signed=True)
    return Process(pid, name, bool(flag & P_TRANSLATED)), parent


def _kinfo_proc(pid: int) -> bytes | None:
    import ctypes

    mib = (ctypes.c_int * 4)(CTL_KERN, KERN_PROC, KERN_PROC_PID, pid)
    buffer = ctypes.create_string_buffer(KINFO_PROC_SIZE)
    size = ctypes.c_size_t(KINFO_PROC_SIZE)
    if (
        _libsystem().sysctl(mib, 4, buffer, ctypes.byref(size), None, ctypes.c_size_t(0)) != 0
        or size.value < KINFO_PROC_SIZE
    ):
        return None  # gone, or not ours to read
    return buffer.raw


@cache
def _libsystem() -> Any:
    import ctypes  # Mac only, and only when a sysctl is read

    return ctypes.CDLL("/usr/lib/libSystem.B.dylib", use_errno=True)


def live_host() -> LocalHost:
    return MacHost() if os.uname().sysname == "Darwin" else LinuxHost()
