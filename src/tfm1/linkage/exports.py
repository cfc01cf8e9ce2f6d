"""An image's install name, dependencies and export trie, read with the standard library.

LIEF builds a model of the whole binary (every symbol, section, relocation and function start): for TensorFlow's
650 MB libtensorflow_cc that is about 2 GB of memory and most of a minute. The linkage check needs only the load
commands and the export trie, a few percent of the file: they are read with seek and read, nothing else is.

Layouts are from <mach-o/loader.h> and <mach-o/fat.h>; the export trie's node format is described in loader.h next
to `EXPORT_SYMBOL_FLAGS_REEXPORT` and walked the way dyld's `MachOLoaded::trieWalk` does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tfm1.macho import CPU_TYPE_ARM64, FAT_MAGIC, FAT_MAGIC_64, MAX_FAT_ARCHS, MH_MAGIC_64

MACH_HEADER_64 = 32
LC_REQ_DYLD = 0x80000000
LC_ID_DYLIB = 0xD
LC_DYLD_INFO = 0x22
LC_DYLD_INFO_ONLY = 0x22 | LC_REQ_DYLD
LC_DYLD_EXPORTS_TRIE = 0x33 | LC_REQ_DYLD
# The commands that name a library, in ordinal order: a re-export's library ordinal counts these, from 1.
DYLIB_COMMANDS = {
    0xC: "load",  # LC_LOAD_DYLIB
    0x18 | LC_REQ_DYLD: "weak",  # LC_LOAD_WEAK_DYLIB
    0x1F | LC_REQ_DYLD: "reexport",  # LC_REEXPORT_DYLIB
    0x23 | LC_REQ_DYLD: "upward",  # LC_LOAD_UPWARD_DYLIB
    0x20: "lazy",  # LC_LAZY_LOAD_DYLIB
}
EXPORT_SYMBOL_FLAGS_REEXPORT = 0x08
UNKNOWN_LIBRARY = "?"  # a re-export whose ordinal names no library


class MachOError(Exception):
    """Not an arm64 Mach-O image, or one whose load commands or export trie are cut short or malformed."""


@dataclass
class LoadCommands:
    """What the load commands of an arm64 slice say; offsets are from the start of the file."""

    install_name: str | None = None
    dependencies: list[tuple[str, str]] = field(default_factory=list)  # (install name, kind)
    trie: tuple[int, int] = (0, 0)  # (file offset, size) of the export trie


def _cstring(data: bytes, start: int, end: int) -> str:
    stop = data.find(b"\0", start, end)
    return data[start : stop if stop >= 0 else end].decode("utf-8", "replace")


def arm64_slice(head: bytes) -> int:
    """File offset of the arm64 image: 0 for a thin file, the slice's offset in a fat (universal) one."""
    if len(head) < 8:
        raise MachOError("too short for a Mach-O header")
    magic = struct.unpack_from(">I", head)[0]
    if magic in (FAT_MAGIC, FAT_MAGIC_64):
        count = struct.unpack_from(">I", head, 4)[0]
        entry = 32 if magic == FAT_MAGIC_64 else 20
        if count == 0 or count > MAX_FAT_ARCHS or len(head) < 8 + count * entry:
            raise MachOError("not a Mach-O file (a fat header that lists no readable slice)")
        for index in range(count):
            at = 8 + index * entry
            cputype = struct.unpack_from(">i", head, at)[0]
            if cputype == CPU_TYPE_ARM64:
                fmt = ">Q" if magic == FAT_MAGIC_64 else ">I"
                return int(struct.unpack_from(fmt, head, at + 8)[0])
        raise MachOError("has no arm64 slice")
    if struct.unpack_from("<I", head)[0] == MH_MAGIC_64:
        return 0
    if struct.unpack_from("<I", head)[0] in (0xFEEDFACE, 0xCEFAEDFE, 0xCFFAEDFE):  # 32-bit or big-endian images
        return 0  # a Mach-O image, but not a 64-bit arm64 one: load_commands_size says so
    raise MachOError("is not a Mach-O file")


def load_commands_size(image: bytes) -> int:
    """How many leading bytes of an image (a thin file, or one slice) hold its header and load commands."""
    if len(image) < MACH_HEADER_64:
        raise MachOError("the Mach-O header is cut short")
    magic, cputype = struct.unpack_from("<Ii", image)
    if magic != MH_MAGIC_64 or cputype != CPU_TYPE_ARM64:
        raise MachOError("has no arm64 slice")
    sizeof_cmds = struct.unpack_from("<I", image, 20)[0]
    return MACH_HEADER_64 + int(sizeof_cmds)


def parse_load_commands(image: bytes, base: int = 0) -> LoadCommands:
    """The load commands at the start of `image`, the arm64 image found at file offset `base`."""
    end = load_commands_size(image)
    if len(image) < end:
        raise MachOError(f"the load commands end at byte {end}, only {len(image)} were read")
    count = struct.unpack_from("<I", image, 16)[0]
    found = LoadCommands()
    dyld_info: tuple[int, int] | None = None
    exports_trie: tuple[int, int] | None = None
    at = MACH_HEADER_64
    for _ in range(count):
        if at + 8 > end:
            raise MachOError("a load command runs past the end of the load commands")
        cmd, size = struct.unpack_from("<II", image, at)
        if size < 8 or at + size > end:
            raise MachOError(f"load command {cmd:#x} has a bad size ({size})")
        if cmd == LC_ID_DYLIB or cmd in DYLIB_COMMANDS:
            name_offset = struct.unpack_from("<I", image, at + 8)[0] if size >= 12 else size
            name = _cstring(image, at + name_offset, at + size)
            if cmd in DYLIB_COMMANDS:
                found.dependencies.append((name, DYLIB_COMMANDS[cmd]))
            elif found.install_name is None:
                found.install_name = name
        elif cmd in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY) and size >= 48:
            export_off, export_size = struct.unpack_from("<II", image, at + 40)
            dyld_info = (base + export_off, export_size)
        elif cmd == LC_DYLD_EXPORTS_TRIE and size >= 16:
            data_off, data_size = struct.unpack_from("<II", image, at + 8)
            exports_trie = (base + data_off, data_size)
        at += size
    # An image with both names its exports in LC_DYLD_INFO (as LIEF reads it); newer linkers write only the trie.
    chosen = dyld_info if dyld_info is not None else exports_trie
    if chosen is not None and chosen[1] > 0:
        found.trie = chosen
    return found


def _uleb(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise MachOError("a ULEB128 number in the export trie is too long")


class Export(NamedTuple):
    name: str
    reexport_ordinal: int | None = None  # set for a re-export: the library ordinal (from 1)
    imported: str = ""  # the name in that library; empty means the same name


def walk_trie(trie: bytes) -> Iterator[Export]:
    """Every terminal of an export trie, depth first; a loop or an out-of-range offset is a MachOError.

    This loop runs once per node (half a million in libtensorflow_cc): one-byte numbers are read inline.
    """
    budget = len(trie)  # every node takes at least two bytes, so a walk that visits more nodes is in a loop
    stack: list[tuple[int, bytes]] = [(0, b"")]
    find = trie.index
    try:
        while stack:
            node, prefix = stack.pop()
            budget -= 1
            if budget < 0:
                raise MachOError("the export trie has a loop")
            terminal_size = trie[node]
            at = node + 1
            if terminal_size >= 0x80:
                terminal_size, at = _uleb(trie, node)
            if terminal_size:
                flags, info = _uleb(trie, at)
                if flags & EXPORT_SYMBOL_FLAGS_REEXPORT:
                    ordinal, info = _uleb(trie, info)
                    stop = find(b"\0", info)
                    yield Export(prefix.decode("utf-8", "replace"), ordinal, trie[info:stop].decode("utf-8", "replace"))
                else:
                    yield Export(prefix.decode("utf-8", "replace"))
            at += terminal_size
            children = trie[at]
            at += 1
            for _ in range(children):
                stop = find(b"\0", at)
                label = trie[at:stop]
                child = trie[stop + 1]
                at = stop + 2
                if child >= 0x80:  # child offsets in a big trie take three or four bytes
                    child, at = _uleb(trie, stop + 1)
                stack.append((child, prefix + label))
    except (IndexError, ValueError):
        raise MachOError("the export trie is cut short or malformed") from None


Reader = Callable[[int, int], bytes]  # (file offset, size) -> bytes


def _read_image(read: Reader) -> tuple[LoadCommands, bytes]:
    head = read(0, 4096)
    offset = arm64_slice(head)
    size = load_commands_size(read(offset, MACH_HEADER_64))
    commands = parse_load_commands(read(offset, size), offset)
    start, size = commands.trie
    trie = read(start, size) if size else b""
    if len(trie) != size:
        raise MachOError("the export trie runs past the end of the file")
    return commands, trie


def read_file(path: Path) -> tuple[LoadCommands, bytes]:
    """Load commands and export trie of an image file, reading only those bytes."""
    with path.open("rb") as handle:

        def read(start: int, size: int) -> bytes:
            handle.seek(start)
            return handle.read(size)

        return _read_image(read)


def read_bytes(data: bytes) -> tuple[LoadCommands, bytes]:
    return _read_image(lambda start, size: data[start : start + size])
