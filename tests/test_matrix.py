"""`tfm1 matrix`: the grid from the compatibility data, and `--verify` from the wheels."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.caches import TEST_CACHE
from tests.support.cli import envelope_of
from tfm1.cli import main


def result_of(out: str, code: int) -> Any:
    return envelope_of(out, code)["result"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["matrix", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_default_grid_from_the_data_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json")
    assert code == 0
    rows = result_of(out, code)
    assert len(rows) == 7 * 3  # TF 2.15.1 ... 2.21.0 × metal 1.0.1, 1.1.0, 1.2.0
    by_pair = {(r["tensorflow"], r["tensorflow_metal"]): r["status"] for r in rows}
    assert by_pair[("2.19.1", "1.2.0")] == "works"
    assert by_pair[("2.20.0", "1.2.0")] == "broken"
    assert by_pair[("2.18.1", "1.1.0")] == "broken"


def test_grid_from_the_data_for_chosen_versions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--tf", "2.16.2,2.17.1", "--metal", "1.1.0")
    assert code == 0
    assert "metal 1.1.0" in out and "metal 1.2.0" not in out
    assert [line.count("degraded") for line in out.splitlines() if line.startswith("│ 2.1")] == [1, 1]
    assert "tfm1 matrix --verify" in out


def test_the_grid_for_people_has_a_legend_and_the_reason_for_every_pair_that_does_not_work(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--tf", "2.19.1,2.20.0", "--metal", "1.2.0")
    assert code == 0
    lines = out.splitlines()
    legend = lines[lines.index("Legend:") + 1 : lines.index("Why:")]
    assert [line.split()[0] for line in legend] == ["works", "degraded", "broken", "unverified"]
    assert [line.split(": ")[:2] for line in lines if line.startswith("  2.")] == [["  2.20.0 + metal 1.2.0", "broken"]]
    _, rows, _ = run(capsys, "--tf", "2.20.0", "--metal", "1.2.0", "--json")
    reason = result_of(rows, 0)[0]["reason"]
    assert f"2.20.0 + metal 1.2.0: broken: {' '.join(reason.split())}" in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tf", "2.18.1,two"], "'two' is not a version"),
        (["--metal", ","], "no versions given"),
        (["--verify", "--python", "3"], "expected a version like 3.11"),
    ],
)
def test_bad_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("tfm1: error: ") and message in err and "\n  fix: " in err
    assert err.count("\n") == 2


@pytest.mark.network
@pytest.mark.slow
def test_verify_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--verify", "--tf", "2.19.1,2.20.0", "--metal", "1.2.0", "--json")
    assert code == 0
    rows = result_of(out, code)
    assert [(r["tensorflow"], r["tensorflow_metal"], r["loads"]) for r in rows] == [
        ("2.19.1", "1.2.0", True),
        ("2.20.0", "1.2.0", False),
    ]
    assert rows[1]["missing"] == ["@rpath/_pywrap_tensorflow_internal.so"]
    assert {"tensorflow", "tensorflow_metal", "loads", "missing", "reason"} <= rows[0].keys()
    assert (TEST_CACHE / "xdg" / "tfm1" / "wheels").is_dir()


@pytest.mark.network
@pytest.mark.slow
def test_verify_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--verify", "--tf", "2.18.1", "--metal", "1.1.0,1.2.0")
    assert code == 0
    assert "does not load" in out and "loads" in out
    assert "tsl::internal::LogMessage" in out


def test_default_grid_takes_the_newest_final_patch_of_each_minor() -> None:
    from tfm1.linkage.grid import latest_patches

    versions = {"2.14.1", "2.15.0", "2.15.1", "2.16.1", "2.16.2", "2.21.0", "2.22.0rc0", "not-a-version"}
    assert latest_patches(versions) == ["2.15.1", "2.16.2", "2.21.0"]
    assert latest_patches(versions | {"2.22.0"}) == ["2.15.1", "2.16.2", "2.21.0", "2.22.0"]


def test_each_verdict_says_what_decided_it(capsys: pytest.CaptureFixture[str]) -> None:
    """A report (compat_data.py) or what `tfm1 compat update` found: 1.2.0 with 2.15.1 is the binaries' alone."""
    code, out, _ = run(capsys, "--tf", "2.15.1,2.19.1", "--metal", "1.2.0", "--json")
    rows = {r["tensorflow"]: r for r in result_of(out, code)}
    assert (rows["2.19.1"]["status"], rows["2.19.1"]["evidence"]) == ("works", "report")
    found = rows["2.15.1"]
    assert (found["status"], found["evidence"]) == ("works", "binaries")
    assert "tensorflow-2.15.1-" in found["evidence_source"] and found["reason"].startswith("from the binaries: ")
    assert found["evidence_link"] == "https://pypi.org/project/tensorflow-metal/1.2.0/#files"
    _, table, _ = run(capsys, "--tf", "2.15.1,2.19.1", "--metal", "1.2.0")
    assert [line.split("│")[2].split() for line in table.splitlines() if line.startswith("│ 2.")] == [
        ["works", "B"],
        ["works", "R"],
    ]
    assert "B the wheels' binaries, which prove it loads, not that it runs" in " ".join(table.split())
