"""The linkage checker on the real wheels from PyPI (range requests; members cached between runs).

Known verdicts (knowledge file, section 1): tensorflow-metal 1.2.0 loads with TF 2.16.2 and 2.19.1, and not with
2.20.0 (`Library not loaded: @rpath/_pywrap_tensorflow_internal.so`); 1.1.0 loads with 2.17.1 and not with 2.18.1
(`Symbol not found: __ZN3tsl8internal10LogMessageC1EPKcii`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.caches import TEST_CACHE
from tfm1.linkage.pairs import LinkageSession

pytestmark = [pytest.mark.network, pytest.mark.slow]

CACHE = TEST_CACHE / "xdg" / "tfm1" / "wheels"
PYWRAP = "@rpath/_pywrap_tensorflow_internal.so"


@pytest.fixture(scope="module")
def session() -> Iterator[LinkageSession]:
    with LinkageSession(cache=CACHE) as linkage:
        yield linkage


def test_metal_120_loads_with_tf_2191_through_the_27_reexports(session: LinkageSession) -> None:
    result = session.check_pair("2.19.1", "1.2.0")
    assert result.loads, result.reason
    assert result.missing == []
    # The 27 imports are re-export entries in _pywrap_tensorflow_internal.so's export trie, not in its symbol table.
    assert (result.checked_symbols, result.reexported_symbols) == (27, 27)
    assert result.sources["tensorflow"] == "tensorflow-2.19.1-cp311-cp311-macosx_12_0_arm64.whl"


def test_metal_120_loads_with_tf_2162(session: LinkageSession) -> None:
    result = session.check_pair("2.16.2", "1.2.0")
    assert result.loads, result.reason


def test_metal_120_does_not_load_with_tf_2200(session: LinkageSession) -> None:
    result = session.check_pair("2.20.0", "1.2.0")
    assert not result.loads
    assert result.missing == [PYWRAP]
    assert result.missing_libraries == [PYWRAP]
    assert f"Library not loaded: {PYWRAP}" in result.reason


def test_metal_110_loads_with_tf_2171(session: LinkageSession) -> None:
    result = session.check_pair("2.17.1", "1.1.0")
    assert result.loads, result.reason


def test_metal_110_does_not_load_with_tf_2181(session: LinkageSession) -> None:
    result = session.check_pair("2.18.1", "1.1.0")
    assert not result.loads
    assert result.missing_symbols == ["__ZN3tsl8internal10LogMessageC1EPKcii"]
    assert result.missing == ["tsl::internal::LogMessage::LogMessage(char const*, int, int)"]


def test_tf_215_0_is_read_from_tensorflow_macos(session: LinkageSession) -> None:
    result = session.check_pair("2.15.0", "1.1.0")
    assert result.tensorflow_package == "tensorflow-macos"
    assert result.loads, result.reason


def test_missing_python_tag_falls_back_to_the_nearest_and_says_so(session: LinkageSession) -> None:
    result = session.check_pair("2.17.1", "1.1.0", python="3.12")  # tensorflow-metal 1.1.0 stops at cp311
    assert result.sources["tensorflow_metal"] == "tensorflow_metal-1.1.0-cp311-cp311-macosx_12_0_arm64.whl"
    assert any("no wheel for Python 3.12" in note for note in result.notes)
    assert result.loads


def test_shallow_check_trusts_the_trie_and_reads_far_less(tmp_path: Path) -> None:
    with LinkageSession(cache=tmp_path, follow_reexports=False) as shallow:
        result = shallow.check_pair("2.19.1", "1.2.0")
        assert result.loads and result.reexported_symbols == 27
        assert shallow.bytes_fetched < 20_000_000  # libtensorflow_cc (125 MB compressed) is not read
