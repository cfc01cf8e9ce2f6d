"""Doctor trusts the evidence over labels: binaries over WHEEL tags, installed METADATA over tables, files present
over names, and says in each finding which evidence decided it.

Built from real files: the WHEEL and METADATA of Apple's tensorflow-macos 2.11.0 and 2.12.0 arm64 wheels (which
say x86_64), TensorFlow 2.17.0's METADATA, tensorflow-metal 0.8.0's, and the first 4 KB of TensorFlow's framework
library out of the arm64 and x86_64 wheels (tests/fixtures/dist-info, tests/fixtures/macho).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.mac_site import MacSite, fixture_dist_info, fixture_head
from tests.support.scenarios import diagnose_scenario
from tfm1.compat import load
from tfm1.doctor import Report, diagnose
from tfm1.host.recorder import RecordingHost
from tfm1.host.snapshot import SnapshotHost, load_snapshot, parse_snapshot
from tfm1.macho import read_macho

SCENARIOS = Path(__file__).parent / "scenarios"
TF_MACOS = {
    "2.11.0": ("tensorflow_macos-2.11.0-cp310-cp310-macosx_12_0_arm64.whl", "3.10"),
    "2.12.0": ("tensorflow_macos-2.12.0-cp311-cp311-macosx_12_0_arm64.whl", "3.11"),
}
TF_217 = "tensorflow-2.17.0-cp311-cp311-macosx_12_0_arm64.whl"
METAL_080 = "tensorflow_metal-0.8.0-cp310-cp310-macosx_12_0_arm64.whl"
FRAMEWORK = "tensorflow/libtensorflow_framework.2.dylib"
TF_FILES = ["tensorflow/__init__.py", FRAMEWORK, "tensorflow/python/__init__.py"]


def tensorflow_macos(
    tmp_path: Path, version: str, binary: bytes | None, *, record: bool = True, python: str | None = None
) -> MacSite:
    """A venv with Apple's arm64 tensorflow-macos wheel installed as pip installs it (its WHEEL says x86_64)."""
    filename, wheel_python = TF_MACOS[version]
    mac = MacSite(tmp_path, python or wheel_python)
    metadata, wheel = fixture_dist_info(filename)
    files = {"tensorflow/__init__.py": b""} | ({FRAMEWORK: binary} if binary is not None else {})
    info = f"tensorflow_macos-{version}.dist-info"
    mac.dist(
        "tensorflow-macos",
        version,
        metadata=metadata,
        wheel=wheel,
        record=[*TF_FILES, f"{info}/METADATA", f"{info}/WHEEL"] if record else None,
        files=files,
    )
    return mac


def finding(report: Report, code: str) -> dict[str, Any]:
    (found,) = [f.to_json() for f in report.findings if f.code == code]
    return found


# --- the architecture of TensorFlow: its binary, not its WHEEL tag ------------------------------------------------


@pytest.mark.parametrize("version", sorted(TF_MACOS))
def test_the_real_wheel_files_say_x86_64_while_the_binary_is_arm64(version: str) -> None:
    metadata, wheel = fixture_dist_info(TF_MACOS[version][0])
    assert f"Version: {version}" in metadata
    (tag,) = [line for line in wheel.splitlines() if line.startswith("Tag: ")]
    assert tag.endswith("-macosx_11_0_x86_64" if version == "2.11.0" else "-macosx_12_0_x86_64")
    assert read_macho(fixture_head(f"libtensorflow_framework-{version}-arm64.head")).archs == ("arm64",)


@pytest.mark.parametrize("version", sorted(TF_MACOS))
def test_an_arm64_install_with_an_x86_64_wheel_tag_is_not_x86_tensorflow(tmp_path: Path, version: str) -> None:
    head = fixture_head(f"libtensorflow_framework-{version}-arm64.head")
    report = diagnose(tensorflow_macos(tmp_path, version, head).host())
    assert "x86-tensorflow" not in report.codes
    (binary,) = [b for b in report.facts["python"]["binaries"] if b["path"].endswith(FRAMEWORK)]
    assert binary["slices"] == [{"arch": "arm64", "minos": "11.3", "sdk": "12.5"}]


@pytest.mark.parametrize("version", sorted(TF_MACOS))
def test_the_tag_decides_only_when_no_binary_is_readable(tmp_path: Path, version: str) -> None:
    report = diagnose(tensorflow_macos(tmp_path, version, b"\x7fELF" + bytes(60)).host())  # not a Mach-O
    found = finding(report, "x86-tensorflow")
    assert found["evidence"]["decided_by"] == "WHEEL tag (no TensorFlow binary could be read)"
    assert found["evidence"]["tags"][0].endswith("_x86_64")


def test_an_x86_64_binary_is_x86_tensorflow_whatever_the_tag(tmp_path: Path) -> None:
    mac = tensorflow_macos(tmp_path, "2.11.0", fixture_head("libtensorflow_framework-2.11.0-x86_64.head"))
    found = finding(diagnose(mac.host()), "x86-tensorflow")
    assert found["severity"] == "error"
    assert found["evidence"]["decided_by"] == "Mach-O header"
    assert found["evidence"]["archs"] == ["x86_64"]
    assert found["evidence"]["binary"] == f"{mac.site_path}/{FRAMEWORK}"


def test_without_record_the_binaries_show_a_real_build(tmp_path: Path) -> None:
    # tensorflow-macos 2.11.0 is real in tfm1's data too; a name the data calls a meta package shows it better.
    mac = MacSite(tmp_path, "3.11")
    metadata, _ = fixture_dist_info(TF_MACOS["2.12.0"][0])
    files = {"tensorflow/__init__.py": b"", FRAMEWORK: fixture_head("libtensorflow_framework-2.12.0-arm64.head")}
    mac.dist("tensorflow", "2.14.0", metadata=metadata.replace("tensorflow-macos", "tensorflow"), files=files)
    report = diagnose(mac.host())
    assert "metal-missing" in report.codes  # a real TensorFlow without tensorflow-metal, not "nothing installed"
    assert "tf-missing" not in report.codes


def test_older_wheels_name_the_framework_library_by_version(tmp_path: Path) -> None:
    # tensorflow-macos 2.11.0's wheel ships libtensorflow_framework.2.11.0.dylib beside .2.dylib; conda-forge
    # builds ship one under their own name: any libtensorflow_framework*.dylib is TensorFlow's binary.
    head = fixture_head("libtensorflow_framework-2.11.0-x86_64.head")
    mac = tensorflow_macos(tmp_path, "2.11.0", None)
    (mac.site / "tensorflow" / "libtensorflow_framework.2.11.0.dylib").write_bytes(head)
    found = finding(diagnose(mac.host()), "x86-tensorflow")
    assert found["evidence"]["binary"].endswith("/tensorflow/libtensorflow_framework.2.11.0.dylib")


def test_a_recorded_snapshot_carries_what_decided(tmp_path: Path) -> None:
    mac = tensorflow_macos(tmp_path, "2.12.0", fixture_head("libtensorflow_framework-2.12.0-arm64.head"))
    recorder = RecordingHost(mac.host())
    live = diagnose(recorder)
    saved = recorder.snapshot.to_json()
    assert saved["tfm1_snapshot"] == 2
    assert saved["files"][f"{mac.site_path}/{FRAMEWORK}"] == {
        "macho": [{"arch": "arm64", "minos": "11.3", "sdk": "12.5"}]
    }
    replayed = diagnose(SnapshotHost(load_snapshot(json.dumps(saved))))
    assert replayed.to_json() == live.to_json()
    assert "x86-tensorflow" not in replayed.codes

    # A version 1 snapshot of the same machine (architectures only) still has the binary's word.
    old = {**saved, "tfm1_snapshot": 1}
    old.pop("processes")
    old["files"] = {
        path: {"macho": [s["arch"] for s in entry["macho"]]} if "macho" in entry else entry
        for path, entry in saved["files"].items()
    }
    assert "x86-tensorflow" not in diagnose(SnapshotHost(parse_snapshot(old))).codes


# --- the minimum macOS: binaries over tags, and the recommended minimum only without them --------------------------


def test_a_tensorflow_binary_built_for_macos_11_3_runs_on_11_6(tmp_path: Path) -> None:
    mac = tensorflow_macos(tmp_path, "2.11.0", fixture_head("libtensorflow_framework-2.11.0-arm64.head"))
    assert "macos-too-old" not in diagnose(mac.host("11.6")).codes
    too_old = finding(diagnose(mac.host("11.2")), "macos-too-old")
    assert (too_old["evidence"]["needed"], too_old["evidence"]["decided_by"]) == ("11.3", "LC_BUILD_VERSION")


def test_without_a_binary_the_recommended_minimum_stands_in(tmp_path: Path) -> None:
    mac = tensorflow_macos(tmp_path, "2.11.0", None)
    found = finding(diagnose(mac.host("11.6")), "macos-too-old")
    assert found["evidence"]["needed"] == "12.0"
    assert found["evidence"]["decided_by"] == "tfm1's recommended versions (no TensorFlow binary was read)"


# --- numpy and keras: the range the installed METADATA declares, or a known-broken range with its source ----------


def tensorflow_217(tmp_path: Path, python: str, numpy: str) -> Report:
    mac = MacSite(tmp_path, python)
    metadata, wheel = fixture_dist_info(TF_217)
    record = [*TF_FILES, "tensorflow-2.17.0.dist-info/METADATA"]
    binary = {FRAMEWORK: fixture_head("libtensorflow_framework-2.12.0-arm64.head"), "tensorflow/__init__.py": b""}
    mac.dist("tensorflow", "2.17.0", metadata=metadata, wheel=wheel, record=record, files=binary)
    mac.dist("numpy", numpy)
    return diagnose(mac.host())


@pytest.mark.parametrize(("python", "required"), [("3.11", "<2.0.0,>=1.23.5"), ("3.12", "<2.0.0,>=1.26.0")])
def test_numpy_is_judged_by_the_installed_metadata_for_the_target_python(
    tmp_path: Path, python: str, required: str
) -> None:
    found = finding(tensorflow_217(tmp_path, python, "2.0.2"), "numpy-too-new")
    assert found["evidence"]["required"] == required
    assert found["evidence"]["decided_by"] == "Requires-Dist in the installed tensorflow 2.17.0's METADATA"
    assert found["fix"][0].endswith(f"install 'numpy{required}'")


def test_a_range_the_package_does_not_declare_is_not_held_against_it(tmp_path: Path) -> None:
    # tensorflow-macos 2.11.0 declares numpy>=1.20; tfm1's data once applied 2.12.0's <1.24 to it.
    mac = tensorflow_macos(tmp_path, "2.11.0", fixture_head("libtensorflow_framework-2.11.0-arm64.head"))
    mac.dist("numpy", "1.26.4")
    report = diagnose(mac.host())
    assert "numpy-too-new" not in report.codes
    conflict = [f for f in report.findings if f.code == "tf-requirement-conflict"]
    assert not any("numpy" in line for f in conflict for line in f.evidence["unmet"])


def test_a_known_broken_range_is_used_with_its_source(tmp_path: Path) -> None:
    mac = tensorflow_macos(tmp_path, "2.11.0", fixture_head("libtensorflow_framework-2.11.0-arm64.head"))
    mac.dist("numpy", "2.0.2")
    found = finding(diagnose(mac.host()), "numpy-too-new")
    assert found["evidence"]["required"] == ">=1.20,<2"
    assert found["evidence"]["decided_by"].startswith("tfm1's data: numpy>=2 is known not to work with it (")
    assert "https://github.com/tensorflow/tensorflow/issues/102743" in found["evidence"]["decided_by"]


# --- tensorflow-metal pairs: known not to load is an error, not known-good a warning ------------------------------


@pytest.mark.parametrize(
    ("tensorflow", "metal", "status"),
    [
        ("2.11.0", "0.8.0", "broken"),
        ("2.10.0", "0.7.0", "broken"),
        ("2.12.0", "1.0.0", "works"),
        ("2.13.0", "1.1.0", "works"),
    ],
)
def test_pairs_the_binaries_settle(tensorflow: str, metal: str, status: str) -> None:
    verdict = load().pair(tensorflow, metal)
    assert verdict.status == status
    assert verdict.source.startswith("binaries: ") if status == "broken" else not verdict.source


def test_every_broken_or_degraded_pair_and_known_broken_range_has_a_source() -> None:
    compat = load()
    for release in compat.metal_releases:
        for row in (*release.broken, *release.degraded):
            assert row["source"], (release.version, row)
    for tensorflow in compat.tensorflow_releases:
        for broken in tensorflow.known_broken:
            assert broken.source and broken.versions.startswith(">=") and "," not in broken.versions


def _with_metal(tmp_path: Path, tensorflow: str, metal: str) -> Report:
    mac = tensorflow_macos(tmp_path, tensorflow, fixture_head(f"libtensorflow_framework-{tensorflow}-arm64.head"))
    metadata, wheel = fixture_dist_info(METAL_080)
    mac.dist("tensorflow-metal", metal, metadata=metadata.replace("0.8.0", metal), wheel=wheel)
    return diagnose(mac.host())


def test_a_plugin_known_not_to_load_is_an_error(tmp_path: Path) -> None:
    report = _with_metal(tmp_path, "2.11.0", "0.8.0")
    found = finding(report, "metal-tf-mismatch")
    assert found["severity"] == "error" and report.has_errors
    assert found["evidence"]["decided_by"].startswith("tfm1's compatibility data (binaries: tensorflow-macos 2.11.0")
    assert "__ZN10tensorflow7NodeDef" in found["evidence"]["expected_error"]
    assert found["fix"][0].endswith("install tensorflow-metal==0.7.1")


def test_a_pair_not_known_good_stays_a_warning(tmp_path: Path) -> None:
    # A tensorflow-metal newer than the data (neither a report nor the found pairs judge it): the binaries decided
    # every pair of PyPI's releases.
    assert load().evidence("2.12.0", "1.2.1").kind == "none"
    found = finding(_with_metal(tmp_path, "2.12.0", "1.2.1"), "metal-tf-mismatch")
    assert found["severity"] == "warning"
    assert "not a known-good pair" in found["title"]


def test_a_pair_the_binaries_link_raises_nothing(tmp_path: Path) -> None:
    assert "metal-tf-mismatch" not in _with_metal(tmp_path, "2.12.0", "1.0.0").codes


# --- old snapshots: without SDK facts, what version 1 recorded --------------------------------------------------


def _old_sdk_scenario(change: Callable[[dict[str, Any]], None]) -> Report:
    data = json.loads((SCENARIOS / "intel-old-sdk-anaconda-python.json").read_text())
    data["tfm1_snapshot"] = 1
    data.pop("processes", None)
    for entry in data["files"].values():
        if "macho" in entry:
            entry["macho"] = [s["arch"] for s in entry["macho"]]
    change(data)
    return diagnose(SnapshotHost(parse_snapshot(data)))


def test_a_version_1_snapshot_falls_back_to_mac_ver_and_says_so() -> None:
    def told_10_16(data: dict[str, Any]) -> None:
        data["platform"]["mac_ver"] = "10.16"

    found = finding(_old_sdk_scenario(told_10_16), "macos-version-compat")
    assert found["severity"] == "warning"
    assert (found["evidence"]["platform.mac_ver"], found["evidence"]["kern.osproductversion"]) == ("10.16", "13.6.7")
    assert "no SDK is recorded for the target Python" in found["evidence"]["decided_by"]


def test_a_version_1_snapshot_told_the_real_version_raises_nothing() -> None:
    assert "macos-version-compat" not in _old_sdk_scenario(lambda data: None).codes


# --- other places a label could overrule a file -------------------------------------------------------------------

HEALTHY = "healthy-tf2191-metal120"


_scenario = diagnose_scenario


def test_an_x86_64_interpreter_makes_an_arm64_labelled_conda_root_x86() -> None:
    def x86_python(data: dict[str, Any]) -> None:
        data["files"]["/Users/ana/miniforge3/bin/python3.12"] = {"macho": ["x86_64"]}

    found = _scenario(HEALTHY, x86_python).findings[0].to_json()
    # Its conda-meta records say osx-arm64; the interpreter that runs its conda is x86_64. The environment in use
    # lives inside that root, so it is the error it was for an osx-64 record.
    assert (found["code"], found["severity"]) == ("x86-conda", "error")
    assert found["evidence"]["decided_by"] == {"/Users/ana/miniforge3": "bin/python's Mach-O: x86_64"}


@pytest.mark.parametrize(("archs", "severity"), [(["arm64"], "warning"), (["x86_64"], "error")])
def test_a_python_in_usr_local_is_judged_by_its_binary(archs: list[str], severity: str) -> None:
    def intel_brew_first(data: dict[str, Any]) -> None:
        data["env"] = {"HOME": "/Users/ana", "PATH": "/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin"}
        data["files"]["/usr/local/bin/brew"] = {"file": True}
        data["files"]["/usr/local/bin/python3"] = {"macho": archs}

    report = _scenario(HEALTHY, intel_brew_first)
    assert finding(report, "x86-homebrew")["severity"] == severity


def test_an_empty_wheel_by_name_with_a_tensorflow_package_on_disk_is_not_called_empty() -> None:
    site = "/Users/ana/miniforge3/envs/tf/lib/python3.11/site-packages"

    def package_present(data: dict[str, Any]) -> None:
        data["files"][f"{site}/tensorflow/__init__.py"] = {"file": True}

    assert "tensorflow-macos-empty" not in _scenario("tensorflow-macos-2151-empty", package_present).codes


def test_a_shim_without_the_tensorflow_it_requires_is_tf_missing(tmp_path: Path) -> None:
    mac = MacSite(tmp_path, "3.11")
    # tensorflow-macos 2.16.2's only requirement, as its METADATA writes it.
    requirement = 'tensorflow ==2.16.2 ; platform_system == "Darwin" and platform_machine == "arm64"'
    metadata = f"Metadata-Version: 2.1\nName: tensorflow-macos\nVersion: 2.16.2\nRequires-Dist: {requirement}\n"
    mac.dist("tensorflow-macos", "2.16.2", metadata=metadata, record=["tensorflow_macos-2.16.2.dist-info/METADATA"])
    report = diagnose(mac.host())
    assert report.codes == ["tf-requirement-conflict", "tf-missing"]


# --- the fixtures are the real files -----------------------------------------------------------------------------


@pytest.mark.network
@pytest.mark.parametrize("filename", [*(f for f, _ in TF_MACOS.values()), TF_217, METAL_080])
def test_fixtures_are_the_real_wheel_members(filename: str) -> None:
    from tests.support.pypi_metadata import index, member_text

    project = "tensorflow" if filename.startswith("tensorflow-") else filename.split("-")[0].replace("_", "-")
    (wheel,) = [w for w in index().wheels(project, filename.split("-")[1]) if w.filename == filename]
    for member in ("WHEEL", "METADATA"):
        assert member_text(wheel, member) == (
            Path(__file__).parent / "fixtures/dist-info" / filename / member
        ).read_text(encoding="utf-8")


@pytest.mark.network
@pytest.mark.parametrize(
    ("fixture", "filename"),
    [
        ("libtensorflow_framework-2.11.0-arm64.head", "tensorflow_macos-2.11.0-cp310-cp310-macosx_12_0_arm64.whl"),
        ("libtensorflow_framework-2.12.0-arm64.head", "tensorflow_macos-2.12.0-cp311-cp311-macosx_12_0_arm64.whl"),
        ("libtensorflow_framework-2.11.0-x86_64.head", "tensorflow_macos-2.11.0-cp310-cp310-macosx_12_0_x86_64.whl"),
    ],
)
def test_heads_are_the_real_binaries(fixture: str, filename: str) -> None:
    from tests.support.pypi_metadata import index, member_head

    (wheel,) = [w for w in index().wheels("tensorflow-macos", filename.split("-")[1]) if w.filename == filename]
    assert member_head(wheel, FRAMEWORK)[:4096] == fixture_head(fixture)
