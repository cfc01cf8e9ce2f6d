"""A new TensorFlow minor's row: its wheels from the listing, numpy and keras ranges from its METADATA."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfm1.compat_update.candidates import listing
from tfm1.compat_update.releases import Release

if TYPE_CHECKING:
    from tfm1.pypi.index import Index

PINNED = ("numpy", "keras")  # the ranges doctor and the gate check against a TensorFlow release


def tensorflow_row(index: Index, release: Release, today: str) -> dict[str, Any]:
    """The row for `release`'s minor, as compat_data.py writes one (`>=2.22,<2.23`), with its evidence."""
    major, minor = release.minor
    python = release.python_arm64[-1]
    ranges = requirement_ranges(_metadata(index, release, python), python)
    return {
        "package": release.project,
        "versions": f">={major}.{minor},<{major}.{minor + 1}",
        "release": release.version,
        "kind": "real",
        "python_arm64": list(release.python_arm64),
        "python_x86_64": list(release.python_x86_64),
        "macos_min": release.macos_min,
        **{name: ranges[name] for name in PINNED if name in ranges},
        "evidence": {**listing(release, today), "metadata": release.wheel(python).filename},
    }


def requirement_ranges(metadata: bytes, python: str) -> dict[str, str]:
    """numpy's and keras's ranges in Requires-Dist, as they apply on macOS arm64 with `python`; a range tfm1's
    version ranges cannot hold (a wildcard, a pre-release) is left out rather than guessed."""
    from email.parser import BytesParser

    from packaging.requirements import InvalidRequirement, Requirement

    from tfm1.version_range import InvalidRange, parse_range

    environment = {"python_version": python, "sys_platform": "darwin", "platform_machine": "arm64", "extra": ""}
    found: dict[str, str] = {}
    for line in BytesParser().parsebytes(metadata, headersonly=True).get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name not in PINNED or requirement.name in found:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        text = ",".join(sorted(str(s) for s in requirement.specifier))
        try:
            parse_range(text)
        except InvalidRange:
            continue
        found[requirement.name] = text
    return found


def _metadata(index: Index, release: Release, python: str) -> bytes:
    """METADATA as the index serves it beside the wheel (PEP 658), else read out of the wheel by range requests."""
    from tfm1.pypi.core_metadata import core_metadata

    wheel = release.wheel(python)
    listed = next(w for w in index.wheels(release.project, release.version) if w.filename == wheel.filename)
    if listed.metadata_sha256:
        return core_metadata(index, wheel.url, wheel.filename, wheel.sha256, listed.metadata_sha256)
    from tfm1.pypi.remote_wheel import RemoteWheel, WheelRef
    from tfm1.pypi.wheel_cache import cache_root

    remote = RemoteWheel(index.session, WheelRef(wheel.filename, wheel.url, wheel.sha256, wheel.size), cache_root())
    try:
        member = next(n for n in remote.names() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        return remote.read(member)
    finally:
        remote.close()
