"""What a bundle of a lock holds: the lock, the Miniforge installer for its platform, every conda package and wheel
of the lock, each under the sha256 the lock (or tfm1's pin) gives it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfm1.bundlefile.manifest import Kind
from tfm1.lockfile import LockedEnvironment
from tfm1.setup.store import Wanted


@dataclass(frozen=True)
class Contents:
    lock: LockedEnvironment
    files: tuple[tuple[Kind, Wanted], ...]  # the Miniforge installer, then the lock's packages and wheels


def lock_contents(lock_path: Path, platform: str, sha256: str) -> Contents:
    from tfm1.rattler.conda_lock import read_lock
    from tfm1.setup.bundle_source import bundled_files
    from tfm1.setup.conda_layer import archives_wanted
    from tfm1.setup.miniforge import installer_for
    from tfm1.setup.pip_layer import wheels_wanted

    lock = read_lock(lock_path, platform, sha256)
    files = bundled_files(archives_wanted(lock.conda), wheels_wanted(lock.pip), installer_for(platform))
    return Contents(lock, files)
