"""Regenerate a profile's lock: conda layer, pip layer per platform, the gate, then write (or refuse)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from tfm1.errors import Tfm1Error
from tfm1.jsonable import record_json
from tfm1.lock import conda_layer, gate, pip_layer
from tfm1.lock.spec import canonical_text, content_hashes
from tfm1.lock.targets import minor, target
from tfm1.lockfile import LockedPackage, Lockfile, read_lockfile, write_lockfile
from tfm1.profiles import Profile
from tfm1.pypi.index import Index
from tfm1.rattler.solve import solve

Status = Literal["created", "updated", "unchanged", "refused", "failed"]


@dataclass
class Changes:
    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (old, new) version
    rehashed: list[str] = field(default_factory=list)  # same version, another file or hash

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.rehashed)

    def to_json(self) -> dict[str, Any]:
        return record_json(self)  # a changed version's (old, new) pair as a list

    def lines(self) -> list[str]:
        return [
            *(f"+ {n} {v}" for n, v in self.added.items()),
            *(f"- {n} {v}" for n, v in self.removed.items()),
            *(f"~ {n} {old} -> {new}" for n, (old, new) in self.changed.items()),
            *(f"~ {n} (same version, new file or hash)" for n in self.rehashed),
        ]


@dataclass
class ProfileResult:
    profile: Profile
    status: Status
    pythons: dict[str, str] = field(default_factory=dict)  # platform -> locked Python
    error: str = ""
    findings: list[gate.GateFinding] = field(default_factory=list)
    changes: dict[str, Changes] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status not in ("refused", "failed")

    def to_json(self) -> dict[str, Any]:
        head = {"profile": self.profile.name, "lockfile": str(self.profile.lockfile), "status": self.status}
        return {**head, "ok": self.ok, **record_json(self, omit={"profile", "status"}, rename={"pythons": "python"})}


def diff(old: list[LockedPackage], new: list[LockedPackage]) -> Changes:
    before = {(p.manager, p.name): p for p in old}
    after = {(p.manager, p.name): p for p in new}
    changes = Changes()
    for key, package in sorted(after.items()):
        previous = before.get(key)
        if previous is None:
            changes.added[package.name] = package.version
        elif previous.version != package.version:
            changes.changed[package.name] = (previous.version, package.version)
        elif (previous.url, previous.sha256) != (package.url, package.sha256):
            changes.rehashed.append(package.name)
    for key, package in sorted(before.items()):
        if key not in after:
            changes.removed[package.name] = package.version
    return changes


def expected_projects(profile: Profile) -> dict[str, list[str]]:
    """The index pages a re-lock of `profile` reads, as far as known before resolving, each with the sha256 of the
    wheels whose metadata uv will read: the `pip:` section's projects, then every pip package of the current lock
    (with its wheel) and the Python distributions of its conda layer."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    expected: dict[str, list[str]] = {}
    for spec in profile.pip_specs:
        try:
            expected.setdefault(canonicalize_name(Requirement(spec).name), [])
        except InvalidRequirement:
            continue  # uv words the error
    try:
        existing = read_lockfile(profile.lockfile) if profile.lockfile.is_file() else None
    except Tfm1Error:
        existing = None  # the lock itself reports it
    if existing is not None:
        for platform in existing.platforms:
            for package in existing.for_platform(platform, "pip"):
                expected.setdefault(package.name, []).append(package.sha256)
            for name in conda_layer.python_distributions(existing.for_platform(platform, "conda")):
                expected.setdefault(name, [])
    return expected


def lock_profile(
    profile: Profile,
    *,
    pip_only: bool = False,
    check_linkage: bool = True,
    index: Index | None = None,
    resolver_url: str | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> ProfileResult:
    """Lock `profile` and write its lockfile unless the gate refuses it. Never raises Tfm1Error.

    `index`: share one between profiles locked together, so each project page is fetched once; `resolver_url`:
    where uv reads that index (a local `IndexMirror` of it), by default the index itself.
    """
    try:
        return _lock(profile, pip_only, check_linkage, index or Index(), resolver_url, step)
    except Tfm1Error as error:
        message = error.message + (f" Fix: {error.fix}" if error.fix else "")
        return ProfileResult(profile, "failed", error=message)


def _lock(
    profile: Profile,
    pip_only: bool,
    check_linkage: bool,
    index: Index,
    resolver_url: str | None,
    step: Callable[[str], None],
) -> ProfileResult:
    existing = read_lockfile(profile.lockfile) if profile.lockfile.is_file() else None
    # The pins alone already name a broken pair: refuse before resolving anything.
    early = [
        f
        for platform in profile.platforms
        for f in gate.check(profile.pins, platform, profile.python + ".0", partial=True)
    ]
    if any(f.severity == "error" for f in early):
        return ProfileResult(profile, "refused", findings=_unique(early))
    # Platforms are independent and their time is spent waiting on uv and the index: resolve them at once.
    with ThreadPoolExecutor(max_workers=len(profile.platforms) or 1) as pool:
        layers = list(
            pool.map(
                lambda p: _lock_platform(profile, p, existing, pip_only, check_linkage, index, resolver_url, step),
                profile.platforms,
            )
        )
    findings = [f for layer in layers for f in layer.findings]
    packages = [p for layer in layers for p in layer.packages]
    pythons = {platform: layer.python for platform, layer in zip(profile.platforms, layers, strict=True)}
    findings = _unique(findings)
    if any(f.severity == "error" for f in findings):
        return ProfileResult(profile, "refused", findings=findings, pythons=pythons)
    lock = Lockfile(
        platforms=list(profile.platforms),
        channels=list(profile.channels),
        content_hash=content_hashes(profile),
        packages=packages,
        spec=canonical_text(profile),
    )
    changes = {
        platform: diff(existing.for_platform(platform) if existing else [], lock.for_platform(platform))
        for platform in profile.platforms
    }
    written = write_lockfile(lock, profile.lockfile)
    status: Status = "created" if existing is None else "updated" if written else "unchanged"
    return ProfileResult(profile, status, findings=findings, changes=changes, pythons=pythons)


@dataclass
class _Layers:
    python: str
    packages: list[LockedPackage]
    findings: list[gate.GateFinding]


def _lock_platform(
    profile: Profile,
    platform: str,
    existing: Lockfile | None,
    pip_only: bool,
    check_linkage: bool,
    index: Index,
    resolver_url: str | None,
    step: Callable[[str], None],
) -> _Layers:
    tgt = target(platform)
    step(f"{profile.name} {platform}: conda layer")
    conda = conda_layer.keep(existing, platform) if pip_only else solve(profile.channels, profile.conda_specs, tgt)
    python = conda_layer.python_version(conda)
    if minor(python) != profile.python:
        raise Tfm1Error(
            f"the locked conda layer for {platform} has Python {python}, environment.yml asks for {profile.python}",
            "re-solve the conda layer: run `tfm1 lock` without --pip-only",
        )
    step(f"{profile.name} {platform}: pip layer (Python {python})")
    provided = conda_layer.python_distributions(conda)
    pip = pip_layer.lock_pip_layer(profile.pip_specs, tgt, python, provided, index, resolver_url)
    versions = {**{p.name: p.version for p in conda}, **{p.name: p.version for p in pip}}
    step(f"{profile.name} {platform}: gate")
    findings = gate.check(versions, platform, python)
    if check_linkage and platform == "osx-arm64":
        findings += gate.linkage(versions, platform, python, index=index)
    return _Layers(python, conda + pip, findings)


def _unique(findings: list[gate.GateFinding]) -> list[gate.GateFinding]:
    return list(dict.fromkeys(findings))
