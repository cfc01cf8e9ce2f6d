"""`src/tfm1/compat_data.py` must agree with the binaries on every macOS arm64 pair it lists.

For each tensorflow-metal release in the data and the newest patch of each TensorFlow minor release, the pair is
checked when the data calls it works, degraded or broken: "broken" must not load, "works" and "degraded" must.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.caches import TEST_CACHE
from tfm1.compat import load
from tfm1.linkage.arm64_wheels import versions
from tfm1.linkage.grid import latest_patches
from tfm1.linkage.pairs import LinkageSession
from tfm1.pypi.index import Index

pytestmark = [pytest.mark.network, pytest.mark.slow]

CACHE = TEST_CACHE / "xdg" / "tfm1" / "wheels"


def listed_pairs() -> list[tuple[str, str, str, str]]:
    """(tensorflow, tensorflow-metal, python, status) for every pair the data gives a verdict on."""
    index = Index()
    released = versions(index, "tensorflow") | versions(index, "tensorflow-macos")
    tensorflow = latest_patches(released, first=(2, 5))
    compat = load()
    pairs: list[tuple[str, str, str, str]] = []
    for metal in compat.metal_releases:
        if "arm64" not in metal.arches:
            continue
        for tf in tensorflow:
            status = compat.pair(tf, metal.version).status
            if status != "unverified":
                pairs.append((tf, metal.version, max(metal.python, key=lambda p: int(p.split(".")[1])), status))
    return pairs


@pytest.fixture(scope="module")
def session() -> Iterator[LinkageSession]:
    with LinkageSession(cache=CACHE) as linkage:
        yield linkage


def test_data_agrees_with_the_binaries(session: LinkageSession) -> None:
    pairs = listed_pairs()
    listed = {(tf, metal): status for tf, metal, _, status in pairs}
    assert listed[("2.19.1", "1.2.0")] == "works"
    assert listed[("2.20.0", "1.2.0")] == "broken"
    assert listed[("2.18.1", "1.1.0")] == "broken"
    disagreements = []
    for tensorflow, metal, python, status in pairs:
        result = session.check_pair(tensorflow, metal, python)
        if result.loads != (status in ("works", "degraded")):
            disagreements.append(
                f"compat_data.py: TensorFlow {tensorflow} + tensorflow-metal {metal} is {status}; binaries "
                f"({result.sources['tensorflow']}, {result.sources['tensorflow_metal']}): {result.reason}"
            )
    assert not disagreements, "\n".join(disagreements)
