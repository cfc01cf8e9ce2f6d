"""The conda layer of a lock, solved by py-rattler against channels for one target platform."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from tfm1.errors import Tfm1Error
from tfm1.lockfile import LockedPackage

if TYPE_CHECKING:
    import rattler


class SolveTarget(Protocol):
    """What a solve needs to know of the target (`tfm1.lock.targets.LockTarget` is one)."""

    @property
    def platform(self) -> str: ...  # the conda subdir

    @property
    def virtual_packages(self) -> tuple[tuple[str, str, str], ...]: ...  # (name, version, build)


SOLVE_TIMEOUT_S = 300


def solve(channels: Sequence[str], specs: Sequence[str], target: SolveTarget) -> list[LockedPackage]:
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
