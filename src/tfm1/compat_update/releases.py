"""The releases on the package index that the compatibility data speaks of, read from its file listing alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tfm1.linkage.arm64_wheels import WheelFile, arm64_wheels
from tfm1.linkage.pairs import META_WHEEL_BYTES
from tfm1.pypi.index import Index

METAL = "tensorflow-metal"
TENSORFLOW_PROJECTS = ("tensorflow", "tensorflow-macos")  # where a real macOS arm64 TensorFlow may come from
_MACOS = re.compile(r"macosx_(\d+)_(\d+)_(arm64|x86_64|universal2)")


@dataclass(frozen=True)
class Release:
    """One release of a project, as its macOS wheels on the index show it."""

    project: str
    version: str
    python_arm64: tuple[str, ...]  # "3.12", from the cpXY tags of its macOS arm64 wheels, oldest first
    python_x86_64: tuple[str, ...]
    macos_min: str  # the oldest macOS its arm64 wheels install on, e.g. "12.0"
    wheels: tuple[WheelFile, ...]  # its macOS arm64 CPython wheels

    @property
    def real(self) -> bool:
        """Whether it holds TensorFlow (a wheel this small only requires another distribution)."""
        return any(wheel.size >= META_WHEEL_BYTES for wheel in self.wheels)

    @property
    def minor(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    def wheel(self, python: str) -> WheelFile:
        return next(w for w in self.wheels if w.python == python)


def python_key(python: str) -> tuple[int, ...]:
    return tuple(int(part) for part in python.split("."))


def final_releases(index: Index, project: str) -> list[Release]:
    """Every final release of `project` with a macOS arm64 CPython wheel, oldest first (pre-releases are not what
    `pip install` picks, so the data does not follow them)."""
    from packaging.version import Version

    by_version: dict[Version, list[str]] = {}
    x86_64: dict[Version, set[str]] = {}
    for wheel in index.all_wheels(project):
        if wheel.version.is_prerelease or wheel.version.is_devrelease:
            continue
        for tag in wheel.tags:
            found = _MACOS.fullmatch(tag.platform)
            if found and tag.interpreter.startswith("cp") and found[3] in ("x86_64", "universal2"):
                x86_64.setdefault(wheel.version, set()).add(_python(tag.interpreter))
            if found and found[3] in ("arm64", "universal2"):
                by_version.setdefault(wheel.version, []).append(tag.platform)
    releases = []
    for version in sorted(by_version):
        wheels = tuple(w for w in arm64_wheels(index, project, str(version)) if re.fullmatch(r"cp\d+", w.python_tag))
        if not wheels:
            continue
        oldest = min((int(m[1]), int(m[2])) for m in map(_MACOS.fullmatch, by_version[version]) if m)
        releases.append(
            Release(
                project=project,
                version=str(version),
                python_arm64=tuple(sorted({w.python for w in wheels}, key=python_key)),
                python_x86_64=tuple(sorted(x86_64.get(version, ()), key=python_key)),
                macos_min=f"{oldest[0]}.{oldest[1]}",
                wheels=wheels,
            )
        )
    return releases


def _python(interpreter: str) -> str:
    digits = interpreter[2:]
    return f"{digits[0]}.{digits[1:]}"


def newest_per_minor(releases: list[Release]) -> list[Release]:
    """The newest release of each minor, oldest minor first."""
    newest: dict[tuple[int, int], Release] = {}
    for release in releases:  # oldest first: a later one replaces
        newest[release.minor] = release
    return [newest[minor] for minor in sorted(newest)]


def tensorflow_releases(index: Index) -> list[Release]:
    """The newest real TensorFlow of each minor on macOS arm64: `tensorflow`, or `tensorflow-macos` where the
    `tensorflow` release is only a requirement of it (2.13 to 2.15.0) or has no macOS arm64 wheel (up to 2.12)."""
    real: dict[str, Release] = {}
    for project in reversed(TENSORFLOW_PROJECTS):  # `tensorflow` last: where both are real, it is the one
        real.update({r.version: r for r in final_releases(index, project) if r.real})
    from packaging.version import Version

    return newest_per_minor([real[v] for v in sorted(real, key=Version)])
