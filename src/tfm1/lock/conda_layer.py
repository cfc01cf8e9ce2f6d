"""The conda layer (Python + pip): solved with py-rattler against the profile's channels (`tfm1.rattler.solve`), or
kept from the lock; and what the pip layer needs to know of it.

Solving needs the channels' repodata; where they cannot be reached, `tfm1 lock --pip-only` keeps the conda
entries already in the lock and re-locks only the pip layer.
"""

from __future__ import annotations

from collections.abc import Sequence

from tfm1.errors import Tfm1Error
from tfm1.lockfile import LockedPackage, Lockfile


def keep(existing: Lockfile | None, platform: str) -> list[LockedPackage]:
    """The conda entries of `platform` in the existing lock, for --pip-only."""
    kept = existing.for_platform(platform, "conda") if existing else []
    if not kept:
        raise Tfm1Error(
            f"--pip-only keeps the locked conda layer, but the lock has none for {platform}",
            "run `tfm1 lock` without --pip-only where the profile's channels can be reached",
        )
    return kept


def python_version(entries: Sequence[LockedPackage]) -> str:
    found = [e.version for e in entries if e.name == "python"]
    if len(found) != 1:
        raise Tfm1Error("the conda layer must hold exactly one python package", "add python=3.X to environment.yml")
    return found[0]


def python_distributions(entries: Sequence[LockedPackage]) -> dict[str, str]:
    """Conda packages that are Python distributions (they depend on python), with PEP 440 versions."""
    from packaging.version import InvalidVersion, Version

    provided = {}
    for entry in entries:
        if entry.name == "python" or "python" not in entry.dependencies:
            continue
        try:
            Version(entry.version)
        except InvalidVersion:
            continue
        provided[entry.name] = entry.version
    return provided
