"""`tfm1 compat update` with the network: against the real PyPI (today it must change nothing: the data committed
is what PyPI shows), and against a stand-in for PyPI that adds a tensorflow-metal release to the real index, made
from the real 1.2.0 wheel, so that the checker reads a real plugin and real TensorFlow libraries."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.checkout_copy import copy_checkout, run_from, snapshot
from tests.support.pypi_files import fetch_wheel
from tests.support.pypi_standin import StandIn, https_server, retagged_metal_wheel
from tfm1.lockfile import read_lockfile

pytestmark = [pytest.mark.network, pytest.mark.slow]

METAL_120 = ("tensorflow_metal-1.2.0-cp312-cp312-macosx_12_0_arm64.whl",
             "4bece0ecb154b713b9f5ad4aec676a366d312822161e3cf0e1dea737c64cec04")  # fmt: skip
TENSORFLOW = {"2.19.1", "2.20.0", "2.21.0"}  # the index's TensorFlow, limited: three wheels to read, not seventeen


def _pairs(checkout: Path) -> dict[tuple[str, str], dict[str, Any]]:
    namespace: dict[str, Any] = {}
    exec((checkout / "src" / "tfm1" / "compat_found_pairs.py").read_text(encoding="utf-8"), namespace)
    return {(row["tensorflow"], row["tensorflow_metal"]): row for row in namespace["PAIRS"]}


def test_the_real_pypi_shows_nothing_the_committed_data_lacks(tmp_path: Path) -> None:
    """Run today (2026-12-05) against PyPI: no tensorflow-metal after 1.2.0, no final TensorFlow after 2.21.0
    (2.22.0rc0 is a pre-release, which the data does not follow), and every pair's evidence is committed. When
    this fails, a release came out: `tfm1 compat update` (the weekly workflow does it) and commit what it writes."""
    checkout = copy_checkout(tmp_path / "checkout")
    before = snapshot(checkout)
    result = run_from(checkout, "compat", "update", "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["changed"] is False and summary["proven"] == [] and summary["left"] == [], result.stdout
    assert summary["default"] == {"profile": "metal", "tensorflow": "2.19.1", "tensorflow_metal": "1.2.0",
                                  "evidence": "report"}  # fmt: skip
    assert snapshot(checkout) == before


def test_a_new_metal_release_is_proven_written_and_bumps_the_default_profile(tmp_path: Path) -> None:
    with https_server(tmp_path / "tls") as (server, trust):
        _new_metal_release(tmp_path, StandIn(server), trust)


def _new_metal_release(tmp_path: Path, standin: StandIn, trust: dict[str, str]) -> None:
    source = fetch_wheel("tensorflow-metal", *METAL_120)
    standin.limit("tensorflow", TENSORFLOW)
    standin.page("tensorflow-macos", [])
    standin.limit("tensorflow-metal", {"1.2.0"})
    new = [retagged_metal_wheel(source, tmp_path / "wheels", "1.3.0", python) for python in ("3.11", "3.12")]
    for wheel in new:
        standin.add(wheel)
    checkout = copy_checkout(tmp_path / "checkout")
    result = run_from(checkout, "compat", "update", "--index-url", standin.url, "--json", timeout=1800, env=trust)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)

    # The new pairs, each proven from the binaries with the wheels read and their sha256.
    pairs = _pairs(checkout)
    works, stub_20, stub_21 = pairs[("2.19.1", "1.3.0")], pairs[("2.20.0", "1.3.0")], pairs[("2.21.0", "1.3.0")]
    assert (works["status"], stub_20["status"], stub_21["status"]) == ("works", "broken", "broken")
    assert stub_20["error"] == "Library not loaded: @rpath/_pywrap_tensorflow_internal.so"
    wheels = works["evidence"]["wheels"]
    assert wheels[new[1].name] == hashlib.sha256(new[1].read_bytes()).hexdigest()
    assert "tensorflow-2.19.1-cp312-cp312-macosx_12_0_arm64.whl" in wheels
    assert works["evidence"]["kind"] == "binaries" and works["evidence"]["tool"].startswith("tfm1 ")
    assert [row["version"] for row in summary["metal_added"]] == ["1.3.0"]
    assert summary["metal_added"][0]["python"] == ["3.11", "3.12"]

    # The default profile moved to the newer pair, its lock passes `lock --check`, and it waits for the Mac job.
    bump = summary["bump"]
    assert bump["ok"] and bump["after"] == {"tensorflow": "2.19.1", "tensorflow_metal": "1.3.0", "python": "3.12"}
    environment = (checkout / "envs" / "metal" / "environment.yml").read_text(encoding="utf-8")
    assert "tensorflow-metal==1.3.0" in environment and "tensorflow-metal 1.2.0" not in environment
    locked = {
        p.name: p for p in read_lockfile(checkout / "envs" / "metal" / "conda-lock.yml").for_platform("osx-arm64")
    }
    assert locked["tensorflow-metal"].version == "1.3.0"
    assert locked["tensorflow-metal"].sha256 == hashlib.sha256(new[1].read_bytes()).hexdigest()
    check = run_from(checkout, "lock", "--check", "--profile", "metal", timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert summary["default"]["evidence"] == "binaries"
    page = (checkout / "docs" / "compatibility.md").read_text(encoding="utf-8")
    assert "metal 1.3.0" in page and "| 1.3.0 | broken | [binaries](" in page

    # Run again: nothing new, nothing written, no wheel read.
    before, requests = snapshot(checkout), len(standin.wheel_requests())
    again = run_from(checkout, "compat", "update", "--index-url", standin.url, timeout=600, env=trust)
    assert again.returncode == 0 and "Nothing new" in again.stdout, again.stdout + again.stderr
    assert snapshot(checkout) == before and len(standin.wheel_requests()) == requests
