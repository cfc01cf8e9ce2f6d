"""Prove each candidate pair from the wheels' binaries, one at a time, into a row of `tfm1.compat_found`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tfm1 import __version__
from tfm1.compat_update.candidates import Candidate

if TYPE_CHECKING:
    from tfm1.linkage.pairs import LinkageSession
    from tfm1.linkage.result import PairResult

TOOL = f"tfm1 {__version__}"


def prove_all(
    session: LinkageSession, pairs: list[Candidate], today: str, step: Callable[[int, Candidate], None]
) -> list[dict[str, Any]]:
    """A row per pair. A wheel whose content cannot decide (no plugin, no Mach-O) gives an unverified row; a
    network failure stops the run, so that nothing is written from a transfer that broke off."""
    rows = []
    for number, candidate in enumerate(pairs, 1):
        step(number, candidate)
        rows.append(prove(session, candidate, today))
    return rows


def prove(session: LinkageSession, candidate: Candidate, today: str) -> dict[str, Any]:
    from tfm1.linkage.images import NotMachO
    from tfm1.linkage.pairs import NoPlugin

    tf, metal, python = candidate.tensorflow, candidate.metal, candidate.python
    wheels = {w.filename: w.sha256 for w in (tf.wheel(python), metal.wheel(python))}
    evidence = {"kind": "binaries", "python": python, "wheels": wheels, "date": today, "tool": TOOL}
    row: dict[str, Any] = {"tensorflow": tf.version, "tensorflow_metal": metal.version}
    try:
        result = session.check_pair(tf.version, metal.version, python)
    except (NotMachO, NoPlugin) as error:
        reason = f"the binaries cannot decide: {' '.join(error.message.split())}"
        return {**row, "status": "unverified", "reason": reason, "evidence": {**evidence, "checker": "undecided"}}
    # The wheels the checker read, as it names them (the same files: it picks them for this Python too).
    known = {w.filename: w.sha256 for w in (*tf.wheels, *metal.wheels)}
    evidence["wheels"] = {name: known[name] for name in result.sources.values() if name in known} or wheels
    if result.notes:
        evidence["notes"] = list(result.notes)
    if result.loads:
        evidence["checker"] = "loads"
        return {**row, "status": "works", "reason": f"from the binaries: {result.reason}", "evidence": evidence}
    return {
        **row,
        "status": "broken",
        "reason": f"from the binaries: {result.reason}",
        "error": first_error(result),
        "evidence": {**evidence, "checker": "does not load"},
    }


def first_error(result: PairResult) -> str:
    """What `import tensorflow` reports first, as dyld words it (the demangled name beside a mangled one)."""
    if result.missing_libraries:
        return f"Library not loaded: {result.missing_libraries[0]}"
    mangled = result.missing_symbols[0]
    demangled = result.missing[len(result.missing_libraries)]
    return f"Symbol not found: {mangled}" + (f" ({demangled})" if demangled != mangled else "")
