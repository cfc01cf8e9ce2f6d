"""Which CPU architectures a Mach-O file holds and the macOS each slice needs (standard library only).

Never raises: garbage, truncated files and Java class files (which share FAT_MAGIC) come back as a
result whose `kind` says so. Constants are from <mach-o/loader.h>, <mach-o/fat.h>, <mach/machine.h>.
The minimum macOS of a slice is `minos` of its LC_BUILD_VERSION (platform 1, macOS) or, in binaries
linked before macOS 10.14's tools, `version` of LC_VERSION_MIN_MACOSX; both carry the SDK it was built
against, encoded as xxxx.yy.zz nibbles (loader.h: "X.Y.Z is encoded in nibbles xxxx.yy.zz").
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Literal, NamedTuple

MH_MAGIC = 0xFEEDFACE
MH_MAGIC_64 = 0xFEEDFACF
FAT_MAGIC = 0xCAFEBABE
FAT_MAGIC_64 = 0xCAFEBABF

CPU_ARCH_ABI64 = 0x01000000
CPU_ARCH_ABI64_32 = 0x02000000
CPU_TYPE_X86 = 7
CPU_TYPE_X86_64 = CPU_TYPE_X86 | CPU_ARCH_ABI64
CPU_TYPE_ARM = 12
CPU_TYPE_ARM64 = CPU_TYPE_ARM | CPU_ARCH_ABI64
CPU_TYPE_ARM64_32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32
CPU_TYPE_POWERPC = 18
CPU_TYPE_POWERPC64 = CPU_TYPE_POWERPC | CPU_ARCH_ABI64
CPU_SUBTYPE_MASK = 0xFF000000  # capability bits (e.g. pointer authentication ABI version)
CPU_SUBTYPE_X86_64_H = 8
CPU_SUBTYPE_ARM64E = 2

LC_VERSION_MIN_MACOSX = 0x24
LC_BUILD_VERSION = 0x32
PLATFORM_MACOS = 1
# Load commands of real binaries fit in a few KB; a header claiming more than this is damaged.
MAX_SIZEOFCMDS = 1 << 20

FILETYPES = {1: "object", 2: "execute", 6: "dylib", 8: "bundle"}

# Real fat files hold a handful of slices; a Java class file has its major version (>= 45) here.
MAX_FAT_ARCHS = 16

Kind = Literal["thin", "fat", "not-macho", "truncated"]


class Slice(NamedTuple):
    arch: str
    minos: str = ""  # the oldest macOS it loads on; empty when its load commands were not read
    sdk: str = ""  # the SDK it was built against: 10.15 or older makes macOS report 10.16 to it


class MachOInfo(NamedTuple):
    kind: Kind
    archs: tuple[str, ...] = ()
    filetype: str | None = None
    detail: str = ""
    slices: tuple[Slice, ...] = ()  # one per arch, in the same order

    def slice(self, arch: str) -> Slice | None:
        """The slice that runs as `arch` (arm64e counts as arm64)."""
        return next((s for s in self.slices if s.arch == arch or (arch == "arm64" and s.arch == "arm64e")), None)

    @property
    def is_macho(self) -> bool:
        return self.kind in ("thin", "fat")

    def has(self, arch: str) -> bool:
        """Whether a slice runs as `arch`; arm64e slices count as arm64."""
        return any(a == arch or (arch == "arm64" and a == "arm64e") for a in self.archs)


NOT_MACHO = MachOInfo("not-macho")


def arch_name(cputype: int, cpusubtype: int) -> str:
    subtype = cpusubtype & ~CPU_SUBTYPE_MASK
    if cputype == CPU_TYPE_X86_64:
        return "x86_64h" if subtype == CPU_SUBTYPE_X86_64_H else "x86_64"
    if cputype == CPU_TYPE_ARM64:
        return "arm64e" if subtype == CPU_SUBTYPE_ARM64E else "arm64"
    names = {
        CPU_TYPE_X86: "i386",
        CPU_TYPE_ARM: "arm",
        CPU_TYPE_ARM64_32: "arm64_32",
        CPU_TYPE_POWERPC: "ppc",
        CPU_TYPE_POWERPC64: "ppc64",
    }
    return names.get(cputype, f"cputype({cputype:#x})")


def read_macho(data: bytes) -> MachOInfo:
    if len(data) < 8:
        return MachOInfo("truncated", detail=f"{len(data)} bytes: too short for a Mach-O header")
    magic_be = struct.unpack_from(">I", data)[0]
    if magic_be in (FAT_MAGIC, FAT_MAGIC_64):
        return _read_fat(data, is_64=magic_be == FAT_MAGIC_64)
    thin = _read_thin_any(data)
    if thin is not None:
        return thin
    return MachOInfo("not-macho", detail=f"magic {data[:4].hex()} is not a Mach-O magic")


def _read_thin_any(data: bytes) -> MachOInfo | None:
    for order in ("<", ">"):
        if len(data) >= 8 and struct.unpack_from(order + "I", data)[0] in (MH_MAGIC, MH_MAGIC_64):
            return _read_thin(data, order)
    return None


def _read_thin(data: bytes, order: str) -> MachOInfo:
    if len(data) < 16:
        return MachOInfo("truncated", detail="header cut short")
    cputype, cpusubtype, filetype = struct.unpack_from(order + "iII", data, 4)
    arch = arch_name(cputype & 0xFFFFFFFF, cpusubtype)
    minos, sdk = _versions(data, order)
    return MachOInfo("thin", (arch,), FILETYPES.get(filetype), slices=(Slice(arch, minos, sdk),))


def _version(value: int) -> str:
    major, minor, patch = value >> 16, (value >> 8) & 0xFF, value & 0xFF
    return f"{major}.{minor}.{patch}" if patch else f"{major}.{minor}"


def _versions(data: bytes, order: str) -> tuple[str, str]:
    """(minos, sdk) from the load commands present in `data`; empty strings for what is not there."""
    magic = struct.unpack_from(order + "I", data)[0]
    offset = 32 if magic == MH_MAGIC_64 else 28
    if len(data) < offset:
        return "", ""
    ncmds, sizeofcmds = struct.unpack_from(order + "II", data, 16)
    end = min(len(data), offset + min(sizeofcmds, MAX_SIZEOFCMDS))
    for _ in range(min(ncmds, MAX_SIZEOFCMDS // 8)):
        if offset + 8 > end:
            break
        cmd, cmdsize = struct.unpack_from(order + "II", data, offset)
        if cmd == LC_BUILD_VERSION and offset + 16 <= end:
            platform, minos, sdk = struct.unpack_from(order + "III", data, offset + 8)
            if platform == PLATFORM_MACOS:
                return _version(minos), _version(sdk)
        elif cmd == LC_VERSION_MIN_MACOSX and offset + 16 <= end:
            version, sdk = struct.unpack_from(order + "II", data, offset + 8)
            return _version(version), _version(sdk)
        if cmdsize < 8:
            break  # damaged: a command cannot be smaller than its own header
        offset += cmdsize
    return "", ""


def _fat_entries(data: bytes, is_64: bool) -> list[tuple[int, int, int]] | MachOInfo:
    """(cputype, cpusubtype, offset) of each slice, or why there are none."""
    count = struct.unpack_from(">I", data, 4)[0]
    if count == 0 or count > MAX_FAT_ARCHS:
        return MachOInfo("not-macho", detail=f"CAFEBABE with {count} slices: a Java class file or other data")
    entry = 32 if is_64 else 20
    if len(data) < 8 + count * entry:
        return MachOInfo("truncated", detail=f"fat header lists {count} slices but is cut short")
    entries = []
    for index in range(count):
        at = 8 + index * entry
        cputype, cpusubtype = struct.unpack_from(">II", data, at)
        offset = struct.unpack_from(">Q" if is_64 else ">I", data, at + 8)[0]
        entries.append((cputype, cpusubtype, offset))
    return entries


def _read_fat(data: bytes, is_64: bool, read: Callable[[int, int], bytes] | None = None) -> MachOInfo:
    entries = _fat_entries(data, is_64)
    if isinstance(entries, MachOInfo):
        return entries
    slices = []
    for cputype, cpusubtype, offset in entries:
        arch = arch_name(cputype, cpusubtype)
        inner = read(offset, HEAD_SIZE) if read is not None else data[offset : offset + HEAD_SIZE]
        # Only a thin header counts: a fat header pointing at itself must not recurse.
        thin = _read_thin_any(inner)
        slices.append(Slice(arch, *(thin.slices[0][1:] if thin and thin.slices else ("", ""))))
    return MachOInfo("fat", tuple(s.arch for s in slices), slices=tuple(slices))


# Enough for the header and load commands of the binaries doctor reads (a few KB each).
HEAD_SIZE = 32 * 1024


def read_macho_from(read: Callable[[int, int], bytes]) -> MachOInfo:
    """A Mach-O read through `read(offset, size)`: each slice of a fat file is read at its own offset."""
    head = read(0, HEAD_SIZE)
    if len(head) >= 8 and struct.unpack_from(">I", head)[0] in (FAT_MAGIC, FAT_MAGIC_64):
        return _read_fat(head, struct.unpack_from(">I", head)[0] == FAT_MAGIC_64, read)
    return read_macho(head)


_CPU = {
    "i386": (CPU_TYPE_X86, 3),
    "x86_64": (CPU_TYPE_X86_64, 3),
    "x86_64h": (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H),
    "arm": (CPU_TYPE_ARM, 9),
    "arm64": (CPU_TYPE_ARM64, 0),
    "arm64e": (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E),
    "arm64_32": (CPU_TYPE_ARM64_32, 1),
    "ppc": (CPU_TYPE_POWERPC, 0),
    "ppc64": (CPU_TYPE_POWERPC64, 0),
}


def synthesize_header(archs: list[str] | tuple[str, ...]) -> bytes:
    """The header bytes of an executable with these slices: how a replayed snapshot stands in for a binary."""
    known = [_CPU[arch] for arch in archs if arch in _CPU]
    if not known:
        return b"\0" * 8  # recorded as "not a Mach-O"
    if len(known) == 1:
        cputype, subtype = known[0]
        return struct.pack("<IiIIIII", MH_MAGIC_64, cputype, subtype, 2, 0, 0, 0) + b"\0" * 4
    header = struct.pack(">II", FAT_MAGIC, len(known))
    for index, (cputype, subtype) in enumerate(known):
        header += struct.pack(">IIIII", cputype, subtype, 0x4000 * (index + 1), 0x4000, 14)
    return header
