"""`tfm1 bundle --check FILE`, offline: every member has the size and sha256 its manifest names, nothing is missing
or foreign, the lock is complete (each of its packages and wheels, under the lock's own sha256), and the Miniforge
installer is the one tfm1 pins for the bundle's platform."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfm1.bundlefile import Manifest
from tfm1.envelope import Outcome
from tfm1.errors import ExitCode, UsageError
from tfm1.jsonable import record_json
from tfm1.setup.events import Events


@dataclass(frozen=True)
class BundleCheck:
    path: Path
    profile: str
    platform: str
    tfm1_version: str  # the tfm1 that made it
    lockfile_sha256: str
    files: int
    size: int

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


def check_bundle(path: Path, events: Events) -> Outcome:
    from tfm1.bundle.contents import lock_contents
    from tfm1.bundle.tfm1_wheels import REQUIREMENTS
    from tfm1.bundlefile import BundleError, member_name, read_head, read_members
    from tfm1.setup.bundle_source import check_complete

    path = path.expanduser().absolute()
    if not path.is_file():
        raise UsageError(f"no bundle at {path}", "pass the file tfm1 bundle wrote")
    manifest, lock = read_head(path)
    with tempfile.TemporaryDirectory(prefix="tfm1-bundle-check-") as name:
        folder = Path(name)
        (folder / "conda-lock.yml").write_bytes(lock)
        try:
            contents = lock_contents(folder / "conda-lock.yml", manifest.platform, manifest.lockfile_sha256)
        except UsageError as error:
            raise BundleError(path, f"its lock cannot be used for {manifest.platform}: {error.message}") from None
        check_complete(path, manifest, contents.files)
        events.step("bundle", "started", f"checking {len(manifest.members)} files of {path}")
        requirements = member_name("tfm1", "", REQUIREMENTS)
        with events.progress() as progress:
            task = progress.add_task("checking the bundle", total=manifest.size)
            read_members(
                path,
                manifest,
                lambda member: folder / REQUIREMENTS if member.name == requirements else None,
                lambda done: progress.update(task, completed=done),
            )
        _check_tfm1_wheels(path, manifest, folder / REQUIREMENTS)
    files = len(manifest.members) - 1
    made_by, lock_sha256 = manifest.tfm1_version, manifest.lockfile_sha256
    size = path.stat().st_size
    result = BundleCheck(path, manifest.profile, manifest.platform, made_by, lock_sha256, files, size)
    return Outcome("bundle", ExitCode.OK, result)


def _check_tfm1_wheels(path: Path, manifest: Manifest, requirements: Path) -> None:
    """tfm1's wheels and their requirements file name each other: install.sh's pip takes exactly those files."""
    import re

    from tfm1.bundlefile import BundleError

    wheels = {m.sha256 for m in manifest.of_kind("tfm1") if m.name.endswith(".whl")}
    if not wheels and not manifest.of_kind("tfm1"):
        return  # a bundle for tfm1 setup --bundle alone
    pinned = set(
        re.findall(r"--hash=sha256:([0-9a-f]{64})", requirements.read_text()) if requirements.is_file() else ()
    )
    if pinned != wheels:
        raise BundleError(path, "its tfm1 wheels and tfm1/requirements.txt do not name the same files")


def show_check(result: BundleCheck) -> None:
    from tfm1.terminal import echo

    echo(
        f"{result.path}: complete and unchanged: {result.files} files for {result.platform} "
        f"(profile {result.profile}, made by tfm1 {result.tfm1_version})"
    )
