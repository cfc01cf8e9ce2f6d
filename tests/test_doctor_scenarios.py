"""`tfm1 doctor --snapshot S --json` on every real-world scenario in tests/scenarios/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import tfm1_json
from tfm1.doctor import Report, diagnose
from tfm1.host.snapshot import SnapshotHost, parse_snapshot

SCENARIOS = Path(__file__).parent / "scenarios"

# Every finding each scenario must produce, in report order (most fundamental first), and nothing else.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "m1-intel-anaconda-x86-tf": [("x86-conda", "error"), ("x86-python", "error"), ("x86-tensorflow", "error")],
    "rosetta-terminal-universal2-python-x86-tf": [
        ("rosetta-process", "error"),
        ("x86-tensorflow", "error"),
        ("metal-missing", "warning"),
    ],
    "m1-x86-miniconda-no-tf": [("x86-conda", "error"), ("x86-python", "error"), ("tf-missing", "warning")],
    "miniforge-tf218-metal110": [("metal-tf-mismatch", "error")],
    "homebrew-venv-tf221-metal120": [("metal-tf-mismatch", "error")],
    "healthy-tf2191-metal120": [],
    "tensorflow-macos-2151-empty": [("tensorflow-macos-empty", "error")],
    "intel-mac-x86-tf2162": [("intel-mac", "info")],
    "linux-venv-tf221": [("not-macos", "info")],
    "m2-python313-tf220-no-metal": [("python-unsupported", "warning"), ("metal-missing", "warning")],
    "m1-tf215-numpy2-intel-brew-first": [("numpy-too-new", "error"), ("x86-homebrew", "warning")],
    "m1-bigsur-tf-duplicate": [("macos-too-old", "error"), ("tf-duplicate", "error")],
    "rosetta-parent-shell-native-tfm1": [("rosetta-process", "error")],
    "tfm1-env-nothing-active": [],
    "homebrew-two-pythons-313-linked-312-lib": [("python-unsupported", "warning"), ("tf-missing", "warning")],
    "m1-monterey1201-metal120-plugin-needs-121": [("macos-too-old", "error")],
    "pypi-meta-tf2150-with-tensorflow-macos": [],
    "community-tf2150-arm64-build-alone": [("metal-missing", "warning")],
    "community-tf2150-build-with-tensorflow-macos": [("tf-duplicate", "error"), ("metal-missing", "warning")],
    "m1-tf2161-ml-dtypes-020": [("tf-requirement-conflict", "error")],
    "m1-notebook-kernel-x86-anaconda": [("kernel-x86", "error"), ("kernel-missing-env", "warning")],
    "m1-envs-outside-roots-micromamba-pixi-venv": [
        ("x86-conda", "warning"),
        ("python-unsupported", "warning"),
        ("tf-missing", "warning"),
    ],
    "intel-old-sdk-anaconda-python": [
        ("macos-version-compat", "warning"),
        ("tf-missing", "warning"),
        ("intel-mac", "info"),
    ],
}


def test_every_scenario_file_has_expectations() -> None:
    assert sorted(p.stem for p in SCENARIOS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scenario_findings(name: str) -> None:
    code, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / f"{name}.json"))
    found = [(f["code"], f["severity"]) for f in report["findings"]]
    assert found == EXPECTED[name]
    assert code == (1 if any(severity == "error" for _, severity in found) else 0)
    for finding in report["findings"]:
        assert set(finding) >= {"code", "severity", "title", "evidence", "fix"}
        assert finding["title"] and "\n" not in finding["title"]
        if finding["severity"] != "info":
            assert finding["fix"], f"{finding['code']} has no fix"


def test_findings_name_the_evidence_and_exact_fixes() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "homebrew-venv-tf221-metal120.json"))
    (finding,) = report["findings"]
    assert finding["evidence"]["tensorflow"] == "tensorflow 2.21.0"
    assert finding["evidence"]["tensorflow-metal"] == "1.2.0"
    assert "_pywrap_tensorflow_internal.so" in finding["evidence"]["expected_error"]
    # The venv's own pip, pinned to the known-good pair: the one command that repairs it.
    fix = "/Users/ana/venv-metal/bin/python -m pip install tensorflow==2.19.1 tensorflow-metal==1.2.0"
    assert report["next_step"] == fix
    python = report["facts"]["python"]
    assert (python["kind"], python["version"], python["archs"]) == ("venv", "3.12.7", ["arm64"])
    assert python["resolved"].endswith("/Frameworks/Python.framework/Versions/3.12/bin/python3.12")


def test_rosetta_is_the_root_cause_and_first_step() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "rosetta-terminal-universal2-python-x86-tf.json"))
    assert report["next_step"] == "arch -arm64 /bin/zsh -l"
    assert report["facts"]["machine"]["translated"] is True
    assert report["facts"]["python"]["archs"] == ["x86_64", "arm64"]


def test_x86_conda_names_every_osx64_prefix() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "m1-x86-miniconda-no-tf.json"))
    (x86_conda,) = [f for f in report["findings"] if f["code"] == "x86-conda"]
    text = str(x86_conda["evidence"])
    assert "/Users/ana/miniconda3" in text and "/Users/ana/miniconda3/envs/tf" in text


def test_human_report_ends_with_the_next_step() -> None:
    from tests.support.cli import tfm1

    result = tfm1("doctor", "--snapshot", str(SCENARIOS / "miniforge-tf218-metal110.json"))
    assert result.returncode == 1
    assert "metal-tf-mismatch" in result.stdout
    last = [line for line in result.stdout.splitlines() if line.strip()][-1]
    assert last.startswith("Next step:") and "tensorflow-metal==1.2.0" in last.replace("\n", "")


def test_a_translated_shell_is_found_above_a_native_tfm1() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "rosetta-parent-shell-native-tfm1.json"))
    assert report["facts"]["machine"]["translated"] is False
    assert report["facts"]["machine"]["translated_ancestor"] == {"pid": 4121, "name": "zsh", "translated": True}
    (finding,) = report["findings"]
    assert finding["evidence"]["translated_process"] == "zsh (pid 4121)"


def test_nothing_active_targets_tfm1s_own_environment_and_says_so() -> None:
    from tests.support.cli import tfm1

    name = "tfm1-env-nothing-active.json"
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / name))
    python = report["facts"]["python"]
    assert python["path"] == "/Users/ana/miniforge3/envs/tfm1/bin/python"
    assert "the tfm1 environment" in python["source"]
    assert "from the tfm1 environment (nothing is active)" in " ".join(
        tfm1("doctor", "--snapshot", str(SCENARIOS / name)).stdout.split()
    )


def test_homebrew_version_comes_from_the_linked_binary() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "homebrew-two-pythons-313-linked-312-lib.json"))
    python = report["facts"]["python"]
    assert (python["version"], python["site_packages"]) == ("3.13", ["/opt/homebrew/lib/python3.13/site-packages"])


def test_old_sdk_is_judged_on_the_target_interpreter() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "intel-old-sdk-anaconda-python.json"))
    (compat,) = [f for f in report["findings"] if f["code"] == "macos-version-compat"]
    assert compat["evidence"]["sdk"] == "10.10"
    assert compat["evidence"]["python"] == "/Users/ana/anaconda3/bin/python3.8"


def test_macos_too_old_names_the_binary_and_its_minimum() -> None:
    name = "m1-monterey1201-metal120-plugin-needs-121.json"
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / name))
    (finding,) = report["findings"]
    assert finding["evidence"]["binary"].endswith("/tensorflow-plugins/libmetal_plugin.dylib")
    assert (finding["evidence"]["minos"], finding["evidence"]["macos"]) == ("12.1", "12.0.1")


def _with(name: str, change: Callable[[dict[str, Any]], None]) -> Report:
    data = json.loads((SCENARIOS / f"{name}.json").read_text())
    change(data)
    host = SnapshotHost(parse_snapshot(data))
    return diagnose(host)


def test_requirement_conflict_names_the_exact_fix() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "m1-tf2161-ml-dtypes-020.json"))
    (finding,) = report["findings"]
    assert finding["fix"] == ["/Users/ana/miniforge3/envs/tf/bin/python -m pip install 'ml-dtypes~=0.3.1'"]
    assert finding["evidence"]["unmet"] == ["ml-dtypes 0.2.0: tensorflow 2.16.1 requires ml-dtypes~=0.3.1"]


SITE = "/Users/ana/miniforge3/envs/tf/lib/python3.11/site-packages"


def _drop(prefix: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["files"] = {k: v for k, v in data["files"].items() if not k.startswith(prefix)}

    return change


def test_requirement_markers_are_those_of_the_target_interpreter() -> None:
    # tensorflow-io-gcs-filesystem is required only for python_version < "3.12"; extra == "and-cuda" never applies.
    report = _with("m1-tf2161-ml-dtypes-020", _drop(f"{SITE}/tensorflow_io_gcs_filesystem-"))
    (finding,) = report.findings
    assert finding.title.startswith("2 requirements of the TensorFlow stack are not met")
    assert "tensorflow-io-gcs-filesystem (not installed): tensorflow 2.16.1 requires" in str(finding.evidence)
    assert "nvidia" not in str(finding.evidence) and "tensorflow-intel" not in str(finding.evidence)


def test_numpy_out_of_range_is_reported_once_under_its_own_code() -> None:
    def numpy2(data: dict[str, Any]) -> None:
        _drop(f"{SITE}/numpy-")(data)
        data["files"][f"{SITE}/numpy-2.0.2.dist-info/METADATA"] = {"text": "Name: numpy\nVersion: 2.0.2\n"}

    report = _with("m1-tf2161-ml-dtypes-020", numpy2)
    assert report.codes == ["numpy-too-new", "tf-requirement-conflict"]
    assert "numpy" not in str(report.findings[1].evidence)


def test_a_meta_package_is_told_from_its_record_not_its_name() -> None:
    _, facts = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "community-tf2150-arm64-build-alone.json"))
    assert facts["facts"]["python"]["distributions"]["tensorflow"]["ships_tensorflow"] is True
    # Without RECORD, TensorFlow's own binary in its site-packages still says it is a real build (the data
    # calls PyPI's tensorflow 2.15.0 for arm64 a meta package, which ships none).
    report = _with("community-tf2150-arm64-build-alone", _drop(f"{SITE}/tensorflow-2.15.0.dist-info/RECORD"))
    assert report.codes == ["metal-missing"]

    # With neither, only the name and version are left: the data's meta package, nothing to report.
    def drop_both(data: dict[str, Any]) -> None:
        _drop(f"{SITE}/tensorflow-2.15.0.dist-info/RECORD")(data)
        _drop(f"{SITE}/tensorflow/lib")(data)

    no_files = _with("community-tf2150-arm64-build-alone", drop_both)
    assert no_files.codes == []


def test_a_duplicate_names_the_evidence_for_each_build() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIOS / "community-tf2150-build-with-tensorflow-macos.json"))
    (duplicate,) = [f for f in report["findings"] if f["code"] == "tf-duplicate"]
    assert duplicate["evidence"]["decided_by"] == {
        "tensorflow": "its RECORD lists tensorflow/ files",
        "tensorflow-macos": "its RECORD lists tensorflow/ files",
    }


OUTSIDE = SCENARIOS / "m1-envs-outside-roots-micromamba-pixi-venv.json"


def test_environments_outside_the_roots_are_found_but_are_no_roots() -> None:
    from tfm1.inspect.conda import find_conda_roots

    _, report = tfm1_json("doctor", "--snapshot", str(OUTSIDE))
    assert [e["prefix"] for e in report["facts"]["other_envs"]] == [
        "/Users/ana/projects/old/env",  # environments.txt: a standalone env made with `conda create -p`
        "/Users/ana/micromamba/envs/ml",
        "/Users/ana/proj/.pixi/envs/default",
        "/Users/ana/proj/.venv",
    ]
    # setup chooses its conda root from find_conda_roots: the standalone env must never be one.
    host = SnapshotHost(parse_snapshot(json.loads(OUTSIDE.read_text())))
    assert [root.prefix for root in find_conda_roots(host)] == ["/Users/ana/miniforge3"]


def test_python_names_an_environment_anywhere_conda_mamba_or_pixi_keeps_them() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(OUTSIDE), "--python", "ml")
    assert report["facts"]["python"]["path"] == "/Users/ana/micromamba/envs/ml/bin/python"
    _, report = tfm1_json("doctor", "--snapshot", str(OUTSIDE), "--python", "default")
    assert report["facts"]["python"]["path"] == "/Users/ana/proj/.pixi/envs/default/bin/python"
