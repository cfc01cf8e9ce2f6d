"""Snapshots are untrusted input: every bad one is a clear exit 2, and no input makes the loader raise."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.cli import tfm1
from tfm1.doctor import diagnose
from tfm1.host.snapshot import SnapshotError, SnapshotHost, load_snapshot, parse_snapshot

GOOD: dict[str, Any] = {
    "tfm1_snapshot": 1,
    "platform": {"system": "Darwin", "machine": "arm64", "mac_ver": "14.5"},
    "sysctl": {"hw.optional.arm64": "1", "sysctl.proc_translated": "0"},
    "env": {"HOME": "/Users/ana", "PATH": "/opt/homebrew/bin:/usr/bin:/bin", "CONDA_PREFIX": "/Users/ana/miniforge3"},
    "python": "/Users/ana/miniforge3/bin/python",
    "files": {
        "/Users/ana/miniforge3/bin/python": {"symlink": "python3.11"},
        "/Users/ana/miniforge3/bin/python3.11": {"macho": ["arm64"]},
        "/Users/ana/miniforge3/conda-meta/python-3.11.9-h932a869_0_cpython.json": {
            "text": '{"name": "python", "version": "3.11.9", "subdir": "osx-arm64"}'
        },
        "/Users/ana/miniforge3/lib/python3.11/site-packages/tensorflow-2.19.1.dist-info/WHEEL": {
            "text": "Wheel-Version: 1.0\nTag: cp311-cp311-macosx_12_0_arm64\n"
        },
        "/Users/ana/miniforge3/envs/": {"dir": True},
    },
}


def test_the_issue_example_replays() -> None:
    host = SnapshotHost(parse_snapshot(GOOD))
    assert host.resolve("/Users/ana/miniforge3/bin/python") == "/Users/ana/miniforge3/bin/python3.11"
    assert host.is_dir("/Users/ana/miniforge3/envs") and host.is_dir("/Users/ana/miniforge3/lib/python3.11")
    assert host.sysctl("hw.optional.arm64") == "1" and host.sysctl("hw.memsize") is None
    report = diagnose(host, snapshot_python=host.snapshot.python)
    facts = report.facts["python"]
    assert (facts["version"], facts["archs"], facts["conda_subdir"]) == ("3.11.9", ["arm64"], "osx-arm64")
    assert facts["distributions"]["tensorflow"]["version"] == "2.19.1"


def _broken(change: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(GOOD))
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return data


BAD = {
    "not an object": [1, 2],
    "no version": _broken({"tfm1_snapshot": None}),
    "future version": _broken({"tfm1_snapshot": 3}),
    "platform missing": _broken({"platform": None}),
    "platform without machine": _broken({"platform": {"system": "Darwin"}}),
    "sysctl not strings": _broken({"sysctl": {"hw.optional.arm64": 1}}),
    "env not an object": _broken({"env": ["HOME"]}),
    "relative python": _broken({"python": "bin/python"}),
    "relative file path": _broken({"files": {"bin/python": {"dir": True}}}),
    "two kinds in one entry": _broken({"files": {"/a": {"dir": True, "file": True}}}),
    "unknown kind": _broken({"files": {"/a": {"socket": True}}}),
    "macho not a list": _broken({"files": {"/a": {"macho": "arm64"}}}),
    "empty symlink": _broken({"files": {"/a": {"symlink": ""}}}),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_snapshot_is_rejected(name: str) -> None:
    with pytest.raises(SnapshotError):
        parse_snapshot(BAD[name])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (json.dumps(BAD["future version"]).encode(), "not a tfm1 snapshot version 1 or 2"),
        (b"\xff\xfe\x00garbage", "cannot read snapshot"),
        (json.dumps(BAD["relative file path"]).encode(), "is not an absolute path"),
    ],
)
def test_cli_reports_a_bad_snapshot_in_one_line_with_exit_2(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "s.json"
    path.write_bytes(content)
    result = tfm1("doctor", "--snapshot", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr
    assert message in result.stderr and "\n  fix: " in result.stderr and "Traceback" not in result.stderr


def test_cli_missing_snapshot_file(tmp_path: Path) -> None:
    result = tfm1("doctor", "--snapshot", str(tmp_path / "absent.json"))
    assert result.returncode == 2 and "cannot read snapshot" in result.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
paths = st.lists(st.sampled_from(["Users", "ana", "bin", "python", "..", ".", "lib", "envs"]), min_size=1).map(
    lambda parts: "/" + "/".join(parts)
)
entries = st.one_of(
    st.fixed_dictionaries({"symlink": paths | st.sampled_from(["python3", "../x", "a/b"])}),
    st.fixed_dictionaries({"macho": st.lists(st.sampled_from(["arm64", "x86_64", "arm64e", "i386", "?"]))}),
    st.fixed_dictionaries({"text": st.text(max_size=40)}),
    st.just({"dir": True}),
    st.just({"file": True}),
    json_values,
)
snapshots = st.fixed_dictionaries(
    {
        "tfm1_snapshot": st.just(1) | json_values,
        "platform": st.fixed_dictionaries(
            {"system": st.sampled_from(["Darwin", "Linux"]), "machine": st.sampled_from(["arm64", "x86_64"])}
        )
        | json_values,
        "env": st.dictionaries(st.sampled_from(["HOME", "PATH", "CONDA_PREFIX", "VIRTUAL_ENV"]), paths) | json_values,
        "sysctl": st.dictionaries(
            st.sampled_from(["hw.optional.arm64", "sysctl.proc_translated"]), st.text(max_size=3)
        ),
        "files": st.dictionaries(paths, entries, max_size=12) | json_values,
    }
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_loader_never_raises_anything_but_snapshot_error(text: str) -> None:
    with contextlib.suppress(SnapshotError):
        load_snapshot(text)


@settings(max_examples=300, deadline=None)
@given(data=snapshots)
def test_any_structurally_valid_snapshot_diagnoses_without_raising(data: dict[str, Any]) -> None:
    try:
        snapshot = parse_snapshot(data)
    except SnapshotError:
        return
    host = SnapshotHost(snapshot)
    report = diagnose(host, snapshot_python=snapshot.python)
    json.dumps(report.to_json())
