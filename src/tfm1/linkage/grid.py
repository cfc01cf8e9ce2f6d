"""The default grid of `tfm1 matrix`: the newest patch of each TensorFlow minor × the last tensorflow-metal releases."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from tfm1.linkage.arm64_wheels import versions
from tfm1.pypi.index import Index

DEFAULT_METAL = ("1.0.1", "1.1.0", "1.2.0")
FIRST_MINOR = (2, 15)  # the first minor with a real `tensorflow` wheel for macOS arm64 (2.15.1)
NEWEST = (99, 0)  # no upper bound: a TensorFlow released tomorrow joins the verified grid by itself
# Used when the grid is printed from the compatibility data alone, without asking PyPI.
DEFAULT_TENSORFLOW = ("2.15.1", "2.16.2", "2.17.1", "2.18.1", "2.19.1", "2.20.0", "2.21.0")


def latest_patches(
    versions: set[str], first: tuple[int, int] = FIRST_MINOR, last: tuple[int, int] = NEWEST
) -> list[str]:
    newest: dict[tuple[int, int], Version] = {}
    for text in versions:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        minor = (version.major, version.minor)
        if version.is_prerelease or version.is_devrelease or not first <= minor <= last:
            continue
        if minor not in newest or version > newest[minor]:
            newest[minor] = version
    return [str(newest[m]) for m in sorted(newest)]


def default_tensorflow(index: Index) -> list[str]:
    return latest_patches(versions(index, "tensorflow"))
