"""What `tfm1 compat update` found, merged below the hand-written data (`tfm1.compat.with_found`): a cited report
always decides where it speaks, the Mac job's result and the binaries' only where it is silent, and every verdict
says which source decided it."""

from __future__ import annotations

from typing import Any

from tfm1.compat import Compat, load, with_found
from tfm1.compat_data import DATA
from tfm1.profiles import get_profile

WHEELS = {"tensorflow-2.21.0-cp312-cp312-macosx_12_0_arm64.whl": "ab" * 32}


def binaries(**extra: Any) -> dict[str, Any]:
    return {"kind": "binaries", "python": "3.12", "wheels": WHEELS, "date": "2026-12-05", "tool": "tfm1 0.1.0", **extra}


def pair(tensorflow: str, metal: str, status: str, evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "tensorflow": tensorflow,
        "tensorflow_metal": metal,
        "status": status,
        "reason": f"from the binaries: {tensorflow} + {metal} {status}",
        "error": "Library not loaded: @rpath/x.so" if status == "broken" else "",
        "evidence": evidence or binaries(),
    }


def compat(**found: list[dict[str, Any]]) -> Compat:
    return Compat(with_found(DATA, found))


def test_a_report_wins_over_the_binaries() -> None:
    # compat_data.py: tensorflow-metal 1.2.0 is broken from TF 2.20 on; binaries that said otherwise do not decide.
    data = compat(pairs=[pair("2.20.0", "1.2.0", "works"), pair("2.15.1", "1.2.0", "broken")])
    assert data.pair("2.20.0", "1.2.0").status == "broken"
    assert data.evidence("2.20.0", "1.2.0").kind == "report"
    # Where the report is silent (1.2.0 is made for >=2.16,<2.20), the binaries decide, and say so.
    verdict = data.pair("2.15.1", "1.2.0")
    assert (verdict.status, verdict.error) == ("broken", "Library not loaded: @rpath/x.so")
    evidence = data.evidence("2.15.1", "1.2.0")
    assert (
        evidence.kind == "binaries" and "tensorflow-2.21.0-cp312" in evidence.source and "2026-12-05" in evidence.source
    )
    assert evidence.link == "https://pypi.org/project/tensorflow-metal/1.2.0/#files"


def test_a_release_the_data_does_not_know_is_decided_by_what_was_found() -> None:
    data = compat(pairs=[pair("2.19.1", "1.3.0", "works")])
    assert load().pair("2.19.1", "1.3.0").status == "unverified"
    assert data.pair("2.19.1", "1.3.0").status == "works"
    assert data.pair("2.19.1", "1.3") == data.pair("2.19.1", "1.3.0")  # versions compare as versions
    assert data.pair("2.19.0", "1.3.0").status == "unverified"  # only the release whose wheels were read
    assert data.evidence("2.19.0", "1.3.0").kind == "none"
    # Found releases stay out of the metal rows doctor's advice reads: no new "newest metal" before a report.
    assert data.metal("1.3.0") is None and data.metal_for("2.19.1") == load().metal_for("2.19.1")


def test_the_mac_job_is_evidence_of_its_own_kind_with_its_run() -> None:
    run = "https://github.com/o/r/actions/runs/42"
    data = compat(pairs=[pair("2.19.1", "1.3.0", "works", binaries(kind="mac-job", run=run, commit="c0ffee" * 7))])
    evidence = data.evidence("2.19.1", "1.3.0")
    assert (evidence.kind, evidence.link) == ("mac-job", run) and "c0ffeec0ffee" in evidence.source


def test_a_report_citing_an_issue_links_it() -> None:
    evidence = load().evidence("2.16.2", "1.1.0")
    assert evidence.kind == "report"
    assert evidence.link == "https://github.com/tensorflow/tensorflow/issues/63854"


def test_python_tags_found_widen_only_their_release() -> None:
    tags = [
        {"package": "tensorflow", "version": "2.21.1", "python_arm64": ["3.14"]},
        {"package": "tensorflow-metal", "version": "1.2.0", "python_arm64": ["3.13"]},
    ]
    data = compat(python_tags=tags)
    widened = data.tensorflow("tensorflow", "2.21.1")
    assert widened is not None and widened.python_arm64 == ("3.10", "3.11", "3.12", "3.13", "3.14")
    assert widened.numpy == ">=1.26.0"  # the rest of the row is the report's
    same = data.tensorflow("tensorflow", "2.21.0")
    assert same is not None and "3.14" not in same.python_arm64
    metal = data.metal("1.2.0")
    assert metal is not None and metal.python == ("3.9", "3.10", "3.11", "3.12", "3.13")
    assert "3.14" in data.tensorflow_pythons("arm64") and "3.14" not in load().tensorflow_pythons("arm64")


def test_a_found_tensorflow_row_joins_only_where_no_report_covers_its_release() -> None:
    new = {
        "package": "tensorflow",
        "versions": ">=2.22,<2.23",
        "release": "2.22.0",
        "kind": "real",
        "python_arm64": ["3.11", "3.12", "3.13", "3.14"],
        "python_x86_64": [],
        "macos_min": "12.0",
        "numpy": ">=1.26.0",
        "keras": ">=3.12.0",
    }
    stale = {**new, "versions": ">=2.21,<2.22", "release": "2.21.0", "python_arm64": ["3.9"]}
    data = compat(tensorflow=[new, stale])
    row = data.tensorflow("tensorflow", "2.22.0")
    assert row is not None and row.python_arm64 == ("3.11", "3.12", "3.13", "3.14")
    reported = data.tensorflow("tensorflow", "2.21.0")
    assert reported is not None and reported.python_arm64 == ("3.10", "3.11", "3.12", "3.13")


def test_the_default_profile_pins_a_pair_a_report_or_the_mac_job_vouches_for() -> None:
    """A pair proven only from the binaries stays out of the default until the Apple-silicon workflow passes with
    it (`tfm1 compat confirm` then records the run): the lock's gate accepts it, this test does not."""
    pins = get_profile("metal").pins
    evidence = load().evidence(pins["tensorflow"], pins["tensorflow-metal"])
    assert load().pair(pins["tensorflow"], pins["tensorflow-metal"]).status == "works"
    assert evidence.kind in ("report", "mac-job"), evidence
