"""Hypothesis drives diagnose() with valid-shaped snapshots: machines, interpreters and installed stacks
combined at random, so the rules (not the snapshot validator) meet the odd cases."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfm1.doctor import diagnose
from tfm1.doctor.codes import CODES
from tfm1.doctor.render import render_report
from tfm1.host.snapshot import SnapshotError, SnapshotHost, parse_snapshot

ARCHS = st.sampled_from(["arm64", "x86_64", "arm64e", "i386"])
MACOS = st.sampled_from(["11.6", "12.0.1", "12.7", "13.6.7", "14.5", "15.1", "26.0", "10.16", "14.²", "", "x.y"])
VERSIONS = st.sampled_from(
    [
        "0.2.0",
        "1.0.0",
        "1.1.0",
        "1.2.0",
        "1.26.4",
        "2.0.2",
        "2.15.0",
        "2.15.1",
        "2.16.2",
        "2.19.1",
        "2.21.0",
        "3.10.0",
        "0.3.1",
        "9!1.0",
        "bogus",
        "",
    ]
)
NAMES = st.sampled_from(
    [
        "tensorflow",
        "tensorflow-macos",
        "tensorflow-metal",
        "numpy",
        "keras",
        "ml-dtypes",
        "tensorflow-cpu",
        "tf-keras",
        "six",
    ]
)
PLATFORMS = st.sampled_from(
    [
        "macosx_12_0_arm64",
        "macosx_14_0_arm64",
        "macosx_10_15_x86_64",
        "macosx_11_0_universal2",
        "manylinux_2_27_x86_64",
        "macosx_12",
        "any",
        "macosx__",
    ]
)
REQUIRES = st.sampled_from(
    [
        "numpy<2.0.0,>=1.23.5",
        "ml-dtypes~=0.3.1",
        'six; python_version < "3.12"',
        'tensorflow-macos==2.15.0; platform_machine == "arm64"',
        "keras>=3.0.0",
        "broken requirement ((",
        'x; extra == "and-cuda"',
        "numpy>=1.26.0; bogus_marker == '1'",
    ]
)
SLICE = st.fixed_dictionaries(
    {"arch": ARCHS},
    optional={
        "minos": st.sampled_from(["10.9", "11.0", "12.0", "12.1", "14.0", "bad"]),
        "sdk": st.sampled_from(["10.10", "10.15", "11.0", "15.2", "1.²"]),
    },
)
MACHO = st.lists(SLICE, max_size=3) | st.lists(ARCHS, max_size=2)  # version 2 and version 1 entries
PYTHON_VERSION = st.sampled_from(["3.8", "3.9", "3.11", "3.12", "3.13", "3.14"])


@st.composite
def distribution(draw: st.DrawFn, site: str) -> dict[str, dict[str, Any]]:
    name, version = draw(NAMES), draw(VERSIONS)
    info = f"{site}/{name.replace('-', '_')}-{version or 'x'}.dist-info"
    requires = "".join(f"Requires-Dist: {r}\n" for r in draw(st.lists(REQUIRES, max_size=3)))
    files: dict[str, dict[str, Any]] = {
        f"{info}/METADATA": {"text": f"Name: {name}\nVersion: {version}\n{requires}\n"},
        f"{info}/WHEEL": {"text": f"Tag: cp311-cp311-{draw(PLATFORMS)}\n"},
    }
    if draw(st.booleans()):
        rows = draw(st.sampled_from([["tensorflow/__init__.py,,"], [], ["tensorflow_metal/x.py,,"]]))
        files[f"{info}/RECORD"] = {"text": "\n".join(rows)}
    if draw(st.booleans()):
        files[f"{site}/tensorflow/__init__.py"] = {"file": True}
        files[f"{site}/tensorflow/libtensorflow_framework.2.dylib"] = {"macho": draw(MACHO)}
    if draw(st.booleans()):
        files[f"{site}/tensorflow-plugins/libmetal_plugin.dylib"] = {"macho": draw(MACHO)}
    return files


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    system = draw(st.sampled_from(["Darwin", "Darwin", "Linux"]))
    minor = draw(PYTHON_VERSION)
    layout = draw(st.sampled_from(["conda", "venv", "homebrew", "pyenv"]))
    home = "/Users/ana"
    prefix = {
        "conda": f"{home}/miniforge3/envs/tf",
        "venv": f"{home}/venv",
        "homebrew": "/opt/homebrew",
        "pyenv": f"{home}/.pyenv/versions/{minor}.1",
    }[layout]
    site = f"{prefix}/lib/python{minor}/site-packages"
    files: dict[str, dict[str, Any]] = {
        f"{prefix}/bin/python{minor}": {"macho": draw(MACHO)},
        f"{prefix}/bin/python3": {"symlink": f"python{minor}"},
        f"{prefix}/bin/python": {"symlink": f"python{minor}"},
    }
    env = {"HOME": home, "PATH": f"{prefix}/bin:/usr/bin:/bin", "SHELL": "/bin/zsh"}
    if layout == "conda":
        subdir = draw(st.sampled_from(["osx-arm64", "osx-64", "linux-64"]))
        files[f"{prefix}/conda-meta/python-{minor}.1-h_0.json"] = {
            "text": draw(st.sampled_from([json.dumps({"subdir": subdir}), "[" * 3000, "{}", "null"]))
        }
        files[f"{home}/miniforge3/conda-meta/history"] = {"text": ""}
        env["CONDA_PREFIX"] = prefix
    elif layout == "venv":
        files[f"{prefix}/pyvenv.cfg"] = {"text": f"home = /opt/homebrew/bin\nversion = {minor}.4\n"}
        env["VIRTUAL_ENV"] = prefix
    elif layout == "pyenv":
        files[f"{home}/.pyenv/shims/python3"] = {"text": "#!/bin/sh\n"}
        env["PATH"] = f"{home}/.pyenv/shims:/usr/bin"
        env["PYENV_VERSION"] = draw(st.sampled_from([f"{minor}.1", " ", ":x", "system", f"3.0:{minor}.1"]))
    for dist in draw(st.lists(distribution(site), max_size=5)):
        files.update(dist)
    if draw(st.booleans()):
        files["/usr/local/bin/brew"] = {"file": True}
    macos = draw(MACOS) if system == "Darwin" else ""
    translated = draw(st.booleans())
    return {
        "tfm1_snapshot": draw(st.sampled_from([1, 2])),
        "platform": {"system": system, "machine": draw(st.sampled_from(["arm64", "x86_64"])), "mac_ver": macos},
        "sysctl": (
            {
                "kern.osproductversion": macos,
                "hw.optional.arm64": draw(st.sampled_from(["1", "0"])),
                "sysctl.proc_translated": "1" if translated else "0",
            }
            if system == "Darwin"
            else {}
        ),
        "env": env,
        "processes": [
            {"pid": 4121, "name": draw(st.sampled_from(["zsh", "bash", "uv"])), "translated": draw(st.booleans())}
        ],
        "files": files,
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=snapshots())
def test_diagnose_runs_on_valid_shaped_snapshots(data: dict[str, Any]) -> None:
    if data["tfm1_snapshot"] == 1:
        data.pop("processes")
        for entry in data["files"].values():
            if "macho" in entry:
                entry["macho"] = [s["arch"] if isinstance(s, dict) else s for s in entry["macho"]]
    try:
        snapshot = parse_snapshot(data)
    except SnapshotError as error:  # the generator makes only valid shapes: a rejection is a bug in one or the other
        raise AssertionError(f"valid-shaped snapshot rejected: {error}") from None
    report = diagnose(SnapshotHost(snapshot), snapshot_python=snapshot.python)
    json.dumps(report.to_json())
    render_report(report, io.StringIO())
    for finding in report.findings:
        assert finding.severity in CODES[finding.code], finding.code
