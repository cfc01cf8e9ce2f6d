"""Hostile or odd snapshots and hosts: doctor reports, it never raises (issue 15, item 6)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import tfm1, tfm1_json
from tests.support.scenarios import diagnose_scenario
from tfm1.doctor import diagnose
from tfm1.doctor.render import render_report
from tfm1.host import LinuxHost

SCENARIOS = Path(__file__).parent / "scenarios"
HEALTHY = "healthy-tf2191-metal120"
SITE = "/Users/ana/miniforge3/envs/tfm1/lib/python3.12/site-packages"


_diagnose = diagnose_scenario


def test_a_malformed_wheel_tag_is_no_evidence_not_a_crash() -> None:
    def change(data: dict[str, Any]) -> None:
        wheel = f"{SITE}/tensorflow-2.19.1.dist-info/WHEEL"
        data["files"][wheel] = {"text": "Wheel-Version: 1.0\nTag: cp312-cp312-macosx_12\nTag: macosx_\n"}

    assert _diagnose(HEALTHY, change).codes == []


@pytest.mark.parametrize("version", ["14.²", "١٤.٥", "", "..", "x"])
def test_odd_macos_versions_do_not_crash(version: str) -> None:
    def change(data: dict[str, Any]) -> None:
        data["sysctl"]["kern.osproductversion"] = version
        data["platform"]["mac_ver"] = version

    report = _diagnose(HEALTHY, change)
    assert "macos-too-old" not in report.codes  # nothing readable to compare


def _pyenv(data: dict[str, Any], selected: str) -> None:
    root = "/Users/ana/.pyenv"
    data["env"] = {"HOME": "/Users/ana", "PATH": f"{root}/shims:/usr/bin:/bin", "PYENV_VERSION": selected}
    data["files"] = {
        f"{root}/shims/python3": {"text": '#!/usr/bin/env bash\nexec pyenv exec python3 "$@"\n'},
        f"{root}/shims/python3.12": {"text": '#!/usr/bin/env bash\nexec pyenv exec python3.12 "$@"\n'},
        f"{root}/versions/3.11.9/bin/python3": {"macho": [{"arch": "arm64", "minos": "14.0", "sdk": "14.0"}]},
        f"{root}/versions/3.11.9/lib/python3.11/site-packages/pip-24.0.dist-info/METADATA": {"text": "Name: pip\n"},
        f"{root}/versions/3.12.4/bin/python3.12": {"macho": [{"arch": "arm64", "minos": "14.0", "sdk": "14.0"}]},
    }


@pytest.mark.parametrize("selected", [" ", ":x", ":", "\t:\t", "#comment"])
def test_odd_pyenv_versions_do_not_crash(selected: str) -> None:
    report = _diagnose(HEALTHY, lambda data: _pyenv(data, selected))
    assert report.facts["python"]["path"] == "/Users/ana/.pyenv/shims/python3"


def test_several_pyenv_versions_take_the_first_that_has_the_command() -> None:
    report = _diagnose(HEALTHY, lambda data: _pyenv(data, "3.12.4:3.11.9"))
    assert report.facts["python"]["path"] == "/Users/ana/.pyenv/versions/3.11.9/bin/python3"


def test_a_shim_for_a_version_that_is_not_selected_says_so() -> None:
    report = _diagnose(HEALTHY, lambda data: _pyenv(data, "3.11.9"), python="/Users/ana/.pyenv/shims/python3.12")
    (finding,) = [f for f in report.findings if f.code == "python-missing"]
    assert "the pyenv shim python3.12 has no such version" in finding.title
    assert "3.12.4" in finding.title  # where it does exist
    assert report.facts["python"]["exists"] is False  # not the shim script, not ~/.pyenv blamed for missing TF
    assert "tf-missing" not in report.codes


def test_live_pyenv_with_a_blank_version(tmp_path: Path) -> None:
    shims = tmp_path / "pyenv/shims"
    shims.mkdir(parents=True)
    (shims / "python3").write_text("#!/bin/sh\n")
    host = LinuxHost(root=str(tmp_path), environ={"HOME": "/h", "PATH": "/pyenv/shims", "PYENV_VERSION": " "})
    assert diagnose(host).facts["python"]["path"] == "/pyenv/shims/python3"


def test_deeply_nested_conda_meta_json_is_skipped() -> None:
    def change(data: dict[str, Any]) -> None:
        data["files"]["/Users/ana/miniforge3/envs/tfm1/conda-meta/python-3.12.13-h20e6be0_0_cpython.json"] = {
            "text": "[" * 5000
        }

    report = _diagnose(HEALTHY, change)
    assert report.facts["python"]["conda_subdir"] is None


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c", "\u2028", "\u2029"])
def test_direction_marks_and_separators_are_escaped(mark: str) -> None:
    def change(data: dict[str, Any]) -> None:
        data["sysctl"]["machdep.cpu.brand_string"] = f"Apple M1{mark}evil"

    out = io.StringIO()
    render_report(_diagnose(HEALTHY, change), out)
    assert mark not in out.getvalue()
    assert f"Apple M1\\u{ord(mark):04x}evil" in out.getvalue()


def test_on_linux_the_next_step_is_the_cpu_profile(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent"}
    _, report = tfm1_json("doctor", env=env)
    assert report["next_step"] == "tfm1 setup --profile cpu"
    assert "Metal" not in tfm1("doctor", env=env).stdout.split("Next step:")[-1]
