"""`tfm1 bundle -o FILE`: every file setup needs for one lock and platform, fetched through the verified download
store (a file already there is not fetched again), written into one reproducible bundle (`tfm1.bundlefile`).

The bundle is written beside FILE under a temporary name and renamed into place only once it is whole; an existing
FILE is never replaced (it may be a bundle another Mac is reading).
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfm1.envelope import Outcome
from tfm1.errors import ExitCode, UsageError
from tfm1.jsonable import record_json
from tfm1.setup.events import Events

DEFAULT_PLATFORM = "osx-arm64"


@dataclass(frozen=True)
class BundleRequest:
    output: Path
    profile: str | None = None
    lockfile: Path | None = None
    platform: str = DEFAULT_PLATFORM
    wheels: Path | None = None  # tfm1's wheel and its dependencies', for install.sh --bundle


@dataclass(frozen=True)
class BundleResult:
    path: Path
    sha256: str
    size: int
    profile: str
    platform: str
    lockfile_sha256: str
    files: int  # members besides the manifest and the lock
    tfm1_wheels: int  # of them, tfm1's own wheels (install.sh --bundle needs them)
    downloaded: int  # of them, how many were not in the download store yet

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


def build_bundle(request: BundleRequest, events: Events) -> Outcome:
    from tfm1 import __version__
    from tfm1.bundle.contents import lock_contents
    from tfm1.bundlefile import Manifest, Member, member_name
    from tfm1.download import sha256_of
    from tfm1.setup.options import SetupOptions
    from tfm1.setup.resolve import resolve_lockfile

    output = request.output.expanduser().absolute()
    if output.exists() or output.is_symlink():
        raise UsageError(f"{output} already exists; tfm1 bundle never replaces a file", "pass another -o FILE")
    if not output.parent.is_dir():
        raise UsageError(f"{output.parent} is not a folder", "pass -o FILE in an existing folder")
    if request.profile is not None and request.lockfile is None:
        from tfm1.profiles import check_platform, get_profile

        check_platform(get_profile(request.profile), request.platform)
    source = resolve_lockfile(SetupOptions(profile=request.profile, lockfile=request.lockfile), request.platform)
    contents = lock_contents(source.path, request.platform, source.sha256)
    events.step(
        "lockfile",
        "ok",
        f"lockfile {source.path}: {len(contents.lock.conda)} conda + {len(contents.lock.pip)} pip packages "
        f"for {request.platform}",
        path=str(source.path),
        sha256=source.sha256,
        platform=request.platform,
    )
    unique = {member_name(kind, w.sha256, w.file_name): (kind, w) for kind, w in contents.files}
    paths, downloaded = _fetch(list(unique.values()), events)
    members = [Member(name, kind, paths[name].stat().st_size, wanted.sha256) for name, (kind, wanted) in unique.items()]
    lock = Member(member_name("lockfile", source.sha256, ""), "lockfile", source.path.stat().st_size, source.sha256)
    with tempfile.TemporaryDirectory(prefix="tfm1-bundle-") as scratch:
        own = _tfm1_wheels(request.wheels, Path(scratch))
        members += [member for member, _ in own]
        paths.update((member.name, path) for member, path in own)
        manifest = Manifest(
            __version__,
            source.profile,
            request.platform,
            source.sha256,
            (lock, *sorted(members, key=lambda member: member.name)),
        )
        _write(output, manifest, {**paths, lock.name: source.path}, events)
    result = BundleResult(
        output,
        sha256_of(output),
        output.stat().st_size,
        source.profile,
        request.platform,
        source.sha256,
        len(members),
        len(own) - 1 if own else 0,
        downloaded,
    )
    return Outcome("bundle", ExitCode.OK, result)


def _tfm1_wheels(folder: Path | None, scratch: Path) -> list[tuple[Any, Path]]:
    """The members for tfm1's wheels in `folder` and their requirements file (written into `scratch`)."""
    if folder is None:
        return []
    from tfm1.bundle.tfm1_wheels import REQUIREMENTS, requirements_for, wheels_in
    from tfm1.bundlefile import Member, member_name
    from tfm1.download import sha256_of

    hashes = {wheel: sha256_of(wheel) for wheel in wheels_in(folder)}
    requirements = scratch / REQUIREMENTS
    requirements.write_bytes(requirements_for(hashes))
    found = [*hashes.items(), (requirements, sha256_of(requirements))]
    return [
        (Member(member_name("tfm1", sha256, path.name), "tfm1", path.stat().st_size, sha256), path)
        for path, sha256 in found
    ]


def _fetch(files: list[tuple[Any, Any]], events: Events) -> tuple[dict[str, Path], int]:
    """Every file in the verified store (downloaded when missing or changed there): member name -> file, and how
    many had to be downloaded."""
    from tfm1.bundlefile import member_name
    from tfm1.setup.miniforge import Installer, download_installer
    from tfm1.setup.store import PARALLEL, Prefetch, fetch, results, store_dir

    def present(kind: str, sha256: str, file_name: str) -> bool:
        if kind == "miniforge":
            from tfm1.cache import cache_root

            return (cache_root() / "miniforge" / sha256 / file_name).is_file()
        return (store_dir() / sha256 / file_name).is_file()

    missing = sum(not present(kind, w.sha256, w.file_name) for kind, w in files)
    message = f"fetching {len(files)} files into the download store ({missing} not there yet), {PARALLEL} at a time"
    events.step("download", "started", message, files=len(files), missing=missing)
    with events.progress() as progress, Prefetch() as prefetch:
        task = progress.add_task(f"downloading {missing} files", total=None)
        prefetch.report_to(lambda done, total: progress.update(task, completed=done, total=total))
        futures = []
        for kind, wanted in files:
            if kind == "miniforge":
                installer = Installer(wanted.url, wanted.sha256)
                futures.append(prefetch.submit(functools.partial(download_installer, installer)))
            else:
                futures.append(prefetch.submit(functools.partial(fetch, wanted)))
        paths = results(futures)
    events.step("download", "ok", f"{len(files)} files verified in the download store", downloaded=missing)
    names = [member_name(kind, w.sha256, w.file_name) for kind, w in files]
    return dict(zip(names, paths, strict=True)), missing


def _write(output: Path, manifest: Any, files: dict[str, Path], events: Events) -> None:
    from tfm1.bundlefile import write_bundle
    from tfm1.storage import storage_error

    events.step("write", "started", f"writing {output} ({manifest.size / 1e6:.1f} MB)")
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    os.close(handle)
    try:
        with events.progress() as progress:
            task = progress.add_task(f"writing {output.name}", total=manifest.size)
            write_bundle(Path(temporary), manifest, files, lambda done: progress.update(task, completed=done))
        # Readable like any file the user makes (mkstemp's is private); the umask still applies.
        umask = os.umask(0)
        os.umask(umask)
        Path(temporary).chmod(0o666 & ~umask)
        if output.exists() or output.is_symlink():
            raise UsageError(f"{output} appeared while the bundle was written", "pass another -o FILE")
        Path(temporary).replace(output)
    except OSError as error:
        raise storage_error(error, output) from None
    finally:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
    events.step("write", "ok", f"bundle written: {output}", path=str(output))


def show_bundle(result: BundleResult) -> None:
    from tfm1.terminal import echo

    without = "" if result.tfm1_wheels else "\n  (no tfm1 wheels in it: install.sh --bundle needs --wheels DIR)"
    echo(
        f"\n{result.path}: {result.files} files, {result.size / 1e6:.1f} MB, sha256 {result.sha256}\n"
        f"  on each Mac ({result.platform}): tfm1 setup --bundle {result.path.name}  "
        "(or: sh install.sh --bundle FILE)" + without
    )
