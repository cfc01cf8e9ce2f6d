"""A write that failed because of the disk, worded as such: a full disk or a read-only folder is not a network fault."""

from __future__ import annotations

import errno
from pathlib import Path

from tfm1.errors import Tfm1Error

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def is_storage_error(error: OSError) -> bool:
    return error.errno in DISK_FULL or error.errno in READ_ONLY


def storage_error(error: OSError, path: Path | str | None = None) -> Tfm1Error:
    """The one-line error for an OSError met while writing `path` (its own filename when it has one)."""
    where = str(error.filename or path or "the target folder")
    if error.errno in DISK_FULL:
        return Tfm1Error(
            f"the disk is full: no space left to write {where}",
            "free some disk space (or set TFM1_CACHE_DIR to a folder on another disk) and re-run",
        )
    if error.errno == errno.EROFS:
        return Tfm1Error(f"cannot write {where}: the file system is read-only", "choose a writable location and re-run")
    if error.errno in READ_ONLY:
        return Tfm1Error(
            f"cannot write {where}: {error.strerror or 'permission denied'}",
            "make the folder writable (check its permissions and immutable flags) or choose another location",
        )
    return Tfm1Error(f"cannot write {where}: {error.strerror or error}", "check the path, then re-run")


def storage_error_in(error: BaseException, path: Path | str) -> Tfm1Error | None:
    """The disk error behind `error`, also when a Rust library (rattler) only says "(os error 28)" in its text."""
    if isinstance(error, OSError) and isinstance(error.errno, int) and is_storage_error(error):
        return storage_error(error, path)
    text = " ".join(str(error).split())
    for code in sorted(DISK_FULL | READ_ONLY):
        if f"(os error {code})" in text:
            return storage_error(OSError(code, text[:300]), path)
    return None


def private_folder(root: Path, prefix: str) -> Path:
    """A new folder of this run's own inside `root` (made if missing), named `prefix...`; a disk fault is one error."""
    import tempfile

    try:
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    except OSError as error:
        raise storage_error(error, root) from None
