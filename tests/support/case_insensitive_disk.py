"""A real case-insensitive disk on Linux, as a Mac's APFS volume is: a FUSE file system over a folder.

Names are looked up without regard to case and kept as first written (case-preserving), and every file reports the
inode of the file behind it, so `/mnt/Users/ana/project` and `/mnt/users/ANA/Project` are one folder to the kernel, to
`os.stat` and to every program, while `os.path.realpath` keeps whichever case it was given. Linux's own casefolding
(ext4 `-O casefold`, tmpfs `casefold`) needs a kernel built with CONFIG_UNICODE, which CI's is not.

Run as `python case_insensitive_disk.py BACKING MOUNTPOINT`; it serves in the foreground until SIGTERM, then unmounts.
`mounted()` is the test fixture's side: start, wait for the mount, stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# A file system server speaks in OS calls on the path strings FUSE hands it.
# ruff: noqa: PTH101, PTH102, PTH104, PTH106, PTH108, PTH115, PTH118, PTH208, PTH211

SERVER = Path(__file__).resolve()


def _serve(backing: str, mountpoint: str) -> None:
    import mfusepy as fuse

    class CaseInsensitive(fuse.Operations):  # type: ignore[misc]
        use_ns = True

        def _find(self, path: str) -> str:
            """The backing file for `path`: each name as it is, else the first entry that matches it ignoring case."""
            real = backing
            for name in (part for part in path.split("/") if part):
                candidate = os.path.join(real, name)
                if not os.path.lexists(candidate):
                    try:
                        matches = sorted(n for n in os.listdir(real) if n.casefold() == name.casefold())
                    except OSError:
                        matches = []
                    if matches:
                        candidate = os.path.join(real, matches[0])
                real = candidate
            return real

        def getattr(self, path: str, fh: Any = None) -> dict[str, int]:
            try:
                info = os.lstat(self._find(path))
            except OSError as error:
                raise fuse.FuseOSError(error.errno) from None
            keys = ("st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_ino")
            return {
                **{key: getattr(info, key) for key in keys},
                "st_atime": info.st_atime_ns,
                "st_mtime": info.st_mtime_ns,
                "st_ctime": info.st_ctime_ns,
            }

        def readdir(self, path: str, fh: Any) -> list[tuple[str, dict[str, int], int]]:
            # With use_ino every entry needs its inode: readdir(3) skips an entry whose inode is 0.
            folder = self._find(path)
            entries = []
            for name in [".", "..", *os.listdir(folder)]:
                info = os.lstat(os.path.join(folder, name))
                entries.append((name, {"st_mode": info.st_mode, "st_ino": info.st_ino}, 0))
            return entries

        def access(self, path: str, amode: int) -> None:
            if not os.access(self._find(path), amode, follow_symlinks=False):
                raise fuse.FuseOSError(13)

        def mkdir(self, path: str, mode: int) -> None:
            os.mkdir(self._find(path), mode)

        def rmdir(self, path: str) -> None:
            os.rmdir(self._find(path))

        def unlink(self, path: str) -> None:
            os.unlink(self._find(path))

        def readlink(self, path: str) -> str:
            return os.readlink(self._find(path))

        def symlink(self, target: str, source: str) -> None:
            os.symlink(source, self._find(target))

        def link(self, target: str, source: str) -> None:
            os.link(self._find(source), self._find(target))

        def rename(self, old: str, new: str) -> None:
            os.rename(self._find(old), self._find(new))

        def chmod(self, path: str, mode: int) -> None:
            os.chmod(self._find(path), mode)

        def chown(self, path: str, uid: int, gid: int) -> None:
            os.lchown(self._find(path), uid, gid)

        def truncate(self, path: str, length: int, fh: Any = None) -> None:
            os.truncate(self._find(path), length)

        def utimens(self, path: str, times: tuple[int, int] | None = None) -> None:
            if times is None:  # "now", as utimensat(2) takes a NULL
                os.utime(self._find(path), follow_symlinks=False)
            else:
                os.utime(self._find(path), ns=times, follow_symlinks=False)

        def open(self, path: str, flags: int) -> int:
            return os.open(self._find(path), flags)

        def create(self, path: str, mode: int, fi: Any = None) -> int:
            return os.open(self._find(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

        def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
            return os.pread(fh, size, offset)

        def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
            return os.pwrite(fh, data, offset)

        def flush(self, path: str, fh: int) -> None:
            return None

        def fsync(self, path: str, datasync: int, fh: int) -> None:
            os.fsync(fh)

        def release(self, path: str, fh: int) -> None:
            os.close(fh)

        def statfs(self, path: str) -> dict[str, int]:
            info = os.statvfs(self._find(path))
            keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag")
            return {key: getattr(info, key) for key in (*keys, "f_frsize", "f_namemax")}

    # use_ino: report the backing inodes, so two names of one file are one file to os.stat (as on APFS).
    # No kernel caching of names (timeouts 0): the kernel keeps one entry per spelling, and a cached `Envs/tf` would
    # outlive its removal through `ENVS/TF`, which APFS, one entry per file, never shows. hard_remove: an unlinked
    # open file is gone at once, as on APFS, not renamed to .fuse_hidden* (which would keep its folder non-empty).
    fuse.FUSE(
        CaseInsensitive(),
        mountpoint,
        foreground=True,
        nothreads=True,
        use_ino=True,
        hard_remove=True,
        entry_timeout=0,
        attr_timeout=0,
        negative_timeout=0,
    )


@contextmanager
def mounted(backing: Path, mountpoint: Path) -> Iterator[Path]:
    """A case-insensitive disk at `mountpoint`, kept in `backing`; unmounted again afterwards."""
    backing.mkdir(parents=True, exist_ok=True)
    mountpoint.mkdir(parents=True, exist_ok=True)
    log = backing.parent / f"{mountpoint.name}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, str(SERVER), str(backing), str(mountpoint)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while not os.path.ismount(mountpoint):
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "the case-insensitive test disk did not mount: it needs /dev/fuse and libfuse 3 "
                    f"(apt-get install fuse3); its output:\n{log.read_text(errors='replace')}"
                )
            time.sleep(0.05)
        yield mountpoint
    finally:
        server.send_signal(signal.SIGTERM)  # libfuse unmounts on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if os.path.ismount(mountpoint):
            unmount = shutil.which("fusermount3")
            command = [unmount, "-u", "-z", str(mountpoint)] if unmount else ["umount", "-l", str(mountpoint)]
            subprocess.run(command, check=False, capture_output=True)


if __name__ == "__main__":
    _serve(os.path.realpath(sys.argv[1]), sys.argv[2])
