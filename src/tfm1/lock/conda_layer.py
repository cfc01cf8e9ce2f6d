"""The conda layer (Python + pip): solved with py-rattler against the profile's channels, or kept from the lock.

Solving needs the channels' repodata; where they cannot be reached, `tfm1 lock --pip-only` keeps the conda
entries already in the lock and re-locks only the pip layer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tfm1.errors import Tfm1Error
from tfm1.lock.targets import LockTarget
from tfm1.lockfile import LockedPackage, Lockfile

if TYPE_CHECKING:
    import rattler

SOLVE_TIMEOUT_S = 300


def solve(channels: Sequence[str], specs: Sequence[str], target: LockTarget) -> list[LockedPackage]:
    import datetime

    import rattler
    from rattler import BuildString, GenericVirtualPackage, PackageName, Subdir, Version

    virtual = [
        GenericVirtualPackage(PackageName(name), Version(version), BuildString(build))
        for name, version, build in target.virtual_packages
    ]
    try:
        records = asyncio.run(
            rattler.solve(
                sources=list(channels),
                specs=list(specs),
                platforms=[Subdir(target.platform), Subdir("noarch")],
                virtual_packages=virtual,
                timeout=datetime.timedelta(seconds=SOLVE_TIMEOUT_S),
            )
        )
    except Exception as error:  # rattler raises its own exception types for network and unsolvable specs
        raise Tfm1Error(
            f"cannot solve the conda layer ({', '.join(specs)}) for {target.platform} from {', '.join(channels)}: "
            f"{' '.join(str(error).split())}",
            "check that the channels can be reached, or keep the locked conda layer with --pip-only",
        ) from None
    return [_entry(record, target.platform) for record in records]


def _entry(record: rattler.RepoDataRecord, platform: str) -> LockedPackage:
    if record.md5 is None or record.sha256 is None:
        raise Tfm1Error(
            f"the channel gives no md5/sha256 for {record.file_name}", "use a channel whose repodata has both hashes"
        )
    dependencies: dict[str, str] = {}
    for depend in record.depends:
        name, _, rest = depend.strip().partition(" ")
        dependencies[name] = rest.strip()
    return LockedPackage(
        name=record.name.normalized,
        version=str(record.version),
        manager="conda",
        platform=platform,
        url=record.url,
        sha256=record.sha256.hex(),
        md5=record.md5.hex(),
        dependencies=dependencies,
    )


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
