"""tfm1.version_range answers what `packaging.specifiers.SpecifierSet.contains(v, prereleases=True)` answers."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet

from tfm1.compat_data import DATA
from tfm1.version_range import InvalidRange, parse_range, version_in

OPERATORS = (">=", "<=", ">", "<", "==", "!=", "~=")


def data_ranges() -> set[str]:
    """Every version range in the compatibility data."""
    found: set[str] = set()

    def walk(value: object, key: str) -> None:
        if isinstance(value, dict):
            for child_key, child in value.items():
                walk(child, child_key)
        elif isinstance(value, list):
            for child in value:
                walk(child, key)
        elif key in {"works", "versions", "tensorflow", "numpy", "keras"} and isinstance(value, str) and value:
            found.add(value)

    walk(DATA["metal"], "")
    walk(DATA["tensorflow"], "")
    found.add(DATA["recommended"]["numpy"])
    return found


releases = st.lists(st.integers(0, 22), min_size=1, max_size=4).map(lambda r: ".".join(map(str, r)))

# Versions as installed distributions spell them: pre-, post-, dev-releases, local labels, an epoch now and then.
versions = st.builds(
    lambda epoch, release, pre, post, dev, local: f"{epoch}{release}{pre}{post}{dev}{local}",
    st.sampled_from(["", "", "", "1!"]),
    releases,
    st.sampled_from(["", "", "a1", "b2", "rc0", "rc1"]),
    st.sampled_from(["", "", ".post1"]),
    st.sampled_from(["", "", ".dev0"]),
    st.sampled_from(["", "", "+cpu", "+1.local"]),
)

# Bounds as Requires-Dist writes them: final releases mostly, and the pre-, post- and dev-releases TensorFlow's
# METADATA uses (`protobuf<5.0.0dev`, `keras<2.10.0,>=2.9.0rc0`, `tensorflow==2.16.0-rc0`), spelled every way
# PEP 440 allows.
bounds = st.builds(
    lambda release, pre, post, dev: f"{release}{pre}{post}{dev}",
    releases,
    st.sampled_from(["", "", "", "a1", "b2", "rc0", "-rc1", "c1", "rc", ".pre2"]),
    st.sampled_from(["", "", "", ".post1", "-1", "post", ".post0"]),
    st.sampled_from(["", "", "", ".dev0", "dev", ".dev2", "-dev"]),
)


def _valid_compatible(clause: str) -> bool:
    """`~=` needs at least two release segments (`~=1` is invalid): anything else passes."""
    compatible = re.match(r"~=([0-9.]*[0-9])", clause)
    return compatible is None or "." in compatible[1]


specs = st.lists(
    st.builds(lambda op, bound: op + bound, st.sampled_from(OPERATORS), bounds).filter(_valid_compatible),
    min_size=1,
    max_size=3,
).map(",".join)


def packaging_says(version: str, spec: str) -> bool:
    return SpecifierSet(spec).contains(version, prereleases=True)


@settings(max_examples=3000, deadline=None)
@given(versions, specs)
@example("2.20.0rc1", "<2.20")
@example("2.16.0.post1", ">2.16")
@example("2.16+cpu", "<=2.16")
@example("2.13.1", "~=2.13.0")
@example("2.14.0.dev0", "~=2.13.0")
@example("1!2.13.0", "~=2.13.0")
@example("4.25.3", "<5.0.0dev,>=3.20.3")
@example("5.0.0rc1", "<5.0.0dev")
@example("2.9.0rc0", ">=2.9.0rc0,<2.10.0")
@example("0.dev0", "<0.post1")
@example("1.0.post1", ">1.0.dev0")
def test_agrees_with_packaging(version: str, spec: str) -> None:
    assert version_in(version, spec) == packaging_says(version, spec)


@settings(max_examples=500, deadline=None)
@given(versions)
def test_every_data_range_agrees_with_packaging(version: str) -> None:
    for spec in data_ranges():
        assert version_in(version, spec) == packaging_says(version, spec), spec


def test_data_has_ranges_to_check() -> None:
    ranges = data_ranges()
    assert len(ranges) > 20
    for spec in ranges:
        assert parse_range(spec), spec


@pytest.mark.parametrize("version", ["not a version", "", "2.16.x"])
def test_an_unparsable_version_is_in_no_range(version: str) -> None:
    assert not version_in(version, ">=0")
    assert not version_in(version, "")


def test_an_empty_range_allows_every_version() -> None:
    assert version_in("2.21.0", "")
    assert version_in("0.0.1rc1", "  ")


@pytest.mark.parametrize(
    "spec", ["==2.16.*", ">=2.16+cpu", "===2.16", "2.16", ">=2.16;", "~=2", "~=2rc1", ">=2.16,", "latest"]
)
def test_ranges_outside_the_subset_are_refused(spec: str) -> None:
    with pytest.raises(InvalidRange, match=r"version ranges|~= needs"):
        version_in("2.16.0", spec)
