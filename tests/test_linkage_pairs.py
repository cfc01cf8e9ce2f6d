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


@pytest.mark.parametrize(
    ("tensorflow", "metal", "expected"),
    [
        ("2.16.2", "1.2.0", {}),
        ("2.17.1", "1.1.0", {}),
        ("2.15.0", "1.1.0", {"tensorflow_package": "tensorflow-macos"}),  # 2.15 is read from tensorflow-macos
    ],
)
def test_pairs_that_load(session: LinkageSession, tensorflow: str, metal: str, expected: dict[str, object]) -> None:
    result = session.check_pair(tensorflow, metal)
    assert result.loads, result.reason
    assert {name: getattr(result, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("tensorflow", "metal", "expected", "reason"),
    [
        ("2.20.0", "1.2.0", {"missing": [PYWRAP], "missing_libraries": [PYWRAP]}, f"Library not loaded: {PYWRAP}"),
        (
            "2.18.1",
            "1.1.0",
            {
                "missing_symbols": ["__ZN3tsl8internal10LogMessageC1EPKcii"],
                "missing": ["tsl::internal::LogMessage::LogMessage(char const*, int, int)"],
            },
            "",
        ),
    ],
)
def test_pairs_that_do_not_load(
    session: LinkageSession, tensorflow: str, metal: str, expected: dict[str, object], reason: str
) -> None:
    result = session.check_pair(tensorflow, metal)
    assert not result.loads
    assert {name: getattr(result, name) for name in expected} == expected
    assert reason in result.reason


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
