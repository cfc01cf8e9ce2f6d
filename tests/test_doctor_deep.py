"""`tfm1 doctor --deep`: the linkage checker on the target environment's own binaries."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import venv
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import tfm1, tfm1_json
from tests.support.lief_builders import BOUND, PROVIDER, extract_speedups, site_packages
from tfm1.compat import load

pytestmark = pytest.mark.network  # the wheel the test binaries are built from is fetched once, then cached


def _env_with_plugin(tmp_path: Path, exported: tuple[str, ...]) -> Path:
    target = tmp_path / "venv"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(target)
    site = next(target.glob("lib/python3.*/site-packages"))
    speedups = extract_speedups(tmp_path)
    site_packages(site.parent, speedups, {"python/_pywrap_tensorflow_internal.so": (PROVIDER, exported, ())})
    return target / "bin" / "python"


def _run(python: Path) -> tuple[int, Any]:
    # The venv lives in the test's tmp_path; so does the cache of image summaries.
    cache = python.parent.parent.parent / "cache"
    env = {"PATH": os.environ["PATH"], "HOME": "/", "TFM1_CACHE_DIR": str(cache)}
    return tfm1_json("doctor", "--deep", "--python", str(python), env=env)


def test_a_plugin_that_cannot_bind_is_an_error(tmp_path: Path) -> None:
    code, report = _run(_env_with_plugin(tmp_path, BOUND[:1]))
    assert code == 1
    findings = {f["code"]: f for f in report["findings"]}
    linkage = findings["metal-tf-linkage"]
    assert linkage["severity"] == "error"
    assert linkage["evidence"]["missing"] == ["_PyModuleDef_Init"]
    assert "Symbol not found: _PyModuleDef_Init" in linkage["title"]


def test_a_plugin_that_binds_is_recorded_as_loading(tmp_path: Path) -> None:
    code, report = _run(_env_with_plugin(tmp_path, BOUND))
    assert code == 0
    assert "metal-tf-linkage" not in [f["code"] for f in report["findings"]]
    (verdict,) = report["facts"]["linkage"]
    assert verdict["loads"] is True and verdict["checked_symbols"] == 2


def test_deep_needs_the_live_binaries() -> None:
    scenario = Path(__file__).parent / "scenarios" / "healthy-tf2191-metal120.json"
    result = tfm1("doctor", "--deep", "--snapshot", str(scenario))
    assert result.returncode == 2 and "snapshot does not hold" in result.stderr


def test_an_unreadable_plugin_is_a_warning_beside_the_other_findings(tmp_path: Path) -> None:
    python = _env_with_plugin(tmp_path, BOUND)
    plugin = next(python.parent.parent.glob("lib/python3.*/site-packages/tensorflow-plugins/libmetal_plugin.dylib"))
    plugin.write_bytes(b"\x7fELF" + bytes(200))  # not a Mach-O: what a damaged or foreign wheel leaves
    code, report = _run(python)
    findings = {f["code"]: f for f in report["findings"]}
    assert code == 0
    assert findings["metal-tf-linkage"]["severity"] == "warning"
    assert "not a Mach-O" in findings["metal-tf-linkage"]["title"]
    assert "not-macos" in findings  # the rest of the diagnosis is still there
    assert "error" in report["facts"]["linkage"][0]


def test_image_summaries_are_cached_by_content(tmp_path: Path) -> None:
    python = _env_with_plugin(tmp_path, BOUND)
    assert _run(python)[0] == 0
    summaries = tmp_path / "cache" / "installed"
    core = next(
        python.parent.parent.glob("lib/python3.*/site-packages/tensorflow/python/_pywrap_tensorflow_internal.so")
    )
    cached = summaries / f"{hashlib.sha256(core.read_bytes()).hexdigest()}.json.gz"
    assert cached.is_file() and len(list(summaries.glob("*.plugin.json.gz"))) == 1

    # The next run answers from the summary: one that has lost the image's exports turns the verdict.
    summary = json.loads(gzip.decompress(cached.read_bytes()))
    assert set(BOUND) <= set(summary["exports"])
    cached.write_bytes(gzip.compress(json.dumps({**summary, "exports": []}).encode()))
    code, report = _run(python)
    assert code == 1 and "metal-tf-linkage" in [f["code"] for f in report["findings"]]

    # A changed file is a new key, never a stale answer: the image is read again.
    core.write_bytes(core.read_bytes() + bytes(16))
    assert _run(python)[0] == 0
    assert (summaries / f"{hashlib.sha256(core.read_bytes()).hexdigest()}.json.gz").is_file()


def _versions(python: Path, tensorflow: str, metal: str) -> Path:
    """The same binaries under other distribution versions: what the compatibility data judges is the names."""
    site = next(python.parent.parent.glob("lib/python3.*/site-packages"))
    (site / "tensorflow-2.19.1.dist-info").rename(site / f"tensorflow-{tensorflow}.dist-info")
    (site / "tensorflow_metal-1.2.0.dist-info").rename(site / f"tensorflow_metal-{metal}.dist-info")
    return python


def test_binaries_that_do_not_link_make_an_unverified_pair_an_error(tmp_path: Path) -> None:
    # Neither a report nor the found pairs judge tensorflow-metal 1.2.0 with TensorFlow 2.15.0 (a warning); the
    # installed binaries do.
    assert load().evidence("2.15.0", "1.2.0").kind == "none"
    code, report = _run(_versions(_env_with_plugin(tmp_path, BOUND[:1]), "2.15.0", "1.2.0"))
    findings = {f["code"]: f for f in report["findings"]}
    assert code == 1
    assert findings["metal-tf-mismatch"]["severity"] == "error"
    assert findings["metal-tf-mismatch"]["evidence"]["decided_by"] == "the installed binaries (--deep)"


def test_binaries_that_link_overrule_the_data(tmp_path: Path) -> None:
    # The data says tensorflow-metal 1.2.0 cannot load with TensorFlow 2.21.0; these binaries link.
    without_deep = tfm1_json(
        "doctor",
        "--python",
        str(_versions(_env_with_plugin(tmp_path, BOUND), "2.21.0", "1.2.0")),
        env={"PATH": os.environ["PATH"], "HOME": "/"},
    )[1]
    assert [(f["code"], f["severity"]) for f in without_deep["findings"]][:1] == [("metal-tf-mismatch", "error")]
    code, report = _run(next(tmp_path.glob("venv/bin/python")))
    findings = {f["code"]: f for f in report["findings"]}
    assert code == 0
    assert findings["metal-tf-mismatch"]["severity"] == "warning"
    assert "over tfm1's data" in findings["metal-tf-mismatch"]["evidence"]["decided_by"]


def test_installed_binaries_that_do_not_link_overrule_a_pair_proven_from_pypi_s_wheels(tmp_path: Path) -> None:
    # The found pairs say tensorflow-metal 1.2.0 loads with TensorFlow 2.15.1 (PyPI's wheels); these binaries do not.
    assert load().evidence("2.15.1", "1.2.0").kind == "binaries"
    code, report = _run(_versions(_env_with_plugin(tmp_path, BOUND[:1]), "2.15.1", "1.2.0"))
    errors = {f["code"]: f for f in report["findings"] if f["severity"] == "error"}
    assert code == 1, report["findings"]
    assert "cannot load with the installed TensorFlow 2.15.1" in errors["metal-tf-linkage"]["title"]
    assert errors["metal-tf-linkage"]["evidence"]["missing"] == [BOUND[1]]
