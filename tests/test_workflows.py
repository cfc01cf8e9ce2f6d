"""The GitHub workflows for the people who keep the locks: valid (actionlint, with shellcheck on their shell), on
runners and action versions GitHub still serves (.github/runner-facts.yml, each fact with its dated source), safe to
re-run, and wired to what they are for: a scheduled + manual re-lock that opens a pull request, and every osx-arm64
profile set up and verified on Apple-silicon runners."""

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
SHELL_SCRIPTS = [ROOT / "scripts" / name for name in ("refresh-locks", "open-lock-pr", "mac-profile", "mac-bootstrap")]
RUNNER_FACTS = yaml.safe_load((ROOT / ".github" / "runner-facts.yml").read_text(encoding="utf-8"))


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


# --- runners, actions and re-runs, against .github/runner-facts.yml -------------------------------------------------


def _labels(job: dict[str, Any]) -> list[str]:
    """The runner labels a job may run on: its `runs-on`, with a `${{ matrix.KEY }}` expanded to the matrix values."""
    runs_on = job["runs-on"]
    found = re.fullmatch(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", runs_on) if isinstance(runs_on, str) else None
    if found:
        return [str(label) for label in job["strategy"]["matrix"][found[1]]]
    return [runs_on] if isinstance(runs_on, str) else [str(label) for label in runs_on]


def workflow_problems(workflow: dict[Any, Any]) -> list[str]:
    """What in a workflow GitHub would refuse or break on: a retired, Intel or unknown macOS label, an action below
    its current major, or an upload that a re-run of its job would fail with 409 (a fixed name without overwrite)."""
    retired = {label: entry["source"] for entry in RUNNER_FACTS["retired"] for label in entry["labels"]}
    majors = RUNNER_FACTS["actions_current_major"]
    problems = []
    for name, job in workflow["jobs"].items():
        for label in _labels(job):
            if label in retired:
                problems.append(f"{name}: {label} is retired ({retired[label]})")
            elif label in RUNNER_FACTS["macos_intel"]:
                problems.append(f"{name}: {label} is an Intel Mac")
            elif label.startswith("macos") and label not in RUNNER_FACTS["macos_arm64"]:
                problems.append(f"{name}: {label} is not a known arm64 macOS label")
        for step in job.get("steps", []):
            action, _, ref = step.get("uses", "").partition("@")
            if action in majors:
                major = re.fullmatch(r"v(\d+)(?:\.\d+)*", ref)
                if not major or int(major[1]) < majors[action]:
                    problems.append(f"{name}: {action}@{ref} is older than v{majors[action]}")
            if action == "actions/upload-artifact":
                given = step.get("with", {})
                if given.get("overwrite") is not True and "github.run_attempt" not in str(given.get("name", "")):
                    problems.append(f"{name}: upload {given.get('name')!r} fails a re-run (no overwrite)")
    return problems


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS])
def test_every_workflow_runs_on_current_runners_and_actions_and_survives_a_re_run(workflow: str) -> None:
    assert workflow_problems(_load(workflow)) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "runner: [macos-15, macos-26]",
            "runner: [macos-14, macos-26]",
            "profile: macos-14 is retired (https://github.com/actions/runner-images/issues/13518)",
        ),
        ("runs-on: macos-15\n", "runs-on: macos-15-intel\n", "bootstrap: macos-15-intel is an Intel Mac"),
        ("runs-on: macos-15\n", "runs-on: macos-13\n", "bootstrap: macos-13 is retired"),
        ("runs-on: macos-15\n", "runs-on: macos-16\n", "bootstrap: macos-16 is not a known arm64 macOS label"),
        (
            "          overwrite: true\n",
            "",
            "upload 'reports-${{ matrix.profile }}-${{ matrix.runner }}' fails a re-run",
        ),
        ("actions/checkout@v6", "actions/checkout@v4", "actions/checkout@v4 is older than v6"),
        ("actions/upload-artifact@v7", "actions/upload-artifact@v4", "actions/upload-artifact@v4 is older than v7"),
    ],
    ids=["retired", "intel", "retired-2025", "unknown", "no-overwrite", "old-checkout", "old-upload"],
)
def test_the_workflow_check_fails_on_a_retired_label_an_old_action_or_an_upload_without_overwrite(
    old: str, new: str, problem: str
) -> None:
    text = (ROOT / ".github" / "workflows" / "apple-silicon.yml").read_text(encoding="utf-8")
    assert old in text
    problems = workflow_problems(yaml.safe_load(text.replace(old, new, 1)))
    assert any(problem in found for found in problems), problems


def test_an_upload_named_per_attempt_needs_no_overwrite() -> None:
    text = (ROOT / ".github" / "workflows" / "refresh-locks.yml").read_text(encoding="utf-8")
    text = text.replace("name: lock-summary\n", "name: lock-summary-${{ github.run_attempt }}\n")
    assert (
        workflow_problems(yaml.safe_load(text.replace("          overwrite: true", "          # no overwrite"))) == []
    )


def test_the_readme_names_the_runners_the_workflow_uses() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runners = _load("apple-silicon.yml")["jobs"]["profile"]["strategy"]["matrix"]["runner"]
    assert f"GitHub's hosted arm64 runners ({', '.join(f'`{r}`' for r in runners)})" in readme
    retired = [label for entry in RUNNER_FACTS["retired"] for label in entry["labels"]]
    assert not [label for label in retired if re.search(rf"`{label}`", readme)]


def test_every_job_that_builds_tfm1_on_a_mac_gets_a_pinned_python_first() -> None:
    """scripts/mac-profile and mac-bootstrap make a venv with `python3`: on a Mac without setup-python that can be
    Apple's 3.9, which tfm1's requires-python refuses."""
    for job in _load("apple-silicon.yml")["jobs"].values():
        uses = [step.get("uses", "") for step in job["steps"]]
        runs = [i for i, step in enumerate(job["steps"]) if step.get("run", "").startswith("scripts/mac-")]
        (setup,) = [i for i, used in enumerate(uses) if used.startswith("actions/setup-python@")]
        assert runs and setup < runs[0] and job["steps"][setup]["with"]["python-version"] == "3.12"


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
    # actions: write lets it start the Apple-silicon workflow on the refresh branch (its PR event starts none).
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write", "actions": "write"}
    runs = [step.get("run", "") for step in workflow["jobs"]["lock"]["steps"]]
    assert "scripts/refresh-locks" in runs and any(r.startswith("scripts/open-lock-pr") for r in runs)
    refresh = (ROOT / "scripts" / "refresh-locks").read_text(encoding="utf-8")
    assert "tfm1 lock --json" in refresh and "tfm1 lock --check" in refresh and "--pip-only" not in refresh
    opener = (ROOT / "scripts" / "open-lock-pr").read_text(encoding="utf-8")
    assert "gh pr create" in opener and "gh pr edit" in opener
    assert opener.rstrip().endswith('gh workflow run apple-silicon.yml --ref "$branch"')
    assert "Allow GitHub Actions to create and approve pull requests" in (ROOT / "README.md").read_text()


def test_apple_silicon_job_covers_every_osx_arm64_profile_on_the_current_arm64_images() -> None:
    job = _load("apple-silicon.yml")["jobs"]["profile"]
    matrix = job["strategy"]["matrix"]
    assert job["runs-on"] == "${{ matrix.runner }}"
    assert sorted(matrix["runner"]) == ["macos-15", "macos-26"]
    assert set(matrix["profile"]) == {p.name for p in list_profiles() if "osx-arm64" in p.platforms}
    script = (ROOT / "scripts" / "mac-profile").read_text(encoding="utf-8")
    assert '"$tfm1" setup --profile "$profile" --prefix "$prefix" --yes' in script
    assert '"$tfm1" verify --prefix "$prefix" --expect-gpu "${EXPECT_GPU:-auto}"' in script
    assert job["steps"][2]["env"]["EXPECT_GPU"] == "no"  # hosted runners are VMs without a usable Metal GPU
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


def test_the_gpu_job_runs_only_by_hand_on_a_self_hosted_apple_silicon_runner_expecting_a_gpu() -> None:
    workflow = _load("apple-silicon.yml")
    job = workflow["jobs"]["gpu"]
    assert job["runs-on"] == ["self-hosted", "macOS", "ARM64"]
    assert job["if"] == "github.event_name == 'workflow_dispatch' && inputs.gpu"
    assert workflow[True]["workflow_dispatch"]["inputs"]["gpu"]["default"] is False
    (run,) = [step for step in job["steps"] if "run" in step]
    assert run["env"]["EXPECT_GPU"] == "yes" and run["run"].startswith("scripts/mac-profile ")
    assert set(job["strategy"]["matrix"]["profile"]) == {
        p.name for p in list_profiles() if "osx-arm64" in p.platforms and "tensorflow-metal" in str(p.pins)
    }


def test_the_bootstrap_job_runs_on_changes_to_the_bootstrap() -> None:
    workflow = _load("apple-silicon.yml")
    for event in ("push", "pull_request"):
        assert "bootstrap/**" in workflow[True][event]["paths"]
    (run,) = [step for step in workflow["jobs"]["bootstrap"]["steps"] if "run" in step]
    assert run["run"].startswith("scripts/mac-bootstrap ") and run["env"]["EXPECT_GPU"] == "no"


# A stand-in for every program scripts/mac-bootstrap starts: it logs its name, arguments, HOME and TFM1_PACKAGE, and
# makes what the real program would leave behind (venvs, the wheel, ~/.tfm1/bin/tfm1, the Miniforge's conda).
STUB = r"""#!/bin/sh
name=${0##*/}
{ printf '%s' "$name"; for a in "$@"; do printf '\t%s' "$a"; done
  printf '\tHOME=%s\tTFM1_PACKAGE=%s\n' "$HOME" "${TFM1_PACKAGE:-}"; } >>"$STUB_LOG"
case "$name:$1 ${2:-} ${3:-}" in
    uname:-s*) echo Darwin ;;
    uname:-m*) echo arm64 ;;
    python*:"-m venv "*) mkdir -p "$3/bin" && ln -s "$STUB" "$3/bin/python" ;;
    python:"-m pip wheel") for last in "$@"; do :; done
        while [ "$1" != --wheel-dir ]; do shift; done; mkdir -p "$2" && : >"$2/tfm1-0.1.0-py3-none-any.whl" ;;
    python:"-m pip install") ln -s "$STUB" "${0%/*}/conda-lock" ;;
    sh:bootstrap/install.sh*) mkdir -p "$HOME/.tfm1/bin" "$HOME/miniforge3/bin"
        ln -s "$STUB" "$HOME/.tfm1/bin/tfm1" && ln -s "$STUB" "$HOME/miniforge3/bin/conda" ;;
esac
case "$*" in *"${STUB_FAIL:-no failure}"*) exit 1 ;; esac
"""


def _dry_run_mac_bootstrap(tmp_path: Path, fail: str | None = None) -> tuple[int, list[list[str]], Path]:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    stub = stubs / "stub"
    stub.write_text(STUB)
    stub.chmod(0o755)
    for name in ("uname", "python3", "sh"):
        (stubs / name).symlink_to(stub)
    log, work = tmp_path / "calls.log", tmp_path / "work"
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(tmp_path / "user"), "STUB": str(stub), "STUB_LOG": str(log)}
    if fail:
        env["STUB_FAIL"] = fail
    done = subprocess.run(
        [str(ROOT / "scripts" / "mac-bootstrap"), "metal", str(work)], env=env, capture_output=True, text=True
    )
    calls = [line.split("\t") for line in log.read_text().splitlines() if not line.startswith("uname")]
    return done.returncode, calls, work


def test_the_mac_bootstrap_job_runs_its_steps_in_order(tmp_path: Path) -> None:
    code, calls, work = _dry_run_mac_bootstrap(tmp_path)
    assert code == 0
    home, wheel = f"HOME={work}/home", f"{work}/dist/tfm1-0.1.0-py3-none-any.whl"
    env_prefix, conda_env = f"{work}/home/miniforge3/envs/tfm1", f"{work}/conda-lock-env"
    version = re.search(r'name = "conda-lock"\nversion = "([^"]+)"', (ROOT / "uv.lock").read_text())[1]  # type: ignore[index]
    user = f"HOME={tmp_path}/user"
    assert [call[:-1] for call in calls] == [
        ["python3", "-m", "venv", f"{work}/build", user],
        ["python", "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps", "--wheel-dir",
         f"{work}/dist", str(ROOT), user],
        ["sh", "bootstrap/install.sh", "--yes", "--profile", "metal", "--miniforge-prefix", f"{work}/home/miniforge3",
         "--no-verify", home],
        ["tfm1", "doctor", "--python", env_prefix, home],
        ["tfm1", "verify", "--prefix", env_prefix, "--expect-gpu", "no", "--json", home],
        ["tfm1", "verify", "--prefix", env_prefix, "--expect-gpu", "no", "--quick", home],
        ["python3", "-m", "venv", f"{work}/conda-lock", user],
        ["python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"conda-lock=={version}", user],
        ["conda-lock", "install", "--conda", f"{work}/home/miniforge3/bin/conda", "--prefix", conda_env,
         "envs/metal/conda-lock.yml", user],
        ["tfm1", "verify", "--prefix", conda_env, "--expect-gpu", "no", "--json", home],
        ["tfm1", "verify", "--prefix", conda_env, "--expect-gpu", "no", "--quick", home],
    ]  # fmt: skip
    install = calls[2]
    assert install[-1] == f"TFM1_PACKAGE={wheel}"  # the bootstrap installs the wheel built from the checkout


def test_a_failed_verify_fails_the_mac_bootstrap_job_after_every_step(tmp_path: Path) -> None:
    code, calls, work = _dry_run_mac_bootstrap(tmp_path, fail=f"{tmp_path}/work/home/miniforge3/envs/tfm1 --expect")
    assert code == 1
    assert calls[-1][:3] == ["tfm1", "verify", "--prefix"] and calls[-1][3] == f"{work}/conda-lock-env"
