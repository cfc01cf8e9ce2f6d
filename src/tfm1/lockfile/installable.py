"""Read a conda-lock (unified v1) lockfile for one platform: the conda records rattler installs and the pip wheels.

rattler reads the lockfile itself and hands back `RepoDataRecord`s that `rattler.install` takes directly.
Every entry must carry a sha256 (fail closed): an entry without one is a lockfile error, not something to
install unchecked. The pip layer installs wheels only, so an sdist URL is refused here too.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfm1.errors import UsageError

if TYPE_CHECKING:
    from rattler import RepoDataRecord

FIX_LOCK = "regenerate the lockfile with tfm1 lock, or pass a conda-lock v1 file with --lockfile"
# envs/cpu/conda-lock.yml is about 40 KB, and conda-lock files of thousands of packages for several platforms a few
# MB (~600 bytes per entry): 64 MiB leaves a wide margin while bounding what hashing and parsing may cost.
MAX_LOCKFILE_BYTES = 64 * 2**20


@dataclass(frozen=True)
class PipWheel:
    name: str
    version: str
    url: str
    sha256: str


@dataclass(frozen=True)
class LockedEnvironment:
    path: Path
    sha256: str
    platform: str
    conda: tuple[RepoDataRecord, ...]
    pip: tuple[PipWheel, ...]
    channels: tuple[str, ...] = ()  # the lock metadata's channels: names or URLs

    def packages(self) -> dict[str, str]:
        """name -> version of everything the lock installs, conda then pip (a pip name wins a clash)."""
        versions = {str(r.name.normalized): str(r.version) for r in self.conda}
        versions.update({w.name: w.version for w in self.pip})
        return versions


def file_sha256(path: Path) -> str:
    """The lockfile's sha256, read only from a regular file of at most MAX_LOCKFILE_BYTES.

    A device (`/dev/zero`), a FIFO or a runaway file would hang or exhaust the machine while hashing and parsing.
    """
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait forever (it is refused just below).
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise UsageError(f"cannot read lockfile {path}: {error.strerror or error}", FIX_LOCK) from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"lockfile {path} is not a regular file", FIX_LOCK)
        if info.st_size > MAX_LOCKFILE_BYTES:
            raise UsageError(
                f"lockfile {path} is {info.st_size / 2**20:.0f} MiB; a lockfile is at most "
                f"{MAX_LOCKFILE_BYTES // 2**20} MiB",
                FIX_LOCK,
            )
        digest = hashlib.sha256()
        try:
            digest.update(handle.read(MAX_LOCKFILE_BYTES + 1))
        except OSError as error:
            raise UsageError(f"cannot read lockfile {path}: {error.strerror or error}", FIX_LOCK) from None
        return digest.hexdigest()


def read_lock(path: Path, platform: str, sha256: str | None = None) -> LockedEnvironment:
    from rattler import LockFile

    sha256 = sha256 or file_sha256(path)
    try:
        lock = LockFile.from_path(path)
    except Exception as error:  # rattler raises its own exception types for every parse problem
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UsageError(f"{path} is not a readable conda-lock lockfile: {reason}", FIX_LOCK) from None
    environment = lock.default_environment()
    if environment is None:
        raise UsageError(f"{path} holds no default environment", FIX_LOCK)
    platforms = {str(p.name): p for p in environment.platforms()}
    if platform not in platforms:
        have = ", ".join(sorted(platforms)) or "none"
        raise UsageError(
            f"lockfile {path} has no packages for this machine's platform {platform} (it has: {have})",
            f"add {platform} to the profile's environment.yml `platforms` and re-run tfm1 lock, "
            "or use a lockfile made for this machine",
        )
    records = environment.conda_repodata_records_for_platform(platforms[platform]) or []
    for record in records:
        if not record.sha256:
            raise UsageError(f"{path}: conda package {record.file_name} has no sha256", FIX_LOCK)
    wheels = tuple(_wheel(path, p) for p in environment.pypi_packages_for_platform(platforms[platform]) or [])
    channels = tuple(str(channel) for channel in environment.channels())
    return LockedEnvironment(path, sha256, platform, tuple(records), wheels, channels)


def _wheel(path: Path, package: Any) -> PipWheel:
    location = str(package.location)
    hashes = package.hashes
    digest = hashes.sha256 if hashes is not None else None
    if not digest:
        raise UsageError(f"{path}: pip package {package.name} has no sha256", FIX_LOCK)
    if not location.split("#", 1)[0].split("?", 1)[0].endswith(".whl"):
        raise UsageError(
            f"{path}: pip package {package.name} is not a wheel ({location}); setup installs wheels only", FIX_LOCK
        )
    return PipWheel(str(package.name), str(package.version), location, bytes(digest).hex())
