"""`tfm1 compat` without the network: what counts as new (`candidates`), how found rows merge with the reports
(`found_file`), the generated modules' shape, the default profile's bump, the Mac job's confirmation, and
docs/compatibility.md held to what the data makes. The runs against PyPI are in test_compat_update_network.py."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.support.checkout_copy import ROOT, copy_checkout, run_from, snapshot
from tests.support.cli import one_error
from tests.support.pypi_standin import StandIn, entry
from tfm1.compat import Compat, load, with_found
from tfm1.compat_data import DATA
from tfm1.compat_found import FOUND
from tfm1.compat_update import candidates, found_file
from tfm1.compat_update.bump import newer_pair, rewrite
from tfm1.compat_update.page import page
from tfm1.compat_update.releases import Release
from tfm1.errors import Tfm1Error
from tfm1.linkage.arm64_wheels import WheelFile
from tfm1.profiles import get_profile

TODAY = "2026-12-05"


def release(project: str, version: str, *pythons: str, size: int = 200_000_000) -> Release:
    module = project.replace("-", "_")
    wheels = tuple(
        WheelFile(
            project,
            version,
            f"{module}-{version}-cp{p.replace('.', '')}-cp{p.replace('.', '')}-macosx_12_0_arm64.whl",
            f"https://files.example/{module}-{version}-{p}.whl",
            f"{abs(hash((project, version, p))):064x}"[:64],
            size,
            f"cp{p.replace('.', '')}",
        )
        for p in pythons
    )
    return Release(project, version, tuple(pythons), (), "12.0", wheels)


def tf(version: str, *pythons: str) -> Release:
    return release("tensorflow", version, *pythons)


def metal(version: str, *pythons: str) -> Release:
    return release("tensorflow-metal", version, *pythons, size=1_500_000)


TF_NOW = [tf("2.19.1", "3.9", "3.10", "3.11", "3.12"), tf("2.20.0", "3.9", "3.10", "3.11", "3.12", "3.13")]
TF_NOW.append(tf("2.21.0", "3.10", "3.11", "3.12", "3.13"))
METAL_NOW = [metal("1.2.0", "3.9", "3.10", "3.11", "3.12")]


def find(
    tensorflow: list[Release], metals: list[Release], found_metal: list[dict[str, Any]] | None = None
) -> candidates.Candidates:
    return candidates.find(Compat(with_found(DATA, {})), found_metal or [], tensorflow, metals, TODAY)


# --- what is new --------------------------------------------------------------------------------------------------


def test_releases_the_data_covers_are_nothing_new() -> None:
    found = find(TF_NOW, METAL_NOW)
    assert (found.pairs, found.metal_rows, found.tensorflow_rows, found.python_tags) == ([], [], [], [])


def test_a_new_metal_release_brings_its_row_and_a_pair_with_every_tensorflow() -> None:
    found = find(TF_NOW, [*METAL_NOW, metal("1.3.0", "3.11", "3.12")])
    assert [(c.tensorflow.version, c.metal.version, c.python) for c in found.pairs] == [
        ("2.21.0", "1.3.0", "3.12"),  # newest TensorFlow first: a bounded run proves what people install first
        ("2.20.0", "1.3.0", "3.12"),
        ("2.19.1", "1.3.0", "3.12"),
    ]
    (row,) = found.metal_rows
    assert {k: row[k] for k in ("version", "python", "arches", "macos_min")} == {
        "version": "1.3.0",
        "python": ["3.11", "3.12"],
        "arches": ["arm64"],
        "macos_min": "12.0",
    }
    assert row["evidence"] == {"kind": "pypi", "url": "https://pypi.org/project/tensorflow-metal/1.3.0/#files",
                               "date": TODAY}  # fmt: skip
    # A release found before is not found again, unless PyPI lists a Python it did not.
    before = [{**row, "python": ["3.11", "3.12"]}]
    assert find(TF_NOW, [metal("1.3.0", "3.11", "3.12")], before).metal_rows == []
    (widened,) = find(TF_NOW, [metal("1.3.0", "3.11", "3.12", "3.13")], before).metal_rows
    assert widened["python"] == ["3.11", "3.12", "3.13"]


def test_a_new_python_tag_and_a_new_minor_are_found() -> None:
    newer = [*TF_NOW[:2], tf("2.21.1", "3.10", "3.11", "3.12", "3.13", "3.14"), tf("2.22.0", "3.11", "3.12")]
    found = find(newer, METAL_NOW)
    assert [(t["package"], t["version"], t["python_arm64"]) for t in found.python_tags] == [
        ("tensorflow", "2.21.1", ["3.14"])
    ]
    assert [r.version for r in found.tensorflow_rows] == ["2.22.0"]
    # tensorflow-metal 1.2.0 is reported broken from TF 2.20 on: the new releases bring no pair to prove.
    assert found.pairs == []


def test_a_pair_that_shares_no_python_is_listed_not_proven() -> None:
    found = find(TF_NOW, [metal("0.1.0", "3.8", "3.9")])
    assert found.no_common_python == [("2.21.0", "0.1.0")]
    assert [(c.tensorflow.version, c.python) for c in found.pairs] == [("2.20.0", "3.9"), ("2.19.1", "3.9")]


def test_one_python_serves_as_many_pairs_of_a_tensorflow_as_it_can() -> None:
    """Each TensorFlow wheel read is up to 140 MB of compressed libraries: pairs share it where they can."""
    metals = [metal("1.4.0", "3.10", "3.11", "3.12"), metal("1.3.0", "3.10", "3.11"), metal("1.3.5", "3.9", "3.10")]
    found = find([TF_NOW[0]], metals)
    assert {c.metal.version: c.python for c in found.pairs} == {"1.4.0": "3.10", "1.3.5": "3.10", "1.3.0": "3.10"}


# --- merging with the reports, and the generated modules ----------------------------------------------------------


def pair_row(tensorflow: str, metal_version: str, status: str) -> dict[str, Any]:
    return {
        "tensorflow": tensorflow,
        "tensorflow_metal": metal_version,
        "status": status,
        "reason": "from the binaries: …",
        "evidence": {"kind": "binaries", "python": "3.12", "wheels": {}, "date": TODAY, "tool": "tfm1 0.1.0"},
    }


def test_a_report_added_later_supersedes_a_found_row_and_a_disagreement_is_named() -> None:
    before = {"pairs": [pair_row("2.15.1", "1.2.0", "works"), pair_row("2.14.1", "1.2.0", "works")]}
    reports = copy.deepcopy(DATA)
    reports["metal"][0]["broken"].append({"tensorflow": "<2.15", "error": "reported", "source": "a report"})
    reports["metal"][0]["works"] = ">=2.15,<2.20"
    merged = found_file.merge(before, {}, reports)
    assert merged.found["pairs"] == []
    assert merged.superseded == [
        "TensorFlow 2.14.1 + tensorflow-metal 1.2.0: found works, the report says broken"
    ]  # the one that agrees goes silently
    kept = found_file.merge(before, {"pairs": [pair_row("2.15.1", "1.2.0", "broken")]}, DATA)
    assert [(r["tensorflow"], r["status"]) for r in kept.found["pairs"]] == [("2.14.1", "works"), ("2.15.1", "broken")]


def test_python_tags_a_report_lists_by_now_are_dropped() -> None:
    tags = [{"package": "tensorflow", "version": "2.21.0", "python_arm64": ["3.13", "3.14"], "evidence": {}}]
    merged = found_file.merge({"python_tags": tags}, {}, DATA)
    assert merged.found["python_tags"] == [{**tags[0], "python_arm64": ["3.14"]}]


def test_the_generated_modules_read_back_and_pass_ruff_format_as_written(tmp_path: Path) -> None:
    found_path, pairs_path = tmp_path / "compat_found.py", tmp_path / "compat_found_pairs.py"
    for path in (found_path, pairs_path):
        shutil.copy2(ROOT / "src" / "tfm1" / path.name, path)
    odd = pair_row("2.19.1", "1.3.0", "unverified")
    odd["reason"] = """the binaries cannot decide: "quoted" and 'quoted', a \\ and × and a tab\tend"""
    found = {**copy.deepcopy(FOUND), "pairs": [odd, pair_row("2.20.0", "1.3.0", "broken")]}
    found["metal"] = [{"version": "1.3.0", "python": ["3.11", "3.12"], "arches": ["arm64"], "macos_min": "12.0",
                       "evidence": {"kind": "pypi", "url": "u", "date": TODAY}}]  # fmt: skip
    assert sorted(found_file.write(found_path, pairs_path, found)) == [found_path, pairs_path]
    assert found_file.write(found_path, pairs_path, found) == []  # the same data again: nothing written
    namespace: dict[str, Any] = {}
    exec(pairs_path.read_text(encoding="utf-8"), namespace)
    assert namespace["PAIRS"] == found["pairs"]
    exec(found_path.read_text(encoding="utf-8"), namespace)
    assert namespace["FOUND"]["metal"] == found["metal"]
    ruff = str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "format", "--check", "--config", str(ROOT / "pyproject.toml"), str(found_path), str(pairs_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the default profile's bump -------------------------------------------------------------------------------------


def test_the_bump_rewrites_the_pins_and_the_versions_the_file_names() -> None:
    text = (ROOT / "envs" / "metal" / "environment.yml").read_text(encoding="utf-8")
    before = {"tensorflow": "2.19.1", "tensorflow_metal": "1.2.0", "python": "3.12"}
    after = {"tensorflow": "2.21.0", "tensorflow_metal": "1.3.0", "python": "3.12"}
    new = rewrite(text, before, after)
    assert "      - tensorflow==2.21.0\n      - tensorflow-metal==1.3.0\n" in new and "python=3.12" in new
    assert "2.19.1" not in new and "1.2.0" not in new
    assert "GPU TensorFlow 2.21.0 with tensorflow-metal 1.3.0" in new
    with pytest.raises(Tfm1Error, match="does not pin tensorflow-metal=="):
        rewrite(text.replace("tensorflow-metal==1.2.0", "tensorflow-metal>=1.2"), before, after)


def test_the_bump_goes_only_forward_to_the_newest_pair_that_loads() -> None:
    profile = get_profile("metal")
    new_metal = metal("1.3.0", "3.11", "3.12")
    pairs = [candidates.Candidate(t, new_metal, "3.12") for t in TF_NOW]
    rows = [pair_row("2.19.1", "1.3.0", "works"), pair_row("2.20.0", "1.3.0", "works")]
    chosen = newer_pair(profile, [*rows, pair_row("2.21.0", "1.3.0", "broken")], pairs)
    assert chosen is not None and (chosen[0].key, chosen[1]) == (("2.20.0", "1.3.0"), "3.12")
    assert newer_pair(profile, [pair_row("2.21.0", "1.3.0", "broken")], pairs) is None
    older = [candidates.Candidate(tf("2.18.1", "3.12"), new_metal, "3.12")]  # newer metal, older TensorFlow
    assert newer_pair(profile, [pair_row("2.18.1", "1.3.0", "works")], older) is None
    only_313 = [candidates.Candidate(TF_NOW[2], metal("1.4.0", "3.13"), "3.13")]
    chosen = newer_pair(profile, [pair_row("2.21.0", "1.4.0", "works")], only_313)
    assert chosen is not None and chosen[1] == "3.13"  # the profile's Python has no wheel of both: the newest shared


# --- the command, on a copy of the checkout -------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return copy_checkout(tmp_path / "checkout")


def made_up(standin: StandIn) -> None:
    """Pages listing only releases the data covers (nothing downloads the files they name)."""
    files = [entry(w.filename, size=w.size) for r in TF_NOW for w in r.wheels]
    standin.page("tensorflow", files)
    standin.page("tensorflow-macos", [])
    standin.page("tensorflow-metal", [entry(w.filename, size=w.size) for w in METAL_NOW[0].wheels])


def test_nothing_new_writes_nothing_and_reads_no_wheel(checkout: Path, httpserver: HTTPServer) -> None:
    standin = StandIn(httpserver)
    made_up(standin)
    before = snapshot(checkout)
    result = run_from(checkout, "compat", "update", "--index-url", standin.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Nothing new" in result.stdout and "nothing written" in result.stdout
    assert snapshot(checkout) == before
    assert standin.wheel_requests() == []
    assert sorted(r.path for r, _ in httpserver.log) == [
        "/simple/tensorflow-macos/",
        "/simple/tensorflow-metal/",
        "/simple/tensorflow/",
    ]


def test_an_installed_tfm1_refuses_to_write_its_own_package(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "src" / "tfm1", site / "tfm1", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "tfm1", "compat", "update"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "not from a source checkout" in one_error(result.stderr)
    assert not (site / "tfm1" / "docs").exists()


def _with_binaries_pair(checkout: Path, tensorflow: str, metal_version: str) -> None:
    """The copy's default profile pinned to a pair only its found data vouches for (from the binaries)."""
    row = {**pair_row(tensorflow, metal_version, "works"), "evidence": {
        "kind": "binaries", "python": "3.12", "wheels": {"w.whl": "ab" * 32}, "date": "2026-12-01",
        "tool": "tfm1 0.1.0"}}  # fmt: skip
    pairs = checkout / "src" / "tfm1" / "compat_found_pairs.py"
    found = {**copy.deepcopy(FOUND), "pairs": [row]}
    found_file.write(checkout / "src" / "tfm1" / "compat_found.py", pairs, found)
    environment = checkout / "envs" / "metal" / "environment.yml"
    text = environment.read_text(encoding="utf-8")
    environment.write_text(text.replace("tensorflow-metal==1.2.0", f"tensorflow-metal=={metal_version}"))


RUN = "https://github.com/tfm1/tfm1/actions/runs/123456"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_confirm_moves_the_default_pairs_evidence_to_the_mac_job(checkout: Path) -> None:
    _with_binaries_pair(checkout, "2.19.1", "1.3.0")
    result = run_from(checkout, "compat", "confirm", "--run", RUN, "--commit", COMMIT)
    assert result.returncode == 0, result.stderr
    assert "the Apple-silicon workflow's pass is now its evidence" in result.stdout
    namespace: dict[str, Any] = {}
    exec((checkout / "src" / "tfm1" / "compat_found_pairs.py").read_text(encoding="utf-8"), namespace)
    (row,) = namespace["PAIRS"]
    assert row["evidence"]["kind"] == "mac-job" and row["evidence"]["run"] == RUN
    assert row["evidence"]["commit"] == COMMIT and row["evidence"]["binaries_date"] == "2026-12-01"
    assert "1.3.0" in (checkout / "docs" / "compatibility.md").read_text(encoding="utf-8")
    again = run_from(checkout, "compat", "confirm", "--run", RUN, "--commit", COMMIT)
    assert again.returncode == 0 and "already its evidence" in again.stdout


def test_confirm_leaves_a_reported_pair_alone_and_refuses_an_unproven_one(checkout: Path) -> None:
    before = snapshot(checkout)
    reported = run_from(checkout, "compat", "confirm", "--run", RUN, "--commit", COMMIT)
    assert reported.returncode == 0 and "a report in compat_data.py decides it" in reported.stdout
    assert snapshot(checkout) == before
    environment = checkout / "envs" / "metal" / "environment.yml"
    environment.write_text(environment.read_text().replace("tensorflow-metal==1.2.0", "tensorflow-metal==1.9.0"))
    unproven = run_from(checkout, "compat", "confirm", "--run", RUN, "--commit", COMMIT)
    assert unproven.returncode == 1
    assert "is not a pair tfm1 compat update proved to load" in one_error(unproven.stderr)


@pytest.mark.parametrize(
    ("run", "commit", "message"),
    [
        ("https://example.com/runs/1", COMMIT, "not a GitHub Actions run URL"),
        (RUN, "abc123", "not a full commit sha"),
    ],
)
def test_confirm_refuses_what_is_not_a_run_or_a_commit(checkout: Path, run: str, commit: str, message: str) -> None:
    result = run_from(checkout, "compat", "confirm", "--run", run, "--commit", commit)
    assert result.returncode == 2 and message in one_error(result.stderr)


# --- docs/compatibility.md ----------------------------------------------------------------------------------------


def test_the_committed_page_is_what_the_data_makes() -> None:
    committed = (ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
    assert committed == page(load(), FOUND, DATA), "run `tfm1 compat page` and commit docs/compatibility.md"


def test_every_cell_says_its_verdict_and_evidence_and_links_to_it() -> None:
    text = page(load(), FOUND, DATA)
    grid = [line for line in text.splitlines() if line.startswith("| 2.")]
    row = next(line for line in grid if line.startswith("| 2.19.1 |"))
    assert "[works R](#tensorflow-2191)" in row  # 1.2.0, reported
    assert "\n## TensorFlow 2.19.1\n" in text
    section = text.split("\n## TensorFlow 2.20.0\n")[1].split("\n## ")[0]
    assert "| 1.2.0 | broken | [report](../src/tfm1/compat_data.py) | NotFoundError: dlopen(" in section
    issue = text.split("\n## TensorFlow 2.17.1\n")[1].split("\n## ")[0]
    assert "| 1.1.0 | degraded | [report](https://github.com/tensorflow/tensorflow/issues/63854) |" in issue


def test_page_check_fails_when_the_data_changed_and_page_writes_it(checkout: Path) -> None:
    assert run_from(checkout, "compat", "page", "--check").returncode == 0
    _with_binaries_pair(checkout, "2.19.1", "1.3.0")
    stale = run_from(checkout, "compat", "page", "--check")
    assert stale.returncode == 1 and "is not what the data makes" in stale.stderr
    assert run_from(checkout, "compat", "page").returncode == 0
    assert run_from(checkout, "compat", "page", "--check").returncode == 0


def test_a_wheel_that_cannot_be_read_stops_the_run_and_writes_nothing(checkout: Path, httpserver: HTTPServer) -> None:
    standin = StandIn(httpserver)
    made_up(standin)
    new = metal("1.3.0", "3.12").wheels[0]
    missing = {**entry(new.filename, size=new.size), "url": "../../files/gone.whl"}  # the stand-in answers 404
    standin.page("tensorflow-metal", [*(entry(w.filename, size=w.size) for w in METAL_NOW[0].wheels), missing])
    before = snapshot(checkout)
    result = run_from(checkout, "compat", "update", "--index-url", standin.url)
    assert result.returncode == 1
    progress = [line for line in result.stderr.splitlines() if line.startswith("==> ")]  # one line a pair in a log
    assert progress == ["==> TensorFlow 2.21.0 × tensorflow-metal 1.3.0, Python 3.12 (1/3)"]
    error = one_error(result.stderr.replace(progress[0] + "\n", ""))
    assert "gone.whl" in error and "404" in error
    assert snapshot(checkout) == before


def test_an_index_that_cannot_be_read_is_one_error(checkout: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/simple/tensorflow/").respond_with_data("no", status=404)
    httpserver.expect_request("/simple/tensorflow-macos/").respond_with_data("no", status=404)
    result = run_from(checkout, "compat", "update", "--index-url", httpserver.url_for("/simple/"))
    assert result.returncode == 1 and "cannot read" in one_error(result.stderr)
    bad = run_from(checkout, "compat", "update", "--max-pairs", "-1")
    assert bad.returncode == 2 and "--max-pairs" in bad.stderr


def test_a_bump_that_cannot_be_made_leaves_the_profile_as_it_was(tmp_path: Path) -> None:
    from tfm1.compat_update.bump import bump
    from tfm1.pypi.index import Index

    envs = tmp_path / "envs"
    shutil.copytree(ROOT / "envs" / "metal", envs / "metal")
    environment = envs / "metal" / "environment.yml"
    environment.write_text(environment.read_text().replace("tensorflow==2.19.1", "tensorflow>=2.19.1,<2.20"))
    environment.write_text(environment.read_text() + "# tensorflow==2.19.1 is named here, not pinned\n")
    before = {p.name: p.read_bytes() for p in (envs / "metal").iterdir()}
    profile = get_profile("metal", envs)
    profile = type(profile)(**{**profile.__dict__, "pip_specs": ("tensorflow==2.19.1", "tensorflow-metal==1.2.0")})
    candidate = candidates.Candidate(TF_NOW[0], metal("1.3.0", "3.12"), "3.12")
    result = bump(profile, candidate, "3.12", Index("http://127.0.0.1:9/simple/"))
    assert result.status == "failed" and "does not pin tensorflow== on one line of its own" in result.problems[0]
    assert {p.name: p.read_bytes() for p in (envs / "metal").iterdir()} == before
