"""conda-lock's lockfile format: `v1` reads and writes the unified v1 file `tfm1 lock` makes, `installable` reads
one platform of a lock for `tfm1 setup` (through rattler). Callers import from here."""

from tfm1.lockfile.installable import LockedEnvironment, PipWheel, file_sha256, read_lock
from tfm1.lockfile.v1 import (
    LockedPackage,
    Lockfile,
    dumps,
    read_lockfile,
    write_lockfile,
    yaml_problem,
)

__all__ = [
    "LockedEnvironment",
    "LockedPackage",
    "Lockfile",
    "PipWheel",
    "dumps",
    "file_sha256",
    "read_lock",
    "read_lockfile",
    "write_lockfile",
    "yaml_problem",
]
