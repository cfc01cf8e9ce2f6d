"""The LIEF reader and the installed-environment check on small real Mach-O files.

Inputs: `markupsafe/_speedups.cpython-311-darwin.so` from the real markupsafe 3.0.3 macOS arm64 wheel (50 KB; it
imports the Python C API by flat lookup, `_memcpy` from libSystem, and exports `_PyInit__speedups`). Variants are
built from it with LIEF at test time: an install name (LC_ID_DYLIB), extra LC_LOAD_DYLIB / LC_REEXPORT_DYLIB
commands, extra export-trie entries, and binds moved from flat lookup to a named library.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.lief_builders import (
    BOUND,
    INNER,
    PROVIDER,
    build_library,
    build_plugin,
    extract_speedups,
    site_packages,
)
from tfm1.linkage import check_installed
from tfm1.linkage.images import Dependency, NotMachO, read_head, read_image, read_plugin

pytestmark = pytest.mark.network  # the wheel is fetched once, then cached


@pytest.fixture(scope="module")
def speedups(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return extract_speedups(tmp_path_factory.mktemp("markupsafe"))


def test_reader_sees_the_real_imports_and_exports(speedups: Path) -> None:
    image = read_image(speedups)
    assert image.install_name is None  # a Python extension is a bundle, not a dylib
    assert image.exports == {"_PyInit__speedups"}
    assert image.dependencies == [Dependency("/usr/lib/libSystem.B.dylib", "load")]
    imports = read_plugin(speedups)
    assert imports.by_library["/usr/lib/libSystem.B.dylib"]["_memcpy"] is False
    assert {"_PyUnicode_New", "_PyModuleDef_Init", "__PyUnicode_Ready"} <= imports.flat.keys()


def test_reader_sees_what_lief_added(speedups: Path, tmp_path: Path) -> None:
    built = build_library(speedups, tmp_path / "lib.dylib", PROVIDER, ("_TF_NewStatus",), (INNER,))
    image = read_image(built)
    assert image.install_name == PROVIDER
    assert "_TF_NewStatus" in image.exports
    assert image.reexported_libraries() == [INNER]
    plugin = read_plugin(build_plugin(speedups, tmp_path / "plugin.so"))
    assert plugin.by_library[PROVIDER] == {"_PyUnicode_New": False, "_PyModuleDef_Init": False}
    assert "_PyUnicode_New" not in plugin.flat


def test_head_of_an_image_gives_its_install_name(speedups: Path, tmp_path: Path) -> None:
    built = build_library(speedups, tmp_path / "lib.dylib", PROVIDER)
    install_name, dependencies = read_head(built.read_bytes()[: 32 * 1024])
    assert install_name == PROVIDER
    assert dependencies[0].name == "/usr/lib/libSystem.B.dylib"
    with pytest.raises(NotMachO):
        read_head(b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(100))  # a Java class file header


def test_installed_thin_dylib_with_the_import_exported_loads(speedups: Path, tmp_path: Path) -> None:
    site = site_packages(tmp_path, speedups, {"python/_pywrap_tensorflow_internal.so": (PROVIDER, BOUND, ())})
    result = check_installed(site)
    assert result is not None
    assert result.loads, result.reason
    assert (result.tensorflow, result.tensorflow_metal) == ("2.19.1", "1.2.0")
    assert result.checked_symbols == 2


def test_installed_missing_symbol_is_named(speedups: Path, tmp_path: Path) -> None:
    site = site_packages(tmp_path, speedups, {"python/_pywrap_tensorflow_internal.so": (PROVIDER, BOUND[:1], ())})
    result = check_installed(site)
    assert result is not None and not result.loads
    assert result.missing == ["_PyModuleDef_Init"]
    assert "Symbol not found: _PyModuleDef_Init" in result.reason


def test_installed_reexport_chain_is_followed(speedups: Path, tmp_path: Path) -> None:
    libraries = {
        "python/_pywrap_tensorflow_internal.so": (PROVIDER, (), (INNER,)),
        "libtensorflow_cc.2.dylib": (INNER, BOUND, ()),
    }
    result = check_installed(site_packages(tmp_path, speedups, libraries))
    assert result is not None and result.loads, result and result.reason
    assert result.reexported_symbols == 2
    libraries["libtensorflow_cc.2.dylib"] = (INNER, BOUND[1:], ())
    broken = check_installed(site_packages(tmp_path / "again", speedups, libraries))
    assert broken is not None and broken.missing_symbols == ["_PyUnicode_New"]


def test_installed_library_with_another_install_name_does_not_load(speedups: Path, tmp_path: Path) -> None:
    libraries = {"python/_pywrap_tensorflow_internal.so": ("bazel-out/lib_pywrap_stub.dylib", BOUND, ())}
    result = check_installed(site_packages(tmp_path, speedups, libraries))
    assert result is not None and not result.loads
    assert result.missing == [PROVIDER]
    assert "Library not loaded" in result.reason


def test_no_plugin_or_no_tensorflow_gives_none(tmp_path: Path) -> None:
    assert check_installed(tmp_path) is None
    (tmp_path / "tensorflow").mkdir()
    assert check_installed(tmp_path) is None


def test_installed_versions_are_read_as_doctor_reads_them(speedups: Path, tmp_path: Path) -> None:
    """Distribution names are normalised (PEP 503): a `Tensorflow_Macos-2.15.0.dist-info` is tensorflow-macos."""
    site = site_packages(tmp_path, speedups, {"python/_pywrap_tensorflow_internal.so": (PROVIDER, BOUND, ())})
    (site / "tensorflow-2.19.1.dist-info").rename(site / "Tensorflow_Macos-2.15.0.dist-info")
    (site / "tensorflow_metal-1.2.0.dist-info").rename(site / "tensorflow.metal-1.1.0.dist-info")
    result = check_installed(site)
    assert result is not None
    assert (result.tensorflow, result.tensorflow_metal) == ("2.15.0", "1.1.0")
