"""The GitHub workflows for the people who keep the locks: valid (actionlint, with shellcheck on their shell), and
wired to what the issue asks: a scheduled + manual re-lock that opens a pull request, and every osx-arm64 profile
set up and verified on Apple-silicon runners."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tfm1.profiles import list_profiles

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
SHELL_SCRIPTS = [ROOT / "scripts" / name for name in ("refresh-locks", "open-lock-pr", "mac-profile")]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a dev dependency; run `uv sync`"
    return str(Path(found).resolve())


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_actionlint_passes_with_shellcheck_on_run_steps() -> None:
    assert len(WORKFLOWS) >= 2
    result = subprocess.run(
        [_tool("actionlint"), "-verbose", "-shellcheck", _tool("shellcheck"), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The lint would fail on a real mistake: a matrix key that does not exist."""
    broken = (ROOT / ".github" / "workflows" / "apple-silicon.yml").read_text(encoding="utf-8")
    broken = broken.replace("${{ matrix.profile }} on", "${{ matrix.profil }} on")
    target = tmp_path / ".github" / "workflows" / "broken.yml"
    target.parent.mkdir(parents=True)
    target.write_text(broken, encoding="utf-8")
    result = subprocess.run([_tool("actionlint"), str(target)], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "profil" in result.stdout


def test_the_scripts_pass_shellcheck_as_posix_sh() -> None:
    for script in SHELL_SCRIPTS:
        assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n"), script
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
    result = subprocess.run(
        [_tool("shellcheck"), "--shell=sh", *map(str, SHELL_SCRIPTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_the_workflows_call_only_scripts_that_exist() -> None:
    for workflow in WORKFLOWS:
        for called in re.findall(r"scripts/[\w.-]+", workflow.read_text(encoding="utf-8")):
            assert (ROOT / called).is_file(), f"{workflow.name} calls {called}"


def test_refresh_runs_on_a_schedule_and_by_hand_and_opens_a_pull_request() -> None:
    workflow = _load("refresh-locks.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert set(triggers) == {"schedule", "workflow_dispatch"} and triggers["schedule"][0]["cron"]
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = [step.get("run", "") for step in workflow["jobs"]["lock"]["steps"]]
    assert "scripts/refresh-locks" in runs and any(r.startswith("scripts/open-lock-pr") for r in runs)
    refresh = (ROOT / "scripts" / "refresh-locks").read_text(encoding="utf-8")
    assert "tfm1 lock --json" in refresh and "tfm1 lock --check" in refresh and "--pip-only" not in refresh
    opener = (ROOT / "scripts" / "open-lock-pr").read_text(encoding="utf-8")
    assert "gh pr create" in opener and "gh pr edit" in opener


def test_apple_silicon_job_covers_every_osx_arm64_profile_on_macos_14_or_newer() -> None:
    job = _load("apple-silicon.yml")["jobs"]["profile"]
    matrix = job["strategy"]["matrix"]
    assert job["runs-on"] == "${{ matrix.runner }}"
    assert matrix["runner"] and all(int(re.fullmatch(r"macos-(\d+)", r)[1]) >= 14 for r in matrix["runner"])  # type: ignore[index]
    assert set(matrix["profile"]) == {p.name for p in list_profiles() if "osx-arm64" in p.platforms}
    script = (ROOT / "scripts" / "mac-profile").read_text(encoding="utf-8")
    assert '"$tfm1" setup --profile "$profile" --prefix "$prefix" --yes' in script
    assert '"$tfm1" verify --prefix "$prefix"' in script
    assert '"$tfm1" doctor --python "$prefix" --deep --save-snapshot' in script  # a fresh profile has no error


@pytest.mark.parametrize("status", ["updated", "refused"])
def test_the_pull_request_body_lists_the_changes(tmp_path: Path, status: str) -> None:
    summary = {
        "ok": status == "updated",
        "profiles": [
            {
                "profile": "metal",
                "status": status,
                "findings": [],
                "changes": {
                    "osx-arm64": {
                        "added": {"optree": "0.20.0"},
                        "removed": {"six": "1.17.0"},
                        "changed": {"numpy": ["2.1.2", "2.1.3"]},
                        "rehashed": [],
                    }
                },
            }
        ],
    }
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    body = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock-summary-markdown"), str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"### metal: {status}" in body
    assert ("NOT written" in body) == (status == "refused")
    assert "| numpy | 2.1.2 | 2.1.3 |" in body and "| optree | | 0.20.0 |" in body and "| six | 1.17.0 | |" in body
