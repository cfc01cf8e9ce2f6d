"""Find the macOS arm64 wheel of a release on PyPI through the simple JSON API (PEP 691).

The per-version JSON API (`/pypi/<p>/<v>/json`) and PEP 658 metadata files are not available everywhere
tfm1 runs, so only the simple index is used: it names every file with its URL, size and sha256.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tfm1.errors import Tfm1Error, UsageError

if TYPE_CHECKING:
    import requests

SIMPLE_URL = "https://pypi.org/simple/{project}/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
PLATFORM_SUFFIX = "_arm64.whl"
WHEEL_RE = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<plat>.+)\.whl$"
)


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


class Index:
    """The simple-index pages tfm1 asked for in this run (one request per project)."""

    def __init__(self, session: requests.Session, base_url: str = SIMPLE_URL) -> None:
        self.session = session
        self.base_url = base_url
        self._pages: dict[str, list[dict[str, Any]]] = {}

    def files(self, project: str) -> list[dict[str, Any]]:
        if project not in self._pages:
            import requests

            url = self.base_url.format(project=project)
            try:
                response = self.session.get(url, headers={"Accept": ACCEPT}, timeout=60)
                response.raise_for_status()
                self._pages[project] = list(response.json()["files"])
            except (requests.RequestException, ValueError, KeyError) as error:
                raise Tfm1Error(
                    f"cannot read the package index for {project} ({url}): {error}",
                    "check the network connection to pypi.org and try again",
                ) from None
        return self._pages[project]

    def arm64_wheels(self, project: str, version: str) -> list[WheelFile]:
        wheels = []
        for entry in self.files(project):
            match = WHEEL_RE.match(entry["filename"])
            if (
                not match
                or match["version"] != version
                or not match["plat"].startswith("macosx_")
                or not entry["filename"].endswith(PLATFORM_SUFFIX)
                or entry.get("yanked")
            ):
                continue
            sha256 = entry.get("hashes", {}).get("sha256")
            if not sha256:
                continue  # fail closed: every download is checked against a known sha256
            wheels.append(
                WheelFile(
                    project, version, entry["filename"], entry["url"], sha256, int(entry["size"]), match["python"]
                )
            )
        return wheels

    def versions(self, project: str) -> set[str]:
        found = set()
        for entry in self.files(project):
            match = WHEEL_RE.match(entry["filename"])
            if match and entry["filename"].endswith(PLATFORM_SUFFIX) and "macosx_" in match["plat"]:
                found.add(match["version"])
        return found

    def wheel(self, project: str, version: str, python: str) -> tuple[WheelFile, str | None]:
        """The wheel for `python`, or the nearest Python tag there is; the second item says when it stood in."""
        wanted = python_tag(python)
        wheels = [w for w in self.arm64_wheels(project, version) if re.fullmatch(r"cp\d+", w.python_tag)]
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
