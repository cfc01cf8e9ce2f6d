"""Find the macOS arm64 wheel of a release on PyPI, through tfm1's simple-index client (`tfm1.pypi.index`).

The per-version JSON API (`/pypi/<p>/<v>/json`) and PEP 658 metadata files are not available everywhere
tfm1 runs, so only the simple index is used: it names every file with its URL, size and sha256.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tfm1.errors import UsageError
from tfm1.pypi.index import Index, IndexWheel


@dataclass(frozen=True)
class WheelFile:
    project: str
    version: str
    filename: str
    url: str
    sha256: str
    size: int
    python_tag: str  # "cp311"

    @property
    def python(self) -> str:
        """`cp311` -> `3.11`."""
        digits = self.python_tag[2:]
        return f"{digits[0]}.{digits[1:]}"


def python_tag(python: str) -> str:
    match = re.fullmatch(r"(\d)\.(\d+)", python)
    if not match:
        raise UsageError(f"--python {python}: expected a version like 3.11", "pass MAJOR.MINOR, e.g. --python 3.11")
    return f"cp{match[1]}{match[2]}"


def _arm64_python_tag(wheel: IndexWheel) -> str | None:
    """The interpreter tag of the wheel's macOS arm64 tag (`cp311`), or None when it has no such tag."""
    found = sorted(
        t.interpreter for t in wheel.tags if t.platform.startswith("macosx_") and t.platform.endswith("_arm64")
    )
    return found[0] if found else None


def arm64_wheels(index: Index, project: str, version: str) -> list[WheelFile]:
    wheels = []
    for wheel in index.wheels(project, version):
        tag = _arm64_python_tag(wheel)
        if tag is None or not wheel.sha256 or wheel.size is None:
            continue  # fail closed: every download is checked against a known sha256 and size
        wheels.append(WheelFile(project, version, wheel.filename, wheel.url, wheel.sha256, wheel.size, tag))
    return wheels


def versions(index: Index, project: str) -> set[str]:
    """The releases of `project` with a macOS arm64 wheel, as their file names spell them."""
    return {str(wheel.version) for wheel in index.all_wheels(project) if _arm64_python_tag(wheel) is not None}


def best_wheel(index: Index, project: str, version: str, python: str) -> tuple[WheelFile, str | None]:
    """The wheel for `python`, or the nearest Python tag there is; the second item says when it stood in."""
    wanted = python_tag(python)
    wheels = [w for w in arm64_wheels(index, project, version) if re.fullmatch(r"cp\d+", w.python_tag)]
    if not wheels:
        raise UsageError(
            f"{project} {version} has no macOS arm64 wheel on PyPI",
            f"pick a {project} version that has one (see tfm1 matrix)",
        )
    exact = [w for w in wheels if w.python_tag == wanted]
    if exact:
        return exact[0], None
    want_minor = int(wanted[3:])
    best = min(wheels, key=lambda w: (abs(int(w.python_tag[3:]) - want_minor), -int(w.python_tag[3:])))
    return best, f"{project} {version} has no wheel for Python {python}; read the Python {best.python} wheel"
