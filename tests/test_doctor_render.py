"""The human doctor report: colour only where it belongs, commands never wrapped, untrusted text made inert."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from tests.support.cli import tfm1
from tfm1.doctor import Finding, Report, diagnose
from tfm1.doctor.render import render_report
from tfm1.host.snapshot import SnapshotHost, load_snapshot
from tfm1.terminal import use_colour

SCENARIOS = Path(__file__).parent / "scenarios"
ESC = "\x1b"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def scenario_report(name: str) -> Report:
    snapshot = load_snapshot((SCENARIOS / f"{name}.json").read_text())
    return diagnose(SnapshotHost(snapshot), None, snapshot.python)


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value counts
    ],
)
def test_colour_follows_the_conventions(environ: dict[str, str], tty: bool, expected: bool) -> None:
    assert use_colour(Terminal() if tty else io.StringIO(), environ) is expected


def test_piped_report_is_plain_text_and_colour_needs_force(tmp_path: Path) -> None:
    snapshot = str(SCENARIOS / "miniforge-tf218-metal110.json")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    plain = tfm1("doctor", "--snapshot", snapshot, env=env)
    coloured = tfm1("doctor", "--snapshot", snapshot, env={**env, "FORCE_COLOR": "1"})
    assert plain.returncode == coloured.returncode == 1
    assert ESC not in plain.stdout
    assert f"{ESC}[1;31m✗ error{ESC}[0m" in coloured.stdout
    assert coloured.stdout.replace(f"{ESC}[0m", "").count(ESC) > 5


def test_commands_are_never_wrapped_on_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    report = scenario_report("miniforge-tf218-metal110")
    out = io.StringIO()
    render_report(report, out)
    lines = out.getvalue().splitlines()
    for finding in report.findings:
        for command in finding.fix:
            shown = command if command.startswith("#") else f"$ {command}"
            assert f"    {shown}" in lines, command
    assert any(len(line) > 40 for line in lines if line.startswith("    $ ")), "a command longer than the terminal"
    # Detail and evidence wrap to the width; only a single word longer than the line (a path) may stick out.
    prose = [line for line in lines if line.startswith("    ") and not line.lstrip().startswith(("$", "#"))]
    assert prose and all(len(line) <= 40 or len(line.split()) == 1 for line in prose)


def test_a_healthy_machine_says_so_and_points_at_verify() -> None:
    out = io.StringIO()
    render_report(scenario_report("healthy-tf2191-metal120"), out)
    text = out.getvalue()
    assert "✓ No problems found." in text
    assert (
        text.rstrip().splitlines()[-1] == "Next step: tfm1 verify  # nothing found wrong; run the smoke test to be sure"
    )


def test_control_characters_from_a_snapshot_reach_the_terminal_inert(tmp_path: Path) -> None:
    data = json.loads((SCENARIOS / "miniforge-tf218-metal110.json").read_text())
    evil = f"{ESC}]0;owned\a{ESC}[2J\u202egnp.exe\ud800"
    data["sysctl"]["machdep.cpu.brand_string"] = f"Apple M1{evil}"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(data))  # ensure_ascii: the lone surrogate travels as \\ud800, as a user's JSON may
    result = tfm1("doctor", "--snapshot", str(path), env={**os.environ, "FORCE_COLOR": "1"})
    assert result.returncode == 1, result.stderr
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202egnp.exe\\ud800" in result.stdout
    assert "\a" not in result.stdout and f"{ESC}]" not in result.stdout and f"{ESC}[2J" not in result.stdout
    assert "\u202e" not in result.stdout


def test_a_terminal_that_cannot_show_the_marks_gets_escapes_not_a_traceback() -> None:
    scenario = str(SCENARIOS / "miniforge-tf218-metal110.json")
    result = tfm1("doctor", "--snapshot", scenario, env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert result.returncode == 1 and result.stderr == ""
    assert "\\u2717 error metal-tf-mismatch" in result.stdout


def test_findings_render_title_detail_evidence_and_fix_in_order() -> None:
    facts = scenario_report("linux-venv-tf221").facts
    finding = Finding(
        "tf-missing",
        "warning",
        "No TensorFlow",
        {"checked": "/x/site-packages", "empty": ""},
        ["# explain first", "tfm1 setup"],
        "Why it matters.",
    )
    out = io.StringIO()
    render_report(Report([finding], facts), out)
    body = out.getvalue().split("\n\n", 1)[1].splitlines()
    assert body[:5] == [
        "! warning tf-missing: No TensorFlow",
        "    Why it matters.",
        "    checked: /x/site-packages",
        "    # explain first",
        "    $ tfm1 setup",
    ]
    assert body[-1] == "Next step: tfm1 setup"


def test_evidence_lists_read_as_lists_and_empty_ones_are_left_out() -> None:
    out = io.StringIO()
    render_report(scenario_report("m1-x86-miniconda-no-tf"), out)
    assert "['/Users/ana/miniconda3/envs/tf/lib/python3.10/site-packages']" in out.getvalue()
    facts = scenario_report("linux-venv-tf221").facts
    out = io.StringIO()
    render_report(Report([Finding("tf-missing", "warning", "t", {"site_packages": (), "python": "/p"})], facts), out)
    assert "site_packages" not in out.getvalue() and "    python: /p" in out.getvalue()
