"""The linkage decision on small hand-described images (no binaries, no network).

Images are described with the same records the LIEF reader produces (`ImageInfo`, `PluginImports`), so these
tests pin the dyld rules the checker follows; tests/test_linkage_macho.py reads real Mach-O files into them.
"""

from __future__ import annotations

import pytest

from tfm1.linkage.checker import FLAT, check, tensorflow_symbol
from tfm1.linkage.demangle import demangle
from tfm1.linkage.images import Dependency, ImageInfo, PluginImports

PYWRAP = "@rpath/_pywrap_tensorflow_internal.so"
CC = "@rpath/libtensorflow_cc.2.dylib"
FRAMEWORK = "@rpath/libtensorflow_framework.2.dylib"
SYSTEM = "/usr/lib/libSystem.B.dylib"


class Images:
    """An ImageSource over a dict, recording which images were asked for."""

    def __init__(self, *images: ImageInfo, core: str | None = None) -> None:
        self.by_name = {i.install_name: i for i in images if i.install_name}
        self.read: list[str] = []
        self.core = core

    def loaded_first(self) -> list[str]:
        return [self.core] if self.core else []

    def find(self, install_name: str) -> str | None:
        return install_name if install_name in self.by_name else None

    def image(self, key: str) -> ImageInfo:
        self.read.append(key)
        return self.by_name[key]


def plugin(binds: dict[str, bool], library: str = PYWRAP, flat: dict[str, bool] | None = None) -> PluginImports:
    return PluginImports(
        install_name="bazel-out/libmetal_plugin.dylib",
        dependencies=[Dependency(SYSTEM, "load"), Dependency(library, "load")],
        by_library={library: binds, SYSTEM: {"_malloc": False}},
        flat=flat or {},
    )


def test_a_symbol_the_image_exports_itself_loads() -> None:
    images = Images(ImageInfo(PYWRAP, [], exports={"_TF_NewStatus"}))
    verdict = check(plugin({"_TF_NewStatus": False}), images)
    assert verdict.loads
    assert (verdict.checked, verdict.reexported) == (1, 0)


def test_a_symbol_nobody_exports_is_missing() -> None:
    images = Images(ImageInfo(PYWRAP, [], exports={"_TF_NewStatus"}))
    verdict = check(plugin({"_TF_NewStatus": False, "__ZN3tsl8internal10LogMessageC1EPKcii": False}), images)
    assert not verdict.loads
    assert verdict.missing_symbols == {PYWRAP: ["__ZN3tsl8internal10LogMessageC1EPKcii"]}
    assert verdict.missing_libraries == []


def test_a_library_no_image_has_as_install_name_is_missing() -> None:
    stub = ImageInfo("bazel-out/lib__pywrap_tensorflow_16_shared_object.dylib", [], exports={"_TF_NewStatus"})
    verdict = check(plugin({"_TF_NewStatus": False}), Images(stub))
    assert not verdict.loads
    assert verdict.missing_libraries == [PYWRAP]
    assert verdict.checked == 0


def test_a_trie_reexport_is_followed_to_the_library_that_defines_it() -> None:
    pywrap = ImageInfo(PYWRAP, [Dependency(CC, "load")], reexports={"_TF_NewStatus": (CC, "_TF_NewStatus")})
    cc = ImageInfo(CC, [], exports={"_TF_NewStatus"})
    images = Images(pywrap, cc)
    verdict = check(plugin({"_TF_NewStatus": False}), images)
    assert verdict.loads
    assert verdict.reexported == 1
    assert CC in images.read


def test_a_trie_reexport_whose_target_lacks_the_symbol_is_missing() -> None:
    pywrap = ImageInfo(PYWRAP, [Dependency(CC, "load")], reexports={"_TF_NewStatus": (CC, "_TF_NewStatus")})
    cc = ImageInfo(CC, [], exports={"_TF_DeleteStatus"})
    verdict = check(plugin({"_TF_NewStatus": False}), Images(pywrap, cc))
    assert verdict.missing_symbols == {PYWRAP: ["_TF_NewStatus"]}


def test_a_renamed_reexport_is_looked_up_under_its_name_in_the_target() -> None:
    pywrap = ImageInfo(PYWRAP, [Dependency(CC, "load")], reexports={"_TF_NewStatus": (CC, "_TF_NewStatusImpl")})
    cc = ImageInfo(CC, [], exports={"_TF_NewStatusImpl"})
    assert check(plugin({"_TF_NewStatus": False}), Images(pywrap, cc)).loads


def test_a_reexport_chain_through_lc_reexport_dylib_is_followed() -> None:
    # pywrap's trie points at cc; cc re-exports the whole framework library, which defines the symbol.
    pywrap = ImageInfo(PYWRAP, [Dependency(CC, "load")], reexports={"_TF_Log": (CC, "_TF_Log")})
    cc = ImageInfo(CC, [Dependency(FRAMEWORK, "reexport")], exports={"_other"})
    framework = ImageInfo(FRAMEWORK, [], exports={"_TF_Log"})
    verdict = check(plugin({"_TF_Log": False}), Images(pywrap, cc, framework))
    assert verdict.loads and verdict.reexported == 1
    missing = check(plugin({"_TF_Absent": False}), Images(pywrap, cc, framework))
    assert missing.missing_symbols == {PYWRAP: ["_TF_Absent"]}


def test_a_reexport_cycle_ends_as_missing() -> None:
    a = ImageInfo(PYWRAP, [Dependency(CC, "reexport")])
    b = ImageInfo(CC, [Dependency(PYWRAP, "reexport")])
    assert check(plugin({"_TF_X": False}), Images(a, b)).missing_symbols == {PYWRAP: ["_TF_X"]}


def test_without_following_a_trie_reexport_is_trusted_and_its_target_not_read() -> None:
    pywrap = ImageInfo(PYWRAP, [Dependency(CC, "load")], reexports={"_TF_NewStatus": (CC, "_TF_NewStatus")})
    cc = ImageInfo(CC, [], exports=set())
    images = Images(pywrap, cc)
    verdict = check(plugin({"_TF_NewStatus": False}), images, follow_reexports=False)
    assert verdict.loads and verdict.reexported == 1
    assert images.read == [PYWRAP]
    assert not verdict.flat_checked


def test_weak_imports_and_weak_libraries_do_not_decide() -> None:
    images = Images(ImageInfo(PYWRAP, [], exports=set()))
    assert check(plugin({"_TF_Optional": True}), images).loads
    weak_library = PluginImports(None, [Dependency("@rpath/libnot_there.dylib", "weak")], {}, {})
    assert check(weak_library, images).loads


def test_system_libraries_are_not_looked_for_in_tensorflow() -> None:
    verdict = check(plugin({}, library=SYSTEM), Images())
    assert verdict.loads and verdict.missing_libraries == []


def test_flat_lookups_are_checked_against_every_loaded_tensorflow_image_and_kept_apart() -> None:
    pywrap = ImageInfo(PYWRAP, [Dependency(CC, "load"), Dependency(FRAMEWORK, "load")], exports={"_TF_A"})
    cc = ImageInfo(CC, [], exports={"_TF_B"})
    framework = ImageInfo(FRAMEWORK, [], exports={"_TF_C"})
    flat = {"_TF_B": False, "_TF_C": False, "_objc_msgSend": False, "_TF_Weak": True}
    verdict = check(plugin({"_TF_A": False}, flat=flat), Images(pywrap, cc, framework))
    assert verdict.flat_checked
    assert verdict.flat_unresolved == ["_objc_msgSend"]
    assert verdict.loads  # flat lookups may be served by system libraries tfm1 cannot see


def test_a_flat_lookup_of_a_tensorflow_name_nobody_exports_is_missing() -> None:
    # Plugins before 1.0 bind all of TensorFlow by flat lookup; a missing TensorFlow name still stops the load.
    pywrap = ImageInfo(PYWRAP, [], exports={"_TF_A"})
    flat = {"__ZN10tensorflow8GraphDefC1EPN6google8protobuf5ArenaEb": False, "_TF_Gone": False, "___cxa_throw": False}
    verdict = check(plugin({"_TF_A": False}, flat=flat), Images(pywrap))
    assert not verdict.loads
    assert verdict.missing_symbols == {FLAT: ["_TF_Gone", "__ZN10tensorflow8GraphDefC1EPN6google8protobuf5ArenaEb"]}
    assert verdict.flat_unresolved == ["___cxa_throw"]


@pytest.mark.parametrize(
    ("name", "is_tensorflow"),
    [
        ("__ZN3tsl8internal10LogMessageC1EPKcii", True),
        ("__ZNK6google8protobuf7Message11DebugStringEv", True),
        ("__ZTVN10tensorflow8GraphDefE", True),
        ("_TF_NewStatus", True),
        ("_objc_msgSend", False),
        ("__ZNSt3__112basic_stringIcNS_11char_traitsIcEENS_9allocatorIcEEED1Ev", False),
        ("__ZN12metal_plugin6KernelD1Ev", False),
    ],
)
def test_tensorflow_names_are_told_from_system_names(name: str, is_tensorflow: bool) -> None:
    assert tensorflow_symbol(name) is is_tensorflow


def test_demangle_reads_mach_o_names() -> None:
    names = ["__ZN3tsl8internal10LogMessageC1EPKcii", "_TF_NewStatus"]
    assert demangle(names) == ["tsl::internal::LogMessage::LogMessage(char const*, int, int)", "_TF_NewStatus"]


def test_flat_lookups_of_a_plugin_naming_no_tensorflow_library_use_what_tensorflow_loaded() -> None:
    old_plugin = PluginImports(None, [Dependency(SYSTEM, "load")], {SYSTEM: {"_malloc": False}}, {"_TF_A": False})
    pywrap = ImageInfo("@rpath/_pywrap.so", [Dependency(FRAMEWORK, "load")], exports=set())
    framework = ImageInfo(FRAMEWORK, [], exports={"_TF_A"})
    assert check(old_plugin, Images(pywrap, framework, core="@rpath/_pywrap.so")).loads
    framework.exports.clear()
    verdict = check(old_plugin, Images(pywrap, framework, core="@rpath/_pywrap.so"))
    assert verdict.missing_symbols == {FLAT: ["_TF_A"]}
