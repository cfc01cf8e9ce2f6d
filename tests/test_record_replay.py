"""Doctor on a live host and on the snapshot it saved must reach the same findings from the same facts."""

from __future__ import annotations

import json
import os
import sys
import venv
from pathlib import Path

from tests.support.cli import tfm1_json
from tfm1.doctor import diagnose
from tfm1.host import LinuxHost
from tfm1.host.recorder import RecordingHost
from tfm1.host.snapshot import SnapshotHost, load_snapshot

MACHO = Path(__file__).parent / "fixtures" / "macho"


def _dist(site: Path, name: str, version: str, tag: str, package: str | None = None) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nTag: {tag}\n")
    (info / "INSTALLER").write_text("pip\n")
    if package:
        (site / package).mkdir(exist_ok=True)
        (site / package / "__init__.py").write_text("")


def _lay_out_a_mac(root: Path) -> dict[str, str]:
    """A Miniforge env on disk, with real Mach-O heads (from PyPI wheels) standing in for its binaries."""
    env = root / "Users/ana/miniforge3/envs/tf"
    for prefix in (root / "Users/ana/miniforge3", env):
        (prefix / "conda-meta").mkdir(parents=True)
        (prefix / "conda-meta/history").write_text("")
        (prefix / "conda-meta/python-3.11.9-h932a869_0_cpython.json").write_text(
            json.dumps({"name": "python", "version": "3.11.9", "subdir": "osx-arm64"})
        )
        (prefix / "bin").mkdir()
        (prefix / "bin/python3.11").write_bytes((MACHO / "markupsafe-arm64.head").read_bytes())
        (prefix / "bin/python").symlink_to("python3.11")
    site = env / "lib/python3.11/site-packages"
    site.mkdir(parents=True)
    _dist(site, "tensorflow", "2.18.0", "cp311-cp311-macosx_12_0_arm64", "tensorflow")
    (site / "tensorflow/libtensorflow_framework.2.dylib").write_bytes((MACHO / "markupsafe-arm64.head").read_bytes())
    _dist(site, "tensorflow-metal", "1.1.0", "cp311-cp311-macosx_12_0_arm64")
    _dist(site, "numpy", "2.1.3", "cp311-cp311-macosx_14_0_arm64", "numpy")
    return {
        "HOME": "/Users/ana",
        "PATH": "/Users/ana/miniforge3/envs/tf/bin:/usr/bin:/bin",
        "CONDA_PREFIX": "/Users/ana/miniforge3/envs/tf",
        "SECRET_TOKEN": "must-not-be-recorded",
    }


def test_temp_dir_host_and_its_snapshot_agree(tmp_path: Path) -> None:
    environ = _lay_out_a_mac(tmp_path)
    recorder = RecordingHost(LinuxHost(root=str(tmp_path), environ=environ))
    live = diagnose(recorder)
    saved = json.dumps(recorder.snapshot.to_json())

    replay = SnapshotHost(load_snapshot(saved))
    replayed = diagnose(replay, snapshot_python=replay.snapshot.python)

    assert replayed.to_json() == live.to_json()
    assert "metal-tf-mismatch" in live.codes  # the env was really read, not an empty picture
    assert live.facts["python"]["archs"] == ["arm64"]
    assert live.facts["conda_roots"][0]["envs"][0]["subdir"] == "osx-arm64"
    assert "SECRET_TOKEN" not in saved  # only the variables doctor uses are kept


def test_cli_save_snapshot_then_replay(tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(target)
    site = next(target.glob("lib/python3.*/site-packages"))
    _dist(site, "tensorflow", "2.21.0", "cp311-cp311-manylinux_2_27_x86_64", "tensorflow")
    _dist(site, "tensorflow-metal", "1.2.0", "cp311-cp311-macosx_12_0_arm64")
    snapshot = tmp_path / "host.json"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "VIRTUAL_ENV": str(target)}

    code, live = tfm1_json("doctor", "--save-snapshot", str(snapshot), env=env)
    replay_code, replayed = tfm1_json("doctor", "--snapshot", str(snapshot), env={"PATH": os.environ["PATH"]})

    assert (replay_code, replayed) == (code, live)
    assert live["facts"]["python"]["path"] == f"{target}/bin/python"
    assert live["facts"]["python"]["source"] == "VIRTUAL_ENV"
    assert live["facts"]["python"]["version"] == f"{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
    assert "not-macos" in [f["code"] for f in live["findings"]]
    data = json.loads(snapshot.read_text())
    assert data["tfm1_snapshot"] == 2 and "python" not in data
    assert set(data["env"]) <= {"HOME", "PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_EXE", "PYENV_VERSION"}


def test_an_explicit_python_is_recorded(tmp_path: Path) -> None:
    snapshot = tmp_path / "host.json"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    code, live = tfm1_json("doctor", "--python", sys.executable, "--save-snapshot", str(snapshot), env=env)
    replay_code, replayed = tfm1_json("doctor", "--snapshot", str(snapshot), env=env)
    assert json.loads(snapshot.read_text())["python"] == sys.executable
    assert (live["facts"]["python"]["source"], replayed["facts"]["python"]["source"]) == ("--python", "snapshot")
    for report in (live, replayed):
        del report["facts"]["python"]["source"]
    assert (replay_code, replayed) == (code, live)


def test_ancestors_and_slice_versions_are_recorded() -> None:
    scenarios = Path(__file__).parent / "scenarios"
    for name in ("rosetta-parent-shell-native-tfm1", "intel-old-sdk-anaconda-python"):
        source = SnapshotHost(load_snapshot((scenarios / f"{name}.json").read_text()))
        recorder = RecordingHost(source)
        live = diagnose(recorder)
        saved = recorder.snapshot.to_json()
        assert saved["processes"] == [p._asdict() for p in source.snapshot.processes]
        replay = SnapshotHost(load_snapshot(json.dumps(saved)))
        assert diagnose(replay).to_json() == live.to_json()
    assert {"arch": "x86_64", "minos": "10.9", "sdk": "10.10"} in saved["files"]["/Users/ana/anaconda3/bin/python3.8"][
        "macho"
    ]
