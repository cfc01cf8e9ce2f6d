"""The pip layer: resolve the profile's `pip:` section with uv for one target, then pick one wheel per package.

Python distributions that the conda layer already installs (pip, setuptools, wheel, packaging) are passed to uv
as constraints at their conda versions and left out of the pip layer, as conda-lock does: pip must not replace
files that conda owns.
"""

from __future__ import annotations

from collections.abc import Sequence

from tfm1.lock.targets import LockTarget
from tfm1.lock.wheel_picker import PickedWheel, pick_wheels
from tfm1.lockfile import LockedPackage
from tfm1.pypi.index import Index
from tfm1.uv.resolver import resolve


def lock_pip_layer(
    specs: Sequence[str],
    target: LockTarget,
    python: str,
    provided: dict[str, str],
    index: Index,
    resolver_url: str | None = None,
) -> list[LockedPackage]:
    """The pip layer for `target`: uv resolves through `resolver_url` (by default the index itself, else a local
    mirror of it), then each wheel is picked from `index`, with the index's own URLs."""
    if not specs:
        return []
    from packaging.utils import canonicalize_name

    provided_names = {str(canonicalize_name(name)) for name in provided}
    pins = [
        pin
        for pin in resolve(specs, target, python, provided, resolver_url or index.index_url)
        if canonicalize_name(pin[0]) not in provided_names
    ]
    wheels = pick_wheels(pins, target.tags(python), target.markers(python), index)
    return [_entry(wheel, target.platform) for wheel in wheels]


def _entry(wheel: PickedWheel, platform: str) -> LockedPackage:
    return LockedPackage(
        name=wheel.name,
        version=wheel.version,
        manager="pip",
        platform=platform,
        url=wheel.url,
        sha256=wheel.sha256,
        dependencies=wheel.dependencies,
    )
