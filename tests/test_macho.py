import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfm1.macho import Slice, read_macho, read_macho_from, synthesize_header

FIXTURES = Path(__file__).parent / "fixtures" / "macho"


def head(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_thin_arm64_extension_module() -> None:
    info = read_macho(head("markupsafe-arm64.head"))
    assert (info.kind, info.archs, info.filetype) == ("thin", ("arm64",), "bundle")
    assert info.has("arm64") and not info.has("x86_64")


def test_thin_x86_64_extension_module() -> None:
    info = read_macho(head("markupsafe-x86_64.head"))
    assert (info.kind, info.archs, info.filetype) == ("thin", ("x86_64",), "bundle")
    assert not info.has("arm64")


def test_universal2_is_fat_with_both_slices() -> None:
    info = read_macho(head("markupsafe-universal2.head"))
    assert info.kind == "fat"
    assert sorted(info.archs) == ["arm64", "x86_64"]


def test_metal_plugin_is_an_arm64_dylib() -> None:
    info = read_macho(head("libmetal_plugin-1.2.0.head"))
    assert (info.kind, info.archs, info.filetype) == ("thin", ("arm64",), "dylib")


@pytest.mark.parametrize(
    ("fixture", "minos", "sdk"),
    [
        # The wheel is tagged macosx_12_0 but its plugin's LC_BUILD_VERSION says 12.1.
        ("libmetal_plugin-1.2.0.head", "12.1", "15.2"),
        ("markupsafe-arm64.head", "11.0", "15.5"),
        ("markupsafe-x86_64.head", "10.9", "15.5"),
    ],
)
def test_minimum_macos_and_sdk_from_lc_build_version(fixture: str, minos: str, sdk: str) -> None:
    (only,) = read_macho(head(fixture)).slices
    assert (only.minos, only.sdk) == (minos, sdk)


def _thin_with(command: bytes) -> bytes:
    header = struct.pack("<IiIIIIII", 0xFEEDFACF, 0x0100000C, 0, 2, 2, 24 + len(command), 0, 0)
    return header + struct.pack("<II", 0x2A, 16) + b"\0" * 8 + command  # LC_SOURCE_VERSION first


def test_old_lc_version_min_macosx() -> None:
    # An interpreter linked with the 10.9 SDK: version 10.9, sdk 10.9 (nibbles xxxx.yy.zz).
    command = struct.pack("<IIII", 0x24, 16, 0x000A0900, 0x000A0900)
    assert read_macho(_thin_with(command)).slices == (Slice("arm64", "10.9", "10.9"),)


def test_lc_build_version_for_another_platform_is_not_macos() -> None:
    command = struct.pack("<IIIIII", 0x32, 24, 2, 0x000E0000, 0x000E0000, 0)  # platform 2: iOS
    assert read_macho(_thin_with(command)).slices == (Slice("arm64"),)


def test_damaged_load_commands_end_the_walk() -> None:
    header = struct.pack("<IiIIIIII", 0xFEEDFACF, 0x0100000C, 0, 2, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0)
    assert read_macho(header + struct.pack("<II", 0x19, 0)).slices == (Slice("arm64"),)


def test_fat_slices_are_read_at_their_offsets() -> None:
    thin = _thin_with(struct.pack("<IIIIII", 0x32, 24, 1, 0x000C0000, 0x000F0000, 0))
    fat = struct.pack(">II", 0xCAFEBABE, 1) + struct.pack(">IIIII", 0x0100000C, 0, 0x4000, len(thin), 14)
    data = fat.ljust(0x4000, b"\0") + thin
    assert read_macho(data[:512]).slices == (Slice("arm64"),)  # the slice is not in the head
    assert read_macho_from(lambda offset, size: data[offset : offset + size]).slices == (
        Slice("arm64", "12.0", "15.0"),
    )


def test_fat_slice_pointing_at_its_own_header_ends() -> None:
    fat = struct.pack(">II", 0xCAFEBABE, 1) + struct.pack(">IIIII", 0x0100000C, 0, 0, 64, 14)
    assert read_macho_from(lambda offset, size: fat[offset : offset + size]).slices == (Slice("arm64"),)


@pytest.mark.parametrize("size", [0, 3, 7, 12])
def test_truncated_input_is_reported_not_raised(size: int) -> None:
    info = read_macho(head("markupsafe-arm64.head")[:size])
    assert info.kind == "truncated"
    assert not info.is_macho


def test_fat_header_cut_inside_the_slice_table() -> None:
    info = read_macho(head("markupsafe-universal2.head")[:20])
    assert info.kind == "truncated"


def test_java_class_file_is_not_macho() -> None:
    # CAFEBABE, minor 0, major 65 (Java 21): read as a fat header this claims 65 slices.
    java = bytes.fromhex("cafebabe") + struct.pack(">HH", 0, 65) + b"\0" * 64
    info = read_macho(java)
    assert info.kind == "not-macho"
    assert "Java" in info.detail


def test_elf_and_text_are_not_macho() -> None:
    assert read_macho(b"\x7fELF\x02\x01\x01" + b"\0" * 57).kind == "not-macho"
    assert read_macho(b'#!/bin/sh\nexec python3 "$@"\n').kind == "not-macho"


def test_fat64_and_arm64e_and_x86_64h() -> None:
    data = struct.pack(">II", 0xCAFEBABF, 2)
    data += struct.pack(">IIQQII", 0x01000007, 8, 0x4000, 0x100, 14, 0)  # x86_64h
    data += struct.pack(">IIQQII", 0x0100000C, 0x80000002, 0x8000, 0x100, 14, 0)  # arm64e, PAC ABI bits set
    info = read_macho(data)
    assert (info.kind, info.archs) == ("fat", ("x86_64h", "arm64e"))
    assert info.has("arm64")


def test_big_endian_32_bit_ppc() -> None:
    data = struct.pack(">IiIIIII", 0xFEEDFACE, 18, 0, 2, 0, 0, 0)
    assert read_macho(data).archs == ("ppc",)


@pytest.mark.parametrize("archs", [["arm64"], ["x86_64"], ["x86_64", "arm64"], ["x86_64", "arm64e"], []])
def test_synthesized_headers_read_back(archs: list[str]) -> None:
    assert list(read_macho(synthesize_header(archs)).archs) == archs


@given(st.binary(max_size=2048))
def test_any_bytes_give_a_result(data: bytes) -> None:
    info = read_macho(data)
    assert info.kind in ("thin", "fat", "not-macho", "truncated")


@given(
    st.sampled_from([b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xce"]),
    st.binary(max_size=400),
)
def test_any_bytes_after_a_real_magic_give_a_result(magic: bytes, rest: bytes) -> None:
    info = read_macho(magic + rest)
    assert info.kind in ("thin", "fat", "not-macho", "truncated")


WHEELS = [
    (
        "markupsafe",
        "markupsafe-3.0.3-cp311-cp311-macosx_11_0_arm64.whl",
        "4bd4cd07944443f5a265608cc6aab442e4f74dff8088b0dfc8238647b8f6ae9a",
        "markupsafe/_speedups.cpython-311-darwin.so",
        "markupsafe-arm64.head",
    ),
    (
        "markupsafe",
        "markupsafe-3.0.3-cp311-cp311-macosx_10_9_x86_64.whl",
        "1cc7ea17a6824959616c525620e387f6dd30fec8cb44f649e31712db02123dad",
        "markupsafe/_speedups.cpython-311-darwin.so",
        "markupsafe-x86_64.head",
    ),
    (
        "markupsafe",
        "MarkupSafe-3.0.2-cp311-cp311-macosx_10_9_universal2.whl",
        "9025b4018f3a1314059769c7bf15441064b2207cb3f065e6ea1e7359cb46db9d",
        "markupsafe/_speedups.cpython-311-darwin.so",
        "markupsafe-universal2.head",
    ),
    (
        "tensorflow-metal",
        "tensorflow_metal-1.2.0-cp311-cp311-macosx_12_0_arm64.whl",
        "5fa7cee627031c14f45bd97ff0ef422cd6c3866199ff99cf29b94db6674ceb42",
        "tensorflow-plugins/libmetal_plugin.dylib",
        "libmetal_plugin-1.2.0.head",
    ),
]


@pytest.mark.network
@pytest.mark.parametrize(("project", "filename", "sha256", "member", "fixture"), WHEELS)
def test_fixtures_match_the_real_wheels(project: str, filename: str, sha256: str, member: str, fixture: str) -> None:
    from tests.support.pypi_files import fetch_wheel

    binary = zipfile.ZipFile(fetch_wheel(project, filename, sha256)).read(member)
    assert binary[: len(head(fixture))] == head(fixture)
    whole = read_macho_from(lambda offset, size: binary[offset : offset + size])
    assert whole.archs == read_macho(head(fixture)).archs
    if whole.kind == "thin":  # a thin fixture holds every load command
        assert whole == read_macho(head(fixture))
    else:  # the universal2 slices lie beyond the fixture's 512 bytes
        assert [(s.arch, s.minos) for s in whole.slices] == [("x86_64", "10.9"), ("arm64", "11.0")]
