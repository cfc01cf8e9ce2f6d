"""One platform of a conda-lock lockfile as setup installs it (`LockedEnvironment`: the conda records and the pip
wheels; `tfm1.rattler.conda_lock` reads it), and the lockfile's sha256, read only from a bounded regular file."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
