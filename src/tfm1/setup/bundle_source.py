"""A bundle (`tfm1.bundlefile`) as the source of setup's files instead of the network.

`open_bundle` reads only the bundle's head: its manifest and its lock, which is kept in tfm1's cache by its sha256
(the receipt names it). The plan is then made from that lock exactly as for a lockfile, and `unpack_bundle` reads
the whole bundle once before anything changes: every member is checked against the manifest, and every file the
plan names must be there under the lock's own sha256, so a tampered, truncated or foreign member refuses the
install before its first step. The files the plan uses go into the verified download store, the others are only
checked.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.bundlefile import LOCKFILE, BundleError, Manifest, Member, member_name
from tfm1.bundlefile.manifest import Kind
from tfm1.cache import cache_root
from tfm1.errors import UsageError
from tfm1.setup.lock_source import LockSource
from tfm1.setup.store import Wanted, store_dir

if TYPE_CHECKING:
    from tfm1.setup.miniforge import Installer


@dataclass(frozen=True)
class BundleSource:
    path: Path
    manifest: Manifest
    lock: bytes  # the bundle's lockfile, checked against the manifest
    # Where the lock is kept (`cache/bundles/<sha256>/conda-lock.yml`, which the receipt names): written only once
    # the whole bundle has passed its check, so a dry run or a refused bundle writes nothing.
    lock_copy: Path

    def size_of(self, wanted: Sequence[Wanted]) -> int:
        sizes = {member.sha256: member.size for member in self.manifest.members}
        return sum(sizes.get(item.sha256, 0) for item in wanted)


def open_bundle(path: Path, platform: str) -> tuple[BundleSource, LockSource]:
    """The bundle at `path` and its lock, for a machine of `platform`; a bundle for another platform is refused."""
    from tfm1.bundlefile import read_head
    from tfm1.download import holds

    path = path.expanduser().absolute()
    if not path.is_file():
        raise UsageError(f"no bundle at {path}", "pass the file tfm1 bundle wrote, e.g. --bundle tfm1-metal.tar")
    manifest, lock = read_head(path)
    if manifest.platform != platform:
        raise UsageError(
            f"the bundle {path} is for {manifest.platform}, and this machine is {platform}",
            f"build one for this machine: tfm1 bundle --platform {platform} --profile {manifest.profile} -o FILE",
        )
    kept = cache_root() / "bundles" / manifest.lockfile_sha256 / LOCKFILE
    try:
        written = holds(kept, manifest.lockfile_sha256)
    except OSError:
        written = False
    source = LockSource(kept, manifest.profile, manifest.lockfile_sha256, platform, None if written else lock)
    return BundleSource(path, manifest, lock, kept), source


def bundled_files(
    archives: Sequence[Wanted], wheels: Sequence[Wanted], installer: Installer | None
) -> tuple[tuple[Kind, Wanted], ...]:
    """The files a bundle holds for a lock's archives and wheels, and the Miniforge installer when there is one."""
    first: tuple[tuple[Kind, Wanted], ...] = ()
    if installer is not None:
        first = (("miniforge", Wanted(installer.url, installer.sha256, installer.filename)),)
    return (*first, *(("conda", a) for a in archives), *(("wheel", w) for w in wheels))


def check_complete(bundle: Path, manifest: Manifest, expected: Sequence[tuple[Kind, Wanted]]) -> None:
    """Every file in `expected` (the lock's, with the lock's sha256) is a member; nothing else is, but tfm1's wheels."""
    named = {member.name: member for member in manifest.members}
    names = {member_name(kind, wanted.sha256, wanted.file_name) for kind, wanted in expected}
    for kind, wanted in expected:
        member = named.get(member_name(kind, wanted.sha256, wanted.file_name))
        if member is None or member.kind != kind:
            raise BundleError(
                bundle, f"it lacks {wanted.file_name} (sha256 {wanted.sha256[:12]}…), which its lock names"
            )
    # The lock names neither the Miniforge installer nor tfm1's wheels: those are checked against the manifest alone.
    others = ("lockfile", "tfm1", "miniforge")
    foreign = [m.name for m in manifest.members if m.name not in names and m.kind not in others]
    if foreign:
        raise BundleError(bundle, f"it holds {foreign[0]}, which its lock does not name")


def unpack_bundle(
    bundle: BundleSource, expected: Sequence[tuple[Kind, Wanted]], progress: Callable[[int], None]
) -> dict[str, Path]:
    """Every member of the bundle checked, and the files of `expected` in the download store: sha256 -> file.

    The files are moved into the store only once the whole bundle was read and found whole, so a refused bundle
    leaves the store as it was; a file the store already holds is still checked in the bundle, not written again.
    """
    from tfm1.atomic import write_atomic
    from tfm1.bundlefile import read_members
    from tfm1.download import holds
    from tfm1.storage import private_folder, storage_error

    check_complete(bundle.path, bundle.manifest, expected)
    by_name = {member_name(kind, wanted.sha256, wanted.file_name): wanted for kind, wanted in expected}
    store = store_dir()
    final = {w.sha256: store / w.sha256 / w.file_name for w in by_name.values()}
    have = {sha for sha, file in final.items() if holds(file, sha)}
    staging = private_folder(store, ".bundle-")
    try:

        def destination(member: Member) -> Path | None:
            wanted = by_name.get(member.name)
            if wanted is None or wanted.sha256 in have:
                return None
            return staging / wanted.sha256

        try:
            read_members(bundle.path, bundle.manifest, destination, progress)
            for sha256, file in final.items():
                if sha256 not in have:
                    file.parent.mkdir(exist_ok=True)
                    (staging / sha256).replace(file)
            if not holds(bundle.lock_copy, bundle.manifest.lockfile_sha256):
                write_atomic(bundle.lock_copy, bundle.lock)
        except OSError as error:
            raise storage_error(error, store) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
