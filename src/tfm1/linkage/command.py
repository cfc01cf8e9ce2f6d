"""`tfm1 matrix` as a library: which TensorFlow loads with which tensorflow-metal, from the data or the binaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfm1.envelope import Outcome
from tfm1.errors import ExitCode, UsageError
from tfm1.linkage.render import render_data_grid, render_verified
from tfm1.terminal import console

if TYPE_CHECKING:
    from tfm1.linkage.result import PairResult


def _versions(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    from packaging.version import InvalidVersion, Version

    versions = [v.strip() for v in text.split(",") if v.strip()]
    for version in versions:
        try:
            Version(version)
        except InvalidVersion:
            raise UsageError(f"{option} {text}: {version!r} is not a version", f"e.g. {option} 2.18.1,2.19.1") from None
    if not versions:
        raise UsageError(f"{option}: no versions given", f"e.g. {option} 2.18.1,2.19.1")
    return versions


def matrix(tf: str | None, metal_given: str | None, python: str, *, verify: bool) -> Outcome:
    """`tfm1 matrix`: the grid from tfm1's data, or (`verify`) proven pair by pair from the wheels; the outcome (its
    result: one row per pair)."""
    from tfm1.linkage.arm64_wheels import python_tag
    from tfm1.linkage.grid import DEFAULT_METAL, DEFAULT_TENSORFLOW

    tensorflow = _versions(tf, "--tf")
    metal = _versions(metal_given, "--metal") or list(DEFAULT_METAL)
    python_tag(python)  # a bad --python is a usage error before any network access
    if not verify:
        return _from_data(tensorflow or list(DEFAULT_TENSORFLOW), metal)
    return _verify(tensorflow, metal, python)


def _from_data(tensorflow: list[str], metal: list[str]) -> Outcome:
    from tfm1.compat import load

    compat = load()
    rows = []
    for tf in tensorflow:
        for m in metal:
            verdict, evidence = compat.pair(tf, m), compat.evidence(tf, m)
            rows.append(
                {
                    "tensorflow": tf,
                    "tensorflow_metal": m,
                    "status": verdict.status,
                    "reason": verdict.reason,
                    "evidence": evidence.kind,
                    "evidence_source": evidence.source,
                    "evidence_link": evidence.link,
                }
            )
    return Outcome("matrix", ExitCode.OK, rows, show=lambda: render_data_grid(rows, tensorflow, metal, console()))


def _verify(tensorflow: list[str] | None, metal: list[str], python: str) -> Outcome:
    from tfm1.compat import load
    from tfm1.linkage.grid import default_tensorflow
    from tfm1.linkage.pairs import LinkageSession
    from tfm1.linkage.render import pair_progress

    results: list[PairResult] = []
    with pair_progress(console(stderr=True)) as progress, LinkageSession(progress=progress.read) as session:
        tensorflow = tensorflow or default_tensorflow(session.index)
        pairs = [(tf, m) for tf in tensorflow for m in metal]
        for number, (tf, m) in enumerate(pairs, 1):
            progress.pair(f"TensorFlow {tf} × tensorflow-metal {m}", number, len(pairs))
            results.append(session.check_pair(tf, m, python))
    compat = load()
    rows = [_with_data(r.to_json(), compat.pair(r.tensorflow, r.tensorflow_metal).status) for r in results]
    grid = tensorflow

    def show() -> None:
        render_verified(results, grid, metal, python, console())

    return Outcome("matrix", ExitCode.OK, rows, show=show)


def _with_data(row: dict[str, Any], status: str) -> dict[str, Any]:
    row["data_status"] = status
    return row
