"""The lockfile setup installs from (`LockSource`): its path, profile, sha256 and the platform it is read for,
from `--lockfile`, a profile or a bundle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LockSource:
    path: Path
    profile: str
    sha256: str
    platform: str  # the conda subdir of this machine, which the lock is read for
    data: bytes | None = None  # its bytes while `path` is not written yet: a bundle's lock (see `BundleSource`)
