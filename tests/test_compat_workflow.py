"""The workflow that keeps the compatibility data current (.github/workflows/compat-update.yml) and its scripts:
valid (actionlint with shellcheck, shellcheck on the scripts), wired as the design says, and the pull-request and
confirmation scripts dry-run against a local git remote with `gh` and `python3 -m uv` stood in for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "compat-update.yml"
SCRIPTS = [ROOT / "scripts" / name for name in ("compat-update", "open-compat-pr", "compat-confirm")]
BIN = Path(sys.executable).parent
BRANCH = "tfm1/compat-update"
WAITING = " (waiting for the Apple-silicon workflow)"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a dev dependency; run `uv sync`"
    return found


def _workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_actionlint_and_shellcheck_pass() -> None:
    lint = subprocess.run(
        [_tool("actionlint"), "-shellcheck", _tool("shellcheck"), str(WORKFLOW)], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    for script in SCRIPTS:
        assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n") and script.stat().st_mode & 0o111
    check = subprocess.run([_tool("shellcheck"), "--shell=sh", *map(str, SCRIPTS)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_it_runs_weekly_by_hand_and_after_the_apple_silicon_workflow_on_its_branch() -> None:
    workflow = _workflow()
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert triggers["workflow_run"] == {"workflows": ["Apple silicon"], "types": ["completed"], "branches": [BRANCH]}
    apple = yaml.safe_load((ROOT / ".github" / "workflows" / "apple-silicon.yml").read_text(encoding="utf-8"))
    assert apple["name"] == "Apple silicon"  # the name workflow_run matches
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write", "actions": "write"}
    update, confirm = workflow["jobs"]["update"], workflow["jobs"]["confirm"]
    assert update["if"] == "github.event_name != 'workflow_run'"
    assert (
        "conclusion == 'success'" in confirm["if"] and "head_repository.full_name == github.repository" in confirm["if"]
    )
    runs = [step.get("run", "") for step in update["steps"]]
    assert runs.index("scripts/compat-confirm") < runs.index("scripts/compat-update")
    assert "scripts/open-compat-pr compat-summary.json" in runs
    assert [s.get("run") for s in confirm["steps"] if "run" in s] == ["scripts/compat-confirm"]


def test_it_uses_the_current_runner_and_action_majors_and_uploads_that_survive_a_re_run() -> None:
    """ubuntu-24.04, checkout and setup-python v6, upload-artifact v7 (each action's releases, checked 2026-12-05:
    checkout 6.0.2, setup-python 6.2.0, upload-artifact 7.0.1 of 2026-04-10, all on Node 24)."""
    majors = {"actions/checkout": "v6", "actions/setup-python": "v6", "actions/upload-artifact": "v7"}
    for job in _workflow()["jobs"].values():
        assert job["runs-on"] == "ubuntu-24.04"
        for step in job["steps"]:
            action, _, ref = step.get("uses", "@").partition("@")
            if action:
                assert majors[action] == ref, step
            if action == "actions/upload-artifact":
                assert step["with"]["overwrite"] is True


def test_the_scripts_run_tfm1_as_the_design_says() -> None:
    update = (ROOT / "scripts" / "compat-update").read_text(encoding="utf-8")
    assert "tfm1 compat update --json" in update and "tfm1 compat page --check" in update
    assert "tfm1 lock --check" in update
    confirm = (ROOT / "scripts" / "compat-confirm").read_text(encoding="utf-8")
    assert 'tfm1 compat confirm --run "$run" --commit "$head"' in confirm
    assert "--workflow apple-silicon.yml" in confirm and '--commit "$head" --status success' in confirm


# --- dry runs: a bare repository as origin, gh and `python3 -m uv` stood in for ----------------------------------

STUB = r"""#!/bin/sh
name=${0##*/}
{ printf '%s' "$name"; for a in "$@"; do printf '\t%s' "$(printf '%s' "$a" | tr '\n' '\r')"; done
  printf '\n'; } >>"$STUB_LOG"
case "$name $*" in
    "gh run list"*) printf '%s\n' "${STUB_RUN:-}" ;;
    "gh pr view"*"--jq .state") printf '%s\n' "${STUB_PR_STATE:-}" ;;
    "gh pr view"*"--jq .title") printf '%s\n' "$STUB_PR_TITLE" ;;
    "python3 -m uv"*) ;;
    python3*) exec "$REAL_PYTHON" "$@" ;;
esac
"""


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-12-05T00:00:00", "GIT_COMMITTER_DATE": "2026-12-05T00:00:00"}
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=env).stdout


def _repository(tmp_path: Path) -> tuple[Path, Path]:
    """A clone whose origin is a bare repository with a main branch holding the scripts and the data files."""
    origin, clone = tmp_path / "origin.git", tmp_path / "clone"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    _git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    for path in ("scripts", "src/tfm1", "docs", "envs/metal"):
        (clone / path).mkdir(parents=True, exist_ok=True)
    for script in [*SCRIPTS, ROOT / "scripts" / "compat-summary-markdown"]:
        shutil.copy2(script, clone / "scripts" / script.name)
    for name in ("compat_found.py", "compat_found_pairs.py"):
        shutil.copy2(ROOT / "src" / "tfm1" / name, clone / "src" / "tfm1" / name)
    shutil.copy2(ROOT / "envs" / "metal" / "environment.yml", clone / "envs" / "metal" / "environment.yml")
    (clone / "docs" / "compatibility.md").write_text("# table\n")
    _git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "main")
    _git(clone, "push", "--quiet", "origin", "main")
    return origin, clone


def _run(clone: Path, tmp_path: Path, script: str, *args: str, **stub: str) -> tuple[int, list[list[str]], str]:
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    for name in ("gh", "python3"):
        (stubs / name).write_text(STUB)
        (stubs / name).chmod(0o755)
    log = tmp_path / "calls.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "STUB_LOG": str(log), "REAL_PYTHON": sys.executable}
    env.update({f"STUB_{k.upper()}": v for k, v in stub.items()})
    done = subprocess.run([str(clone / "scripts" / script), *args], cwd=clone, env=env, capture_output=True, text=True)
    lines = log.read_bytes().decode().split("\n")[:-1] if log.exists() else []
    calls = [[arg.replace("\r", "\n") for arg in line.split("\t")] for line in lines]  # the stub logs newlines as CR
    return done.returncode, calls, done.stdout + done.stderr


def _summary(path: Path, evidence: str, bump: bool) -> Path:
    row = {"tensorflow": "2.19.1", "tensorflow_metal": "1.3.0", "status": "works", "reason": "r", "error": "",
           "evidence": {"python": "3.12"}}  # fmt: skip
    summary = {
        "ok": True, "changed": True, "index": "https://pypi.org/simple/", "proven": [row], "metal_added": [],
        "tensorflow_releases_added": [], "python_tags": [], "superseded": [], "left": [],
        "default": {"profile": "metal", "tensorflow": "2.19.1", "tensorflow_metal": "1.3.0", "evidence": evidence},
        "bump": {"profile": "metal", "ok": True, "problems": [],
                 "before": {"tensorflow": "2.19.1", "tensorflow_metal": "1.2.0", "python": "3.12"},
                 "after": {"tensorflow": "2.19.1", "tensorflow_metal": "1.3.0", "python": "3.12"}} if bump else None,
    }  # fmt: skip
    path.write_text(json.dumps(summary))
    return path


def test_nothing_written_opens_no_pull_request(tmp_path: Path) -> None:
    _, clone = _repository(tmp_path)
    code, calls, out = _run(clone, tmp_path, "open-compat-pr", str(_summary(tmp_path / "s.json", "report", False)))
    assert code == 0, out
    assert "The compatibility data is current: no pull request." in out
    assert [c for c in calls if c[0] == "gh"] == []


def test_a_bump_opens_a_pull_request_marked_as_waiting_and_starts_the_apple_silicon_workflow(tmp_path: Path) -> None:
    origin, clone = _repository(tmp_path)
    _git(clone, "switch", "--quiet", "-c", BRANCH)
    environment = clone / "envs" / "metal" / "environment.yml"
    environment.write_text(environment.read_text().replace("tensorflow-metal==1.2.0", "tensorflow-metal==1.3.0"))
    summary = _summary(tmp_path / "s.json", "binaries", True)
    code, calls, out = _run(clone, tmp_path, "open-compat-pr", str(summary))
    assert code == 0, out
    gh = [c[1:] for c in calls if c[0] == "gh"]
    (create,) = [c for c in gh if c[:2] == ["pr", "create"]]
    title = create[create.index("--title") + 1]
    body = create[create.index("--body") + 1]
    assert title.endswith(WAITING) and "Waiting for the Apple-silicon workflow" in body
    assert "| 2.19.1 | 1.3.0 | 3.12 | works |" in body
    assert ["pr", "ready", BRANCH, "--undo"] in gh
    assert gh[-1] == ["workflow", "run", "apple-silicon.yml", "--ref", BRANCH]
    pushed = _git(origin, "show", f"{BRANCH}:envs/metal/environment.yml")
    assert "tensorflow-metal==1.3.0" in pushed
    # The same state again: nothing to push, the pull request and the Mac job are left alone.
    _git(clone, "fetch", "--quiet", "origin")
    code, calls, out = _run(clone, tmp_path, "open-compat-pr", str(summary), pr_state="OPEN")
    assert code == 0 and "Nothing new since the last run" in out and not [c for c in calls if c[0] == "gh"]


def test_confirm_records_a_pass_on_the_branch_head_and_lifts_the_mark(tmp_path: Path) -> None:
    _, clone = _repository(tmp_path)
    _git(clone, "push", "--quiet", "origin", f"main:{BRANCH}")
    head = _git(clone, "rev-parse", "HEAD").strip()
    run = "https://github.com/o/r/actions/runs/7"
    code, calls, out = _run(
        clone, tmp_path, "compat-confirm", run=run, pr_state="OPEN", pr_title=f"Compatibility data{WAITING}"
    )
    assert code == 0, out
    listed = next(c for c in calls if c[:3] == ["gh", "run", "list"])
    assert listed[listed.index("--commit") + 1] == head and listed[listed.index("--branch") + 1] == BRANCH
    confirmed = next(c for c in calls if c[:3] == ["python3", "-m", "uv"] and "confirm" in c)
    assert confirmed[-4:] == ["--run", run, "--commit", head]
    assert ["gh", "pr", "edit", BRANCH, "--title", "Compatibility data"] in calls
    assert ["gh", "pr", "ready", BRANCH] in calls


def test_confirm_does_nothing_before_the_mac_job_passed(tmp_path: Path) -> None:
    _, clone = _repository(tmp_path)
    code, calls, out = _run(clone, tmp_path, "compat-confirm")
    assert code == 0 and "No tfm1/compat-update branch: nothing to confirm." in out and calls == []
    _git(clone, "push", "--quiet", "origin", f"main:{BRANCH}")
    code, calls, out = _run(clone, tmp_path, "compat-confirm", run="")
    assert code == 0 and "has not passed" in out
    assert [c[:3] for c in calls] == [["gh", "run", "list"]]


@pytest.mark.parametrize("evidence", ["report", "mac-job"])
def test_the_body_says_what_vouches_for_the_default_pair(tmp_path: Path, evidence: str) -> None:
    body = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "compat-summary-markdown"),
            str(_summary(tmp_path / "s.json", evidence, False)),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Waiting" not in body and "its evidence:" in body
