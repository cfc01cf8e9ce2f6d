"""A bundle on disk: a plain, uncompressed tar (POSIX pax), manifest first, then the lock, then every file by name.

Reproducible: the members' order is the manifest's and each header is fixed (mtime, owner, mode), so two bundles of
one lock made by one tfm1 are the same bytes. Uncompressed because conda packages and wheels are compressed
already: gzip would cost minutes for a few percent, and `tar -x` must be all that reading one costs.

Reading is verified: every member must be named by the manifest, be a regular file of the manifest's size and
have its sha256, and none may be missing; anything else raises `BundleError` before the caller used any of it.
"""

from __future__ import annotations

import functools
import hashlib
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from tfm1.bundlefile.manifest import LOCKFILE, MANIFEST, MAX_MANIFEST_BYTES, BundleError, Manifest, Member
from tfm1.errors import Tfm1Error

CHUNK = 1 << 20
# The headers' fixed values: 2000-01-01 (a time of 0 makes some tar programs warn), root-less, read-only for others.
MTIME = 946684800
MODE = 0o644
Progress = Callable[[int], None]  # bytes read so far


def write_bundle(destination: Path, manifest: Manifest, files: Mapping[str, Path], progress: Progress) -> None:
    """Write the bundle of `manifest` to `destination` (a file the caller made sure it may write), each member read
    from `files[name]` and checked against the manifest on the way in."""
    done = 0
    with tarfile.open(destination, "w", format=tarfile.PAX_FORMAT) as archive:
        data = manifest.to_bytes()
        archive.addfile(_header(MANIFEST, len(data)), _Bytes(data))
        for member in manifest.members:
            with files[member.name].open("rb") as source:
                hashing = _Hashing(source, functools.partial(_progress_from, progress, done))
                archive.addfile(_header(member.name, member.size), hashing)
                if hashing.read_bytes != member.size or hashing.digest.hexdigest() != member.sha256:
                    raise Tfm1Error(
                        f"{files[member.name]} changed while the bundle was written",
                        "run tfm1 bundle again",
                    )
            done += member.size


def _progress_from(progress: Progress, start: int, done: int) -> None:
    progress(start + done)


def _header(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, MTIME, MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


class _Hashing:
    def __init__(self, source: IO[bytes], progress: Progress) -> None:
        self._source, self._progress = source, progress
        self.digest = hashlib.sha256()
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self.digest.update(chunk)
        self.read_bytes += len(chunk)
        self._progress(self.read_bytes)
        return chunk


def read_head(path: Path) -> tuple[Manifest, bytes]:
    """The manifest and the lock's bytes (checked against the manifest), from the start of the bundle only."""
    try:
        with tarfile.open(path, "r:") as archive:
            manifest = _manifest(path, archive)
            second = archive.next()
            if second is None or second.name != LOCKFILE:
                raise BundleError(path, f"its second member is not {LOCKFILE}")
            (lock,) = manifest.of_kind("lockfile")
            data = _read_all(path, archive, second, lock)
    except (tarfile.TarError, EOFError) as error:
        raise BundleError(path, f"it is not a readable tar file ({error})") from None
    except OSError as error:
        raise BundleError(path, error.strerror or str(error)) from None
    return manifest, data


def read_members(
    path: Path, manifest: Manifest, destination: Callable[[Member], Path | None], progress: Progress
) -> None:
    """Read every member of the bundle, verified against `manifest`; a member that `destination` gives a path for
    is written there (the caller's place: it moves the files on once this returned, and removes them otherwise)."""
    wanted = {member.name: member for member in manifest.members}
    seen: set[str] = set()
    done = 0
    try:
        with tarfile.open(path, "r:") as archive:
            _manifest(path, archive)
            while (info := archive.next()) is not None:
                member = wanted.get(info.name)
                if member is None or info.name in seen:
                    raise BundleError(path, f"it holds {info.name!r}, which its manifest does not name once")
                seen.add(info.name)
                _check_header(path, info, member)
                target = destination(member)
                with archive.extractfile(info) as stream:  # type: ignore[union-attr]  # a regular file has one
                    digest = hashlib.sha256()
                    writer = target.open("wb") if target is not None else None
                    try:
                        for block in iter(lambda: stream.read(CHUNK), b""):
                            digest.update(block)
                            if writer is not None:
                                writer.write(block)
                            done += len(block)
                            progress(done)
                    finally:
                        if writer is not None:
                            writer.close()
                if digest.hexdigest() != member.sha256:
                    raise BundleError(path, f"{member.name} does not have the sha256 its manifest names (changed)")
    except (tarfile.TarError, EOFError) as error:
        raise BundleError(path, f"it is damaged or cut short ({error})") from None
    missing = sorted(set(wanted) - seen)
    if missing:
        raise BundleError(path, f"it lacks {len(missing)} members its manifest names ({missing[0]}, …): cut short?")


def _manifest(path: Path, archive: tarfile.TarFile) -> Manifest:
    first = archive.next()
    if first is None or first.name != MANIFEST:
        raise BundleError(path, f"it does not start with {MANIFEST}: not a tfm1 bundle")
    if not first.isreg() or first.size > MAX_MANIFEST_BYTES:
        raise BundleError(path, f"its {MANIFEST} is not a regular file of at most {MAX_MANIFEST_BYTES} bytes")
    stream = archive.extractfile(first)
    assert stream is not None
    data = stream.read()
    if len(data) != first.size:
        raise BundleError(path, f"its {MANIFEST} is cut short")
    return Manifest.from_bytes(data, str(path))


def _read_all(path: Path, archive: tarfile.TarFile, info: tarfile.TarInfo, member: Member) -> bytes:
    _check_header(path, info, member)
    stream = archive.extractfile(info)
    assert stream is not None
    data = stream.read()
    if hashlib.sha256(data).hexdigest() != member.sha256:
        raise BundleError(path, f"{member.name} does not have the sha256 its manifest names (changed)")
    return data


def _check_header(path: Path, info: tarfile.TarInfo, member: Member) -> None:
    if not info.isreg():
        raise BundleError(path, f"its member {info.name} is not a regular file")
    if info.size != member.size:
        raise BundleError(path, f"{info.name} has {info.size} bytes, its manifest says {member.size} (changed)")
