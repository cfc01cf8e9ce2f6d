"""`tfm1 lock --check`: is each committed lock current, well-formed and safe? Offline; nothing is resolved.

A lock fails when: it is missing or does not parse (tfm1's reader, py-rattler's, and conda-lock's when it is
installed); a platform of environment.yml is missing; its content hash differs from environment.yml's (stale:
the locked and current inputs are shown as a diff); a conda entry lacks url, md5 or sha256; a pip entry is not
one wheel whose tags fit the platform and the locked Python; a spec of environment.yml is not met; or the locked
packages fail the gate.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfm1.errors import Tfm1Error
from tfm1.jsonable import record_json
from tfm1.lock import gate
from tfm1.lock.spec import canonical_text, content_hash
from tfm1.lock.targets import minor, target
from tfm1.lockfile import LockedPackage, Lockfile, read_lockfile
from tfm1.profiles import Profile

_MD5 = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class CheckResult:
    profile: Profile
    problems: list[str] = field(default_factory=list)
    findings: list[gate.GateFinding] = field(default_factory=list)
    diff: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        head = {"profile": self.profile.name, "lockfile": str(self.profile.lockfile), "ok": self.ok}
        return {**head, **record_json(self, omit={"profile"})}


def check_profile(profile: Profile) -> CheckResult:
    result = CheckResult(profile)
    if not profile.lockfile.is_file():
        result.problems.append(f"no lockfile at {profile.lockfile}")
        return result
    try:
        lock = read_lockfile(profile.lockfile)
    except Tfm1Error as error:
        result.problems.append(error.message)
        return result
    result.problems += parser_problems(profile.lockfile, result.notes)
    _check_inputs(profile, lock, result)
    for platform in profile.platforms:
        if platform not in lock.platforms or not lock.for_platform(platform, "conda"):
            result.problems.append(f"no {platform} packages in the lock")
            continue
        _check_platform(profile, lock, platform, result)
    return result


def parser_problems(path: Path, notes: list[str]) -> list[str]:
    """What py-rattler's and conda-lock's own parsers say about the lockfile (conda-lock only if installed)."""
    problems = []
    try:
        import rattler

        rattler.LockFile.from_path(path)
    except Exception as error:  # rattler raises its own exception types for unreadable files
        problems.append(f"py-rattler cannot parse the lock: {' '.join(str(error).split())}")
    return problems + _conda_lock_problems(path, notes)


def _conda_lock_problems(path: Path, notes: list[str]) -> list[str]:
    """conda-lock's verdict on the lockfile. Importing conda-lock takes seconds (it vendors poetry), so a lockfile
    it accepted is remembered by the sha256 of its content and conda-lock's version: an unchanged lock is not
    parsed again, a changed one is a new key."""
    from importlib.metadata import PackageNotFoundError, version

    from tfm1.cache import cache_root
    from tfm1.download import sha256_of
    from tfm1.pypi.wheel_cache import try_write_atomic

    try:
        accepted = cache_root() / "conda-lock-accepted" / f"{sha256_of(path)}-{version('conda-lock')}"
    except PackageNotFoundError:
        notes.append("conda-lock is not installed: its parser was not run")
        return []
    if accepted.is_file():
        return []
    try:
        from conda_lock.lockfile import parse_conda_lock_file
    except ImportError:
        notes.append("conda-lock is not installed: its parser was not run")
        return []
    try:
        parse_conda_lock_file(path)
    except Exception as error:  # pydantic validation errors and YAML errors alike
        return [f"conda-lock cannot parse the lock: {' '.join(str(error).split())}"]
    try_write_atomic(accepted, b"")
    return []


def _check_inputs(profile: Profile, lock: Lockfile, result: CheckResult) -> None:
    stale = [p for p in profile.platforms if lock.content_hash.get(p) != content_hash(profile, p)]
    if not stale:
        return
    result.problems.append(
        f"stale: environment.yml changed since the lock was made (content hash differs for {', '.join(stale)})"
    )
    result.diff = "".join(
        difflib.unified_diff(
            lock.spec.splitlines(keepends=True),
            canonical_text(profile).splitlines(keepends=True),
            fromfile="locked",
            tofile="environment.yml",
            n=0,
        )
    )


def _check_platform(profile: Profile, lock: Lockfile, platform: str, result: CheckResult) -> None:
    conda = lock.for_platform(platform, "conda")
    pip = lock.for_platform(platform, "pip")
    pythons = [p.version for p in conda if p.name == "python"]
    if len(pythons) != 1:
        result.problems.append(f"{platform}: expected one conda python entry, found {len(pythons)}")
        return
    python = pythons[0]
    if minor(python) != profile.python:
        result.problems.append(f"{platform}: locked Python {python}, environment.yml asks for {profile.python}")
    for entry in conda:
        result.problems += [f"{platform}: {p}" for p in _conda_entry_problems(entry)]
    tags = set(target(platform).tags(python))
    for entry in pip:
        result.problems += [f"{platform}: {p}" for p in _pip_entry_problems(entry, tags, python)]
    versions = lock.versions(platform)
    result.problems += [f"{platform}: {p}" for p in _unmet_specs(profile.pip_specs, versions)]
    result.findings += [f for f in gate.check(versions, platform, python) if f not in result.findings]


def _conda_entry_problems(entry: LockedPackage) -> list[str]:
    problems = []
    if not entry.url.startswith("https://") or not entry.url.endswith((".conda", ".tar.bz2")):
        problems.append(f"conda entry {entry.name}: url {entry.url!r} is not an https conda package")
    elif entry.url.rsplit("/", 2)[-2] not in (entry.platform, "noarch"):
        problems.append(f"conda entry {entry.name}: url {entry.url} is not for {entry.platform}")
    if not entry.md5 or not _MD5.match(entry.md5):
        problems.append(f"conda entry {entry.name}: missing or malformed md5")
    if not _SHA256.match(entry.sha256):
        problems.append(f"conda entry {entry.name}: missing or malformed sha256")
    return problems


def _pip_entry_problems(entry: LockedPackage, tags: set[str], python: str) -> list[str]:
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
    from packaging.version import Version

    if not entry.url.startswith("https://") or not entry.filename.endswith(".whl"):
        return [f"pip entry {entry.name}: {entry.url!r} is not an https wheel"]
    problems = []
    try:
        name, version, _, wheel_tags = parse_wheel_filename(entry.filename)
    except InvalidWheelFilename as error:
        return [f"pip entry {entry.name}: {error}"]
    if name != canonicalize_name(entry.name) or version != Version(entry.version):
        problems.append(f"pip entry {entry.name} {entry.version}: the wheel is {entry.filename}")
    if not {str(t) for t in wheel_tags} & tags:
        problems.append(
            f"pip entry {entry.name}: {entry.filename} does not install on {entry.platform}, Python {python}"
        )
    if not _SHA256.match(entry.sha256):
        problems.append(f"pip entry {entry.name}: missing or malformed sha256")
    return problems


def _unmet_specs(specs: tuple[str, ...], versions: dict[str, str]) -> list[str]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    problems = []
    for spec in specs:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as error:
            problems.append(f"environment.yml pip spec {spec!r}: {error}")
            continue
        locked = versions.get(str(canonicalize_name(requirement.name)))
        if locked is None:
            problems.append(f"environment.yml wants {spec}, the lock has no {requirement.name}")
        elif not requirement.specifier.contains(locked, prereleases=True):
            problems.append(f"environment.yml wants {spec}, the lock has {requirement.name} {locked}")
    return problems
