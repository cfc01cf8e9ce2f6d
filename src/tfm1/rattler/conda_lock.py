"""A conda-lock (unified v1) lockfile read by py-rattler for one platform: the conda records rattler installs and
the pip wheels.

rattler reads the lockfile itself and hands back `RepoDataRecord`s that `rattler.install` takes directly.
Every entry must carry a sha256 (fail closed): an entry without one is a lockfile error, not something to
install unchecked. The pip layer installs wheels only, so an sdist URL is refused here too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tfm1.errors import UsageError
from tfm1.lockfile import FIX_LOCK, LockedEnvironment, PipWheel, file_sha256


def read_lock(path: Path, platform: str, sha256: str | None = None, data: bytes | None = None) -> LockedEnvironment:
    """The lockfile at `path` for `platform`; with `data`, those bytes are the lockfile that `path` is to hold (read
    through a temporary file, since rattler reads only from a path)."""
    from rattler import LockFile

    sha256 = sha256 or file_sha256(path)
    try:
        if data is None:
            lock = LockFile.from_path(path)
        else:
            with tempfile.TemporaryDirectory(prefix="tfm1-lock-") as folder:
                (Path(folder) / path.name).write_bytes(data)
                lock = LockFile.from_path(Path(folder) / path.name)
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
