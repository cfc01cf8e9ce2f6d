"""Which CPU architectures a Mach-O file holds, from its first bytes (standard library only).

Never raises: garbage, truncated files and Java class files (which share FAT_MAGIC) come back as a
result whose `kind` says so. Constants are from <mach-o/loader.h>, <mach-o/fat.h>, <mach/machine.h>.
"""

from __future__ import annotations

import struct
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

FILETYPES = {1: "object", 2: "execute", 6: "dylib", 8: "bundle"}

# Real fat files hold a handful of slices; a Java class file has its major version (>= 45) here.
MAX_FAT_ARCHS = 16

Kind = Literal["thin", "fat", "not-macho", "truncated"]


class MachOInfo(NamedTuple):
    kind: Kind
    archs: tuple[str, ...] = ()
    filetype: str | None = None
    detail: str = ""

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
    for order in ("<", ">"):
        magic = struct.unpack_from(order + "I", data)[0]
        if magic in (MH_MAGIC, MH_MAGIC_64):
            return _read_thin(data, order)
    return MachOInfo("not-macho", detail=f"magic {data[:4].hex()} is not a Mach-O magic")


def _read_thin(data: bytes, order: str) -> MachOInfo:
    if len(data) < 16:
        return MachOInfo("truncated", detail="header cut short")
    cputype, cpusubtype, filetype = struct.unpack_from(order + "iII", data, 4)
    return MachOInfo("thin", (arch_name(cputype & 0xFFFFFFFF, cpusubtype),), FILETYPES.get(filetype))


def _read_fat(data: bytes, is_64: bool) -> MachOInfo:
    count = struct.unpack_from(">I", data, 4)[0]
    if count == 0 or count > MAX_FAT_ARCHS:
        return MachOInfo("not-macho", detail=f"CAFEBABE with {count} slices: a Java class file or other data")
    entry = 32 if is_64 else 20
    if len(data) < 8 + count * entry:
        return MachOInfo("truncated", detail=f"fat header lists {count} slices but is cut short")
    archs = []
    for index in range(count):
        cputype, cpusubtype = struct.unpack_from(">II", data, 8 + index * entry)
        archs.append(arch_name(cputype, cpusubtype))
    return MachOInfo("fat", tuple(archs))


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
