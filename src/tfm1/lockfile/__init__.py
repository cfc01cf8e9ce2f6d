"""conda-lock's lockfile format: `v1` reads and writes the unified v1 file `tfm1 lock` makes, `installable` is one
platform of a lock as `tfm1 setup` installs it (read by `tfm1.rattler.conda_lock`). Callers import from here."""

from tfm1.lockfile.installable import FIX_LOCK, LockedEnvironment, PipWheel, file_sha256
from tfm1.lockfile.v1 import (
    LockedPackage,
    Lockfile,
    dumps,
    read_lockfile,
    write_lockfile,
    yaml_problem,
)

__all__ = [
    "FIX_LOCK",
    "LockedEnvironment",
    "LockedPackage",
    "Lockfile",
    "PipWheel",
    "dumps",
    "file_sha256",
    "read_lockfile",
    "write_lockfile",
    "yaml_problem",
]
