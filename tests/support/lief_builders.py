"""Small real Mach-O inputs for the linkage checker, built with LIEF from a real PyPI wheel.

Input: `markupsafe/_speedups.cpython-311-darwin.so` from the markupsafe 3.0.3 macOS arm64 wheel (50 KB; it
imports the Python C API by flat lookup, `_memcpy` from libSystem, and exports `_PyInit__speedups`). Variants are
built from it at test time: an install name (LC_ID_DYLIB), extra LC_LOAD_DYLIB / LC_REEXPORT_DYLIB commands,
extra export-trie entries, and binds moved from flat lookup to a named library.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import lief

from tests.support.pypi_files import fetch_wheel

WHEEL = ("markupsafe", "markupsafe-3.0.3-cp311-cp311-macosx_11_0_arm64.whl")
WHEEL_SHA256 = "4bd4cd07944443f5a265608cc6aab442e4f74dff8088b0dfc8238647b8f6ae9a"
MEMBER = "markupsafe/_speedups.cpython-311-darwin.so"
PROVIDER = "@rpath/_pywrap_tensorflow_internal.so"
INNER = "@rpath/libtensorflow_cc.2.dylib"
BOUND = ("_PyUnicode_New", "_PyModuleDef_Init")  # flat lookups in the original, bound to PROVIDER in the plugin


def extract_speedups(directory: Path) -> Path:
    wheel = fetch_wheel(*WHEEL, WHEEL_SHA256)
    target = directory / "_speedups.so"
    with zipfile.ZipFile(wheel) as archive:
        target.write_bytes(archive.read(MEMBER))
    return target


def _binary(path: Path) -> lief.MachO.Binary:
    lief.logging.disable()
    parsed = lief.MachO.parse(str(path))
    assert parsed is not None
    binary = parsed.at(0)
    assert binary is not None
    return binary


def build_library(
    source: Path, target: Path, install_name: str, exports: tuple[str, ...] = (), reexports: tuple[str, ...] = ()
) -> Path:
    binary = _binary(source)
    binary.add(lief.MachO.DylibCommand.id_dylib(install_name, 0, 0, 0))
    for library in reexports:
        binary.add(lief.MachO.DylibCommand.reexport_dylib(library, 0, 0, 0))
    init = binary.get_symbol("_PyInit__speedups")
    assert init is not None
    address = init.value
    for name in exports:
        binary.add_exported_function(address, name)
    binary.header.file_type = lief.MachO.Header.FILE_TYPE.DYLIB
    target.parent.mkdir(parents=True, exist_ok=True)
    binary.write(str(target))
    return target


def build_plugin(source: Path, target: Path) -> Path:
    """The real extension with its Python imports bound to PROVIDER instead of looked up flat."""
    binary = _binary(source)
    binary.add_library(PROVIDER)
    ordinal = len(binary.libraries)  # ordinals count LC_*_DYLIB commands from 1
    for binding in binary.bindings:
        if binding.has_symbol and binding.symbol is not None and str(binding.symbol.name) in BOUND:
            binding.library_ordinal = ordinal
    target.parent.mkdir(parents=True, exist_ok=True)
    binary.write(str(target))
    return target


def site_packages(
    tmp_path: Path, speedups: Path, libraries: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]]
) -> Path:
    site = tmp_path / "site-packages"
    build_plugin(speedups, site / "tensorflow-plugins" / "libmetal_plugin.dylib")
    for relative, (install_name, exports, reexports) in libraries.items():
        build_library(speedups, site / "tensorflow" / relative, install_name, exports, reexports)
    (site / "tensorflow-2.19.1.dist-info").mkdir()
    (site / "tensorflow_metal-1.2.0.dist-info").mkdir()
    return site
