"""Queries on the compatibility data in `tfm1.compat_data`, shared by `tfm1 doctor` and the `tfm1 lock` gate."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal, NamedTuple

from tfm1.version_range import parse_version, version_in

PairStatus = Literal["works", "degraded", "broken", "unverified"]
PackageKind = Literal["real", "meta", "shim", "empty"]


class PairVerdict(NamedTuple):
    status: PairStatus
    reason: str
    error: str = ""  # the message users see when the pair breaks
    source: str = ""  # where the data has a broken or degraded verdict from


class MetalRelease(NamedTuple):
    version: str
    python: tuple[str, ...]
    arches: tuple[str, ...]
    macos_min: str
    works: str
    degraded: tuple[dict[str, str], ...]
    broken: tuple[dict[str, str], ...]


class KnownBroken(NamedTuple):
    """A range of a dependency that a TensorFlow release does not rule out but cannot run with."""

    package: str
    versions: str  # ">=2": always one lower bound, so that `<2` is the fix
    error: str
    source: str

    @property
    def fix(self) -> str:
        return f"{self.package}<{self.versions.removeprefix('>=')}"


class TensorflowRelease(NamedTuple):
    package: str
    versions: str
    kind: PackageKind
    python_arm64: tuple[str, ...]
    python_x86_64: tuple[str, ...]
    macos_min: str
    numpy: str  # what the release's METADATA declares (the lock gate's check, before anything is installed)
    keras: str
    known_broken: tuple[KnownBroken, ...] = ()

    def pythons(self, arch: str) -> tuple[str, ...]:
        return self.python_arm64 if arch.startswith("arm64") else self.python_x86_64


class Compat:
    def __init__(self, data: dict[str, Any]) -> None:
        self.recommended: dict[str, Any] = data["recommended"]
        self.metal_releases = [
            MetalRelease(
                version=row["version"],
                python=tuple(row["python"]),
                arches=tuple(row["arches"]),
                macos_min=row["macos_min"],
                works=row["works"],
                degraded=tuple(row.get("degraded", ())),
                broken=tuple(row.get("broken", ())),
            )
            for row in data["metal"]
        ]
        self.tensorflow_releases = [
            TensorflowRelease(
                package=row["package"],
                versions=row["versions"],
                kind=row["kind"],
                python_arm64=tuple(row["python_arm64"]),
                python_x86_64=tuple(row["python_x86_64"]),
                macos_min=row["macos_min"],
                numpy=row.get("numpy", ""),
                keras=row.get("keras", ""),
                known_broken=tuple(KnownBroken(**broken) for broken in row.get("known_broken", ())),
            )
            for row in data["tensorflow"]
        ]

    def metal(self, version: str) -> MetalRelease | None:
        wanted = parse_version(version)
        return next((m for m in self.metal_releases if parse_version(m.version) == wanted), None)

    def tensorflow(self, package: str, version: str) -> TensorflowRelease | None:
        return next(
            (r for r in self.tensorflow_releases if r.package == package and version_in(version, r.versions)),
            None,
        )

    def known_broken(self, package: str, version: str, dependency: str, installed: str) -> KnownBroken | None:
        """The data's known-broken range of `dependency` that the `installed` version falls in, if any."""
        release = self.tensorflow(package, version)
        rows = release.known_broken if release else ()
        return next((b for b in rows if b.package == dependency and version_in(installed, b.versions)), None)

    def kind(self, package: str, version: str) -> PackageKind:
        """What a macOS arm64 wheel of this distribution is; other TF distributions are real."""
        release = self.tensorflow(package, version)
        return release.kind if release else "real"

    def pair(self, tensorflow: str, metal: str) -> PairVerdict:
        release = self.metal(metal)
        if release is None:
            return PairVerdict("unverified", f"tensorflow-metal {metal} is not in tfm1's data")
        for row in release.broken:
            if version_in(tensorflow, row["tensorflow"]):
                return PairVerdict(
                    "broken",
                    f"tensorflow-metal {metal} cannot load with TensorFlow {tensorflow}",
                    row["error"],
                    row["source"],
                )
        for row in release.degraded:
            if version_in(tensorflow, row["tensorflow"]):
                return PairVerdict("degraded", row["reason"], source=row["source"])
        if version_in(tensorflow, release.works):
            return PairVerdict("works", f"tensorflow-metal {metal} is made for TensorFlow {release.works}")
        return PairVerdict(
            "unverified", f"tensorflow-metal {metal} is made for TensorFlow {release.works}, not {tensorflow}"
        )

    def metal_for(self, tensorflow: str) -> MetalRelease | None:
        """The newest tensorflow-metal known to work with this TensorFlow."""
        for release in self.metal_releases:  # newest first in the data
            if self.pair(tensorflow, release.version).status == "works":
                return release
        return None

    def tensorflow_pythons(self, arch: str) -> set[str]:
        """Python versions that have a real TensorFlow wheel for macOS on this arch."""
        return {p for r in self.tensorflow_releases if r.kind == "real" for p in r.pythons(arch)}

    def newest_metal_python(self, python: str, arch: str) -> MetalRelease | None:
        return next((m for m in self.metal_releases if arch in m.arches and python in m.python), None)


@cache
def load() -> Compat:
    from tfm1.compat_data import DATA

    return Compat(DATA)
