"""What the releases on PyPI show that the compatibility data does not say: the pairs to prove, and the release rows
(a new tensorflow-metal, a new TensorFlow minor, a new Python tag) to add."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tfm1.compat import Compat
from tfm1.compat_update.releases import Release, python_key


@dataclass(frozen=True)
class Candidate:
    """A pair no source covers, and the Python whose wheels of both are read to prove it."""

    tensorflow: Release
    metal: Release
    python: str

    @property
    def key(self) -> tuple[str, str]:
        return self.tensorflow.version, self.metal.version


@dataclass
class Candidates:
    pairs: list[Candidate] = field(default_factory=list)
    # Pairs whose releases share no Python: never installed together, so there is nothing to prove.
    no_common_python: list[tuple[str, str]] = field(default_factory=list)
    metal_rows: list[dict[str, Any]] = field(default_factory=list)
    tensorflow_rows: list[Release] = field(default_factory=list)  # their METADATA is read before they are written
    python_tags: list[dict[str, Any]] = field(default_factory=list)


def find(
    compat: Compat, found_metal: list[dict[str, Any]], tensorflow: list[Release], metal: list[Release], today: str
) -> Candidates:
    """Every (metal, TensorFlow) pair without evidence, and every release or tag the data lacks.

    `found_metal`: the tensorflow-metal rows found before (they stay out of `compat`'s metal rows). `tensorflow` is
    the newest release of each minor, `metal` every release. Pairs come newest TensorFlow first, so a run bounded
    by --max-pairs proves what people install first.
    """
    found = Candidates()
    known = {row["version"]: row for row in found_metal}
    for release in metal:
        _metal_release(compat, known.get(release.version), release, today, found)
    for release in tensorflow:
        row = compat.tensorflow(release.project, release.version)
        if row is None:
            found.tensorflow_rows.append(release)
        elif not set(release.python_arm64) <= set(row.python_arm64):
            found.python_tags.append(_tags(release, row.python_arm64, today))
    for tf in sorted(tensorflow, key=lambda r: r.minor, reverse=True):
        open_pairs = []
        for release in sorted(metal, key=lambda r: python_key(r.version), reverse=True):
            if compat.evidence(tf.version, release.version).kind != "none":
                continue
            common = set(tf.python_arm64) & set(release.python_arm64)
            if common:
                open_pairs.append((release, common))
            else:
                found.no_common_python.append((tf.version, release.version))
        found.pairs += _with_pythons(tf, open_pairs)
    return found


def _metal_release(
    compat: Compat, before: dict[str, Any] | None, release: Release, today: str, found: Candidates
) -> None:
    row = compat.metal(release.version)
    if row is not None:
        if not set(release.python_arm64) <= set(row.python):
            found.python_tags.append(_tags(release, row.python, today))
        return
    if before is not None and set(release.python_arm64) <= set(before["python"]):
        return
    found.metal_rows.append(
        {
            "version": release.version,
            "python": list(release.python_arm64),
            "arches": ["arm64", "x86_64"] if release.python_x86_64 else ["arm64"],
            "macos_min": release.macos_min,
            "evidence": listing(release, today),
        }
    )


def _tags(release: Release, known: tuple[str, ...], today: str) -> dict[str, Any]:
    return {
        "package": release.project,
        "version": release.version,
        "python_arm64": [p for p in release.python_arm64 if p not in known],
        "evidence": listing(release, today),
    }


def listing(release: Release, today: str) -> dict[str, Any]:
    """The evidence of a row read from the index: the release's file listing on PyPI, and when it was read."""
    return {
        "kind": "pypi",
        "url": f"https://pypi.org/project/{release.project}/{release.version}/#files",
        "date": today,
    }


def _with_pythons(tf: Release, pairs: list[tuple[Release, set[str]]]) -> list[Candidate]:
    """One Python per pair, shared by as many of this TensorFlow's pairs as can share it: each TensorFlow wheel
    read (up to 140 MB of compressed libraries) then serves them all. Ties go to the newer Python."""
    counts = Counter(python for _, common in pairs for python in common)
    order = sorted(counts, key=lambda python: (counts[python], python_key(python)), reverse=True)
    return [Candidate(tf, release, next(p for p in order if p in common)) for release, common in pairs]
