"""The standard-library reader of load commands and export tries, on images laid out byte by byte here.

Layouts follow <mach-o/loader.h>: a 64-bit header, dylib commands (name at offset 24), LC_DYLD_EXPORTS_TRIE or
LC_DYLD_INFO_ONLY pointing at the trie, and trie nodes as `uleb terminal size, [uleb flags, uleb address | uleb
ordinal + imported name], child count, (edge label\\0, uleb child offset)*`.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tfm1.linkage.exports import walk_trie
from tfm1.linkage.images import (
    Dependency,
    ImageInfo,
    NotMachO,
    PluginImports,
    read_head,
    read_image,
    sizeof_load_commands,
)

MH_MAGIC_64 = 0xFEEDFACF
ARM64, X86_64 = 0x0100000C, 0x01000007
LC_ID_DYLIB, LC_LOAD_DYLIB, LC_REEXPORT_DYLIB = 0xD, 0xC, 0x8000001F
LC_DYLD_INFO_ONLY, LC_DYLD_EXPORTS_TRIE = 0x80000022, 0x80000033
SYSTEM = "/usr/lib/libSystem.B.dylib"
INNER = "@rpath/libtensorflow_cc.2.dylib"


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def padded_uleb(value: int) -> bytes:
    """`value` in exactly four ULEB128 bytes (continuation bits on the first three): valid, and of a known size."""
    return bytes([(value >> 0) & 0x7F | 0x80, (value >> 7) & 0x7F | 0x80, (value >> 14) & 0x7F | 0x80, value >> 21])


Node = tuple[bytes, list[tuple[bytes, "Node"]]]  # (terminal info, [(edge label, child)])


def encode_trie(root: Node) -> bytes:
    """Lay the nodes out breadth first; offsets are encoded in four bytes so that sizes are known up front."""
    order: list[Node] = []
    queue = [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        queue += [child for _, child in node[1]]

    def size(node: Node) -> int:
        info, children = node
        return len(uleb(len(info))) + len(info) + 1 + sum(len(label) + 1 + 4 for label, _ in children)

    offsets, at = {}, 0
    for node in order:
        offsets[id(node)] = at
        at += size(node)
    out = bytearray()
    for info, children in order:
        out += uleb(len(info)) + info + bytes([len(children)])
        for label, child in children:
            target = offsets[id(child)]
            out += label + b"\0" + padded_uleb(target)
    return bytes(out)


def export(address: int) -> bytes:
    return uleb(0) + uleb(address)


def reexport(ordinal: int, imported: str = "") -> bytes:
    return uleb(0x08) + uleb(ordinal) + imported.encode() + b"\0"


# _TF_A and _TF_B share the prefix `_TF_`; _alias re-exports INNER's _real; _same re-exports INNER's _same.
TRIE: Node = (
    b"",
    [
        (b"_TF_", (b"", [(b"A", (export(0x10), [])), (b"B", (export(0x20), []))])),
        (b"_alias", (reexport(2, "_real"), [])),
        (b"_same", (reexport(2), [])),
    ],
)


def dylib(cmd: int, name: str) -> bytes:
    raw = name.encode() + b"\0"
    raw += b"\0" * (-(24 + len(raw)) % 8)
    return struct.pack("<IIIIII", cmd, 24 + len(raw), 24, 2, 0x10000, 0x10000) + raw


def image(
    trie: bytes, *, dyld_info: bool = False, cputype: int = ARM64, install_name: str | None = "@rpath/x"
) -> bytes:
    commands = [dylib(LC_ID_DYLIB, install_name)] if install_name else []
    commands += [dylib(LC_LOAD_DYLIB, SYSTEM), dylib(LC_REEXPORT_DYLIB, INNER)]
    trie_command_size = 48 if dyld_info else 16
    trie_at = 32 + sum(map(len, commands)) + trie_command_size
    if dyld_info:
        commands.append(struct.pack("<12I", LC_DYLD_INFO_ONLY, 48, 0, 0, 0, 0, 0, 0, 0, 0, trie_at, len(trie)))
    else:
        commands.append(struct.pack("<4I", LC_DYLD_EXPORTS_TRIE, 16, trie_at, len(trie)))
    body = b"".join(commands)
    header = struct.pack("<IiIIIIII", MH_MAGIC_64, cputype, 0, 6, len(commands), len(body), 0, 0)
    return header + body + trie


def fat(*slices: tuple[int, bytes]) -> bytes:
    """A universal file with each slice at a multiple of 0x4000, as lipo aligns them."""
    header = struct.pack(">II", 0xCAFEBABE, len(slices))
    out = bytearray()
    at = 0x4000
    for cputype, data in slices:
        header += struct.pack(">IIIII", cputype, 0, at, len(data), 14)
        at += (len(data) + 0x3FFF) // 0x4000 * 0x4000
    out += header + b"\0" * (0x4000 - len(header))
    for _, data in slices:
        out += data + b"\0" * (-len(data) % 0x4000)
    return bytes(out)


@pytest.mark.parametrize("dyld_info", [False, True], ids=["exports-trie", "dyld-info"])
def test_exports_and_reexports_are_read_from_the_trie(tmp_path: Path, dyld_info: bool) -> None:
    path = tmp_path / "lib.dylib"
    path.write_bytes(image(encode_trie(TRIE), dyld_info=dyld_info))
    info = read_image(path)
    assert info.install_name == "@rpath/x"
    assert info.dependencies == [Dependency(SYSTEM, "load"), Dependency(INNER, "reexport")]
    assert info.exports == {"_TF_A", "_TF_B"}
    # Ordinal 2 is the second library command (LC_ID_DYLIB does not count): an empty imported name is the same name.
    assert info.reexports == {"_alias": (INNER, "_real"), "_same": (INNER, "_same")}
    assert read_image(path.read_bytes()).to_json() == info.to_json()


def test_summaries_come_back_from_their_json_and_another_version_reads_as_absent() -> None:
    info = ImageInfo("@rpath/x", [Dependency(INNER, "reexport")], exports={"_TF_A"}, reexports={"_a": (INNER, "_b")})
    plugin = PluginImports(None, [Dependency(SYSTEM, "weak")], by_library={SYSTEM: {"_malloc": False}}, flat={})
    stored = json.loads(json.dumps([info.to_json(), plugin.to_json()]))
    assert ImageInfo.from_json(stored[0]) == info
    assert PluginImports.from_json(stored[1]) == plugin
    assert ImageInfo.from_json({**stored[0], "version": 0}) is None
    assert PluginImports.from_json({**stored[1], "version": 2}) is None


def test_the_arm64_slice_of_a_universal_file_is_read(tmp_path: Path) -> None:
    arm = image(encode_trie(TRIE))
    intel = image(encode_trie((b"", [(b"_intel_only", (export(1), []))])), cputype=X86_64)
    data = fat((X86_64, intel), (ARM64, arm))
    (tmp_path / "fat.dylib").write_bytes(data)
    assert read_image(tmp_path / "fat.dylib").exports == {"_TF_A", "_TF_B"}
    assert sizeof_load_commands(data[:64]) == 0x8000 + 32  # the slice's header is past what was read: read it
    assert sizeof_load_commands(data) == 0x8000 + len(arm) - len(encode_trie(TRIE))
    assert read_head(data)[0] == "@rpath/x"


def test_an_image_without_an_install_name_or_trie(tmp_path: Path) -> None:
    info = read_image(image(b"", install_name=None))
    assert info.install_name is None
    assert (info.exports, info.reexports) == (set(), {})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (image(encode_trie(TRIE), cputype=X86_64), "no arm64 slice"),
        (fat((X86_64, image(b"", cputype=X86_64))), "no arm64 slice"),
        (b"\x7fELF" + bytes(60), "not a Mach-O file"),
        (image(encode_trie(TRIE))[:-3], "export trie"),  # the trie is cut short
        (image(b"\x00\x01_a\x00\x00"), "loop"),  # the only edge points back at the root
        (image(b"\x00\x01_a\x00\xff"), "export trie"),  # a child offset whose ULEB128 never ends
    ],
    ids=["x86_64", "fat-without-arm64", "elf", "truncated-trie", "loop", "bad-uleb"],
)
def test_malformed_input_is_not_macho(data: bytes, message: str) -> None:
    with pytest.raises(NotMachO, match=message):
        read_image(data)


def test_load_commands_cut_short_are_not_macho() -> None:
    data = image(encode_trie(TRIE))
    needed = sizeof_load_commands(data)
    assert read_head(data[:needed])[0] == "@rpath/x"
    with pytest.raises(NotMachO, match="load commands"):
        read_head(data[: needed - 1])


def test_a_long_walk_yields_every_name_with_its_full_prefix() -> None:
    names = [f"__ZN10tensorflow{i}Ev" for i in range(200)]
    root: Node = (
        b"",
        [(b"__ZN10tensorflow", (b"", [(n[16:].encode(), (export(i), [])) for i, n in enumerate(names)]))],
    )
    assert sorted(e.name for e in walk_trie(encode_trie(root))) == sorted(names)


def test_reading_an_image_does_not_load_lief(tmp_path: Path) -> None:
    """LIEF models the whole binary (2 GB for libtensorflow_cc): the images are read without it."""
    path = tmp_path / "lib.dylib"
    path.write_bytes(image(encode_trie(TRIE)))
    code = (
        "import sys\nfrom pathlib import Path\nfrom tfm1.linkage.images import read_image, read_head\n"
        f"read_image(Path({str(path)!r}))\nread_head(Path({str(path)!r}).read_bytes())\n"
        "print('lief' in sys.modules)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
