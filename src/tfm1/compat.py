"""Queries on the compatibility data in `tfm1.compat_data`, shared by `tfm1 doctor` and the `tfm1 lock` gate.

Below the hand-written data comes what `tfm1 compat update` found (`tfm1.compat_found`): a pair's verdict is the
cited report's when compat_data.py has one, else the Apple-silicon workflow's, else the binaries'; `evidence` says
which of them decided.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, cached_property
from typing import Any, Literal, NamedTuple

from tfm1.version_range import parse_version, version_in

PairStatus = Literal["works", "degraded", "broken", "unverified"]
PackageKind = Literal["real", "meta", "shim", "empty"]
# report   = a row of compat_data.py, which cites its source (a public report, PyPI, METADATA, a proof by hand)
# mac-job  = the Apple-silicon workflow set the pair up and verified it on a Mac (`tfm1 compat confirm`)
# binaries = the plugin's imports checked against TensorFlow's exports in the wheels (`tfm1 compat update`)
EvidenceKind = Literal["report", "mac-job", "binaries", "none"]
_ISSUE = re.compile(r"tensorflow/tensorflow#(\d+)")


class Evidence(NamedTuple):
    """What decided a pair's verdict, in the order of precedence of EvidenceKind, and where to read it."""

    kind: EvidenceKind
    source: str  # one line for people
    link: str = ""


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
        self._pairs: Iterable[dict[str, Any]] | Callable[[], Iterable[dict[str, Any]]] = data.get("pairs", ())

    @cached_property
    def found_pairs(self) -> dict[tuple[object, object], dict[str, Any]]:
        """The pairs `tfm1 compat update` found, read at the first question a report leaves open."""
        rows = self._pairs() if callable(self._pairs) else self._pairs
        return {_pair_key(row["tensorflow"], row["tensorflow_metal"]): row for row in rows}

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
        """The verdict of a report when there is one, else of the Mac job or the binaries (`evidence` says which)."""
        reported = self._reported(tensorflow, metal)
        if reported.status != "unverified":
            return reported
        found = self.found_pairs.get(_pair_key(tensorflow, metal))
        return reported if found is None else PairVerdict(found["status"], found["reason"], found.get("error", ""))

    def evidence(self, tensorflow: str, metal: str) -> Evidence:
        """Which source decided `pair(tensorflow, metal)`: a report always wins over what was found."""
        reported = self._reported(tensorflow, metal)
        if reported.status != "unverified":
            cited = _ISSUE.search(reported.reason + " " + reported.error)
            link = f"https://github.com/tensorflow/tensorflow/issues/{cited[1]}" if cited else ""
            return Evidence("report", "tfm1's compatibility data (compat_data.py), which cites its source", link)
        found = self.found_pairs.get(_pair_key(tensorflow, metal))
        if found is None:
            return Evidence("none", reported.reason)
        return found_evidence(found)

    def _reported(self, tensorflow: str, metal: str) -> PairVerdict:
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
        """The newest tensorflow-metal known to work with this TensorFlow: one a report vouches for first, else one
        proven by the Mac job or the binaries (which prove that it loads, not that it computes right)."""
        works = [r for r in self.metal_releases if self.pair(tensorflow, r.version).status == "works"]  # newest first
        reported = [r for r in works if self.evidence(tensorflow, r.version).kind == "report"]
        return next(iter(reported or works), None)

    def tensorflow_pythons(self, arch: str) -> set[str]:
        """Python versions that have a real TensorFlow wheel for macOS on this arch."""
        return {p for r in self.tensorflow_releases if r.kind == "real" for p in r.pythons(arch)}

    def newest_metal_python(self, python: str, arch: str) -> MetalRelease | None:
        return next((m for m in self.metal_releases if arch in m.arches and python in m.python), None)


def found_evidence(row: dict[str, Any]) -> Evidence:
    """The evidence of a pair row of `tfm1.compat_found`."""
    evidence = row["evidence"]
    if evidence["kind"] == "mac-job":
        commit, date = evidence["commit"][:12], evidence["date"]
        source = f"the Apple-silicon workflow passed with this pair pinned (commit {commit}, {date})"
        return Evidence("mac-job", source, evidence["run"])
    wheels = ", ".join(evidence["wheels"])
    source = f"the binaries of {wheels}, checked {evidence['date']} by {evidence['tool']}"
    return Evidence("binaries", source, f"https://pypi.org/project/tensorflow-metal/{row['tensorflow_metal']}/#files")


def _pair_key(tensorflow: str, metal: str) -> tuple[object, object]:
    return parse_version(tensorflow), parse_version(metal)


def with_found(data: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """`data` (compat_data.py) with what `tfm1 compat update` found merged below it.

    Found pairs are kept apart (`pair` asks them only where no report decides; `load` reads them from
    `tfm1.compat_found_pairs`). Python tags found on PyPI are
    facts that widen a row: a release's tags are added to its metal row, or to a copy of its TensorFlow row
    limited to that release. A found TensorFlow row joins only where no hand-written row covers its release.
    Found tensorflow-metal releases stay out of the metal rows, which doctor's advice treats as reported.
    """
    metal = [dict(row) for row in data["metal"]]
    tensorflow = [dict(row) for row in data["tensorflow"]]
    hand = list(tensorflow)
    for tags in found.get("python_tags", ()):
        if tags["package"] == "tensorflow-metal":
            for row in metal:
                if parse_version(row["version"]) == parse_version(tags["version"]):
                    row["python"] = _union(row["python"], tags["python_arm64"])
            continue
        at = next((i for i, r in enumerate(tensorflow) if _covers(r, tags["package"], tags["version"])), None)
        if at is not None:
            row = tensorflow[at]
            python = _union(row["python_arm64"], tags["python_arm64"])
            tensorflow.insert(at, {**row, "versions": f"=={tags['version']}", "python_arm64": python})
    for row in found.get("tensorflow", ()):
        if not any(_covers(r, row["package"], row["release"]) for r in hand):  # a report wins
            tensorflow.append(row)
    return {**data, "metal": metal, "tensorflow": tensorflow, "pairs": list(found.get("pairs", ()))}


def _covers(row: dict[str, Any], package: str, version: str) -> bool:
    return bool(row["package"] == package and version_in(version, row["versions"]))


def _union(have: list[str], more: list[str]) -> list[str]:
    return sorted({*have, *more}, key=lambda python: tuple(int(part) for part in python.split(".")))


@cache
def load() -> Compat:
    from tfm1.compat_data import DATA
    from tfm1.compat_found import FOUND

    # The pairs are most of what was found and cost doctor ~15 ms to build (python -X importtime): read them only
    # when a report leaves a pair open.
    return Compat({**with_found(DATA, FOUND), "pairs": _found_pairs})


def _found_pairs() -> list[dict[str, Any]]:
    from tfm1.compat_found_pairs import PAIRS

    return PAIRS
