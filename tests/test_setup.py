"""`tfm1 setup` for real: a conda channel and a package index built at test time, served on 127.0.0.1.

Each test gets its own copy of the channel and index (so it can tamper with them), its own servers, its own
package caches (`TFM1_CACHE_DIR`, `UV_CACHE_DIR`) and runs the real `python -m tfm1` in a subprocess.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.conda_channel import PLACEHOLDER, build_package, host_subdir
from tests.support.pypi_index import make_wheel
from tests.support.setup_world import (
    World,
    assert_no_prefix,
    can_hold,
    hold,
    installers_of,
    json_envelope,
    json_steps,
    release,
    tfm1,
    wait_for,
)

# --- the working path ---------------------------------------------------------------------------------------


def test_setup_creates_a_working_environment_and_a_rerun_is_a_noop(world: World) -> None:
    result = world.setup_process()  # end to end, as a user runs it
    assert result.returncode == 0, result.stderr
    python = world.prefix / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "import sys, tfm1_probe; print(sys.prefix); print(tfm1_probe.VALUE)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == [str(world.prefix), "42"]
    # The placeholder was replaced with the real prefix, in a data file and in a script.
    assert (world.prefix / "share/tfm1-test-data/prefix.txt").read_text() == f"prefix={world.prefix}\n"
    script = subprocess.run([str(world.prefix / "bin/tfm1-test-data-prefix")], capture_output=True, text=True)
    assert script.stdout.strip() == str(world.prefix)
    assert PLACEHOLDER not in (world.prefix / "bin/tfm1-test-data-prefix").read_text()
    # pip came as a noarch: python package and works in the new environment.
    pip = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True, check=True)
    assert str(world.prefix) in pip.stdout
    receipt = json.loads((world.prefix / "etc/tfm1/receipt.json").read_text())
    assert receipt["tfm1_receipt"] == 1
    assert receipt["lockfile"] == str(world.lock)
    assert receipt["platform"] == host_subdir()
    assert receipt["packages"]["tfm1-probe"] == "1.0"
    assert receipt["packages"]["python"] == "{}.{}.{}".format(*sys.version_info[:3])
    assert receipt["prefix"] == str(world.prefix)  # what it was written for: a copy elsewhere authorises nothing
    assert not (world.prefix / "etc/tfm1/building").exists()
    assert sorted(p.name for p in world.prefix.parent.iterdir()) == ["tf"]  # no lock or journal left beside it
    history = (world.prefix / "conda-meta/history").read_text()
    assert "# cmd: tfm1 setup" in history and "::tfm1-test-data-1.0-0" in history

    requests_before = len(world.conda_server.requests) + len(world.pypi_server.requests)
    marker = (world.prefix / "etc/tfm1/receipt.json").stat().st_mtime_ns
    start = time.monotonic()
    again = world.setup_process()
    elapsed = time.monotonic() - start
    assert again.returncode == 0, again.stderr
    assert "already set up" in again.stdout
    assert len(world.conda_server.requests) + len(world.pypi_server.requests) == requests_before
    assert (world.prefix / "etc/tfm1/receipt.json").stat().st_mtime_ns == marker
    assert elapsed < 5  # about a second; generous for a loaded CI machine (benchmarks/bench_setup.py measures)
    # The no-op path reads the receipt and hashes the lockfile: rattler, uv and requests stay unimported.
    command = [sys.executable, "-X", "importtime", "-m", "tfm1", "setup", "--lockfile", str(world.lock)]
    timing = subprocess.run(
        [*command, "--prefix", str(world.prefix), "--yes"], env=world.env, capture_output=True, text=True, check=True
    )
    imported = {line.split("|")[-1].strip().split(".")[0] for line in timing.stderr.splitlines() if "|" in line}
    assert "tfm1" in imported and not imported & {"rattler", "uv", "requests", "yaml"}


def test_pip_layer_falls_back_to_pip(world: World) -> None:
    result = world.setup("--json", TFM1_PIP_INSTALLER="pip")
    assert result.returncode == 0, result.stderr
    steps = json_steps(result.stdout)
    (pip_step,) = [s for s in steps if s["step"] == "pip" and s["status"] == "ok"]
    assert pip_step["installer"] == "pip"
    probe = subprocess.run([str(world.prefix / "bin/python"), "-c", "import tfm1_probe"], capture_output=True)
    assert probe.returncode == 0


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_index_settings_in_the_environment_are_named_and_change_nothing(world: World, installer: str) -> None:
    """A user's mirror settings point nowhere: the lock's files are installed all the same, and the note says so."""
    nowhere = "http://127.0.0.1:9/simple/"
    settings = {"PIP_INDEX_URL": nowhere, "UV_INDEX_URL": nowhere, "UV_FIND_LINKS": str(world.tmp / "elsewhere")}
    result = world.setup(TFM1_PIP_INSTALLER=installer, **settings)
    assert result.returncode == 0, result.stderr
    note = "note: PIP_INDEX_URL, UV_INDEX_URL, UV_FIND_LINKS are set; tfm1 setup leaves them out: setup installs only"
    assert note in result.stderr
    assert "note:" not in world.setup("--force", TFM1_PIP_INSTALLER=installer).stderr


def test_json_mode_prints_one_object_per_step(world: World) -> None:
    result = world.setup("--json")
    assert result.returncode == 0, result.stderr
    steps = json_steps(result.stdout)
    assert all(set(s) >= {"step", "status"} for s in steps)
    names = [s["step"] for s in steps if s["status"] == "ok"]
    assert names == ["lockfile", "preflight", "plan", "conda", "pip", "receipt", "kernel"]
    plan = next(s for s in steps if s["step"] == "plan")
    assert plan["prefix"] == str(world.prefix) and plan["conda_packages"] == 3 and plan["pip_packages"] == 1
    # Sizes are asked only of the lock's channel; the wheel's server is another host (see test_setup_safety.py).
    assert plan["download_bytes"] == sum(p.path.stat().st_size for p in world.channel.packages)
    assert plan["unknown_sizes"] == 1
    assert plan["sizes_not_asked_of"] == [world.pypi_server.url.removeprefix("http://")]
    envelope = json_envelope(result.stdout)
    assert (envelope["command"], envelope["ok"], envelope["error"]) == ("setup", True, None)
    assert envelope["result"] == {
        "action": "installed",
        "prefix": str(world.prefix),
        "python": str(world.prefix / "bin" / "python"),
        "activate": f"conda activate {world.prefix}",
        "shell_hint": None,
        "verified": None,
    }


def test_dry_run_prints_the_plan_and_changes_nothing(world: World) -> None:
    result = world.setup("--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Plan" in result.stdout and str(world.prefix) in result.stdout
    size = sum(p.path.stat().st_size for p in world.channel.packages)
    assert f"3 conda packages and 1 wheels, {size / 1e6:.1f} MB + 1 files of unknown size" in result.stdout
    assert "dry run" in result.stdout
    assert not world.prefix.exists()
    assert world.prefix.parent.exists() is False


def test_step_lines_print_paths_as_they_are_and_colour_only_when_asked(world: World) -> None:
    prefix = world.tmp / "envs" / "[red]tf[/red]"  # rich markup, were the lines read as markup
    env = {k: v for k, v in world.env.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TERM")}
    plain = tfm1("setup", "--lockfile", str(world.lock), "--prefix", str(prefix), "--dry-run", env=env)
    assert plain.returncode == 0, plain.stderr
    assert f"environment   {prefix}" in plain.stdout and "\x1b[" not in plain.stdout  # a pipe gets no escapes
    coloured = tfm1(
        "setup", "--lockfile", str(world.lock), "--prefix", str(prefix), "--dry-run", env={**env, "FORCE_COLOR": "1"}
    )
    assert "\x1b[1mPlan\x1b[0m" in coloured.stdout and f"environment   {prefix}" in coloured.stdout
    assert "\x1b[2m·\x1b[0m dry run: nothing was changed" in coloured.stdout
    muted = tfm1(
        "setup",
        *("--lockfile", str(world.lock), "--prefix", str(prefix), "--dry-run"),
        env={**env, "FORCE_COLOR": "1", "NO_COLOR": "1"},
    )
    assert muted.stdout == plain.stdout


def test_a_changed_lock_needs_update_which_rebuilds(world: World) -> None:
    assert world.setup().returncode == 0
    world.index.add_wheel(make_wheel(world.tmp / "wheels2", "tfm1-extra", "2.0", value="extra"))
    world.write_lock()
    refused = world.setup()
    assert refused.returncode == 1
    assert "different lockfile" in refused.stderr and "--update" in refused.stderr
    assert not list(world.prefix.glob("lib/python*/site-packages/tfm1_extra"))  # the refused run changed nothing
    updated = world.setup("--update")
    assert updated.returncode == 0, updated.stderr
    probe = subprocess.run(
        [str(world.prefix / "bin/python"), "-c", "import tfm1_extra; print(tfm1_extra.VALUE)"],
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "extra"
    receipt = json.loads((world.prefix / "etc/tfm1/receipt.json").read_text())
    assert receipt["packages"]["tfm1-extra"] == "2.0"
    assert sorted(p.name for p in world.prefix.parent.iterdir()) == ["tf"]  # the old one is gone, not kept aside


def test_a_retried_download_succeeds(world: World) -> None:
    world.conda_server.fault(world.conda_path("pip"), "drop-once")
    result = world.setup()
    assert result.returncode == 0, result.stderr
    assert world.conda_server.requests.count(world.conda_path("pip")) >= 2


# --- faults: each a clear message, a non-zero exit and no partial prefix ---------------------------------


def test_tampered_conda_package(world: World) -> None:
    original = world.channel.package("tfm1-test-data")
    # Same file name, different content: what a compromised mirror serves.
    build_package(
        world.tmp / "evil", "tfm1-test-data", "1.0", files={"share/tfm1-test-data/prefix.txt": "evil\n"}
    ).path.replace(original.path)
    result = world.setup()
    assert result.returncode == 1
    assert f"download of {world.conda_server.url}{world.conda_path('tfm1-test-data')} failed" in result.stderr
    assert f"sha256 mismatch: expected {original.sha256}" in result.stderr
    # Downloads start with the plan, so the mismatch may stop the run before the prefix is made or after it:
    # either way the run says which, and leaves nothing.
    undone = {"Nothing was changed.", f"Rolled back: removed {world.prefix}."}
    assert len([said for said in undone if said in result.stderr]) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert_no_prefix(world)
    assert not world.prefix.parent.exists()  # made for the run (for its lock), removed when it ended


def test_a_failure_after_the_prefix_was_made_removes_it(world: World) -> None:
    # The pip step fails (an unknown installer is refused only there), after the conda layer filled the prefix.
    result = world.setup("--json", TFM1_PIP_INSTALLER="no-such-installer")
    assert result.returncode == 2
    steps = json_steps(result.stdout)
    assert [s["step"] for s in steps if s["status"] == "ok"][-1] == "conda"
    assert "TFM1_PIP_INSTALLER='no-such-installer' is not one of" in result.stderr
    assert f"Rolled back: removed {world.prefix}." in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_prefix(world)
    assert not world.prefix.parent.exists()  # made for the run (for its lock), removed when it ended


def test_tampered_wheel(world: World) -> None:
    evil = make_wheel(world.tmp / "evil", "tfm1-probe", "1.0", value="evil")
    evil.replace(world.index.wheels[0])
    result = world.setup()
    assert result.returncode == 1
    assert f"download of {world.pypi_server.url}{world.wheel_path()} failed: sha256 mismatch" in result.stderr
    assert "failed" not in result.stdout and "✗" not in result.stdout  # said once, by the error on stderr
    assert "Traceback" not in result.stderr
    assert_no_prefix(world)


def test_tampered_wheel_with_pip(world: World) -> None:
    make_wheel(world.tmp / "evil", "tfm1-probe", "1.0", value="evil").replace(world.index.wheels[0])
    result = world.setup(TFM1_PIP_INSTALLER="pip")
    assert result.returncode == 1
    assert f"download of {world.pypi_server.url}{world.wheel_path()} failed: sha256 mismatch" in result.stderr
    assert_no_prefix(world)


def test_server_drops_the_connection(world: World) -> None:
    path = world.conda_path("pip")
    world.conda_server.fault(path, "drop")
    result = world.setup()
    assert result.returncode == 1
    assert f"download of {world.conda_server.url}{path} failed: connection dropped" in result.stderr
    assert world.conda_server.requests.count(path) >= 2  # retried before giving up
    assert_no_prefix(world)


def test_wheel_server_drops_the_connection(world: World) -> None:
    world.pypi_server.fault(world.wheel_path(), "drop")
    result = world.setup()
    assert result.returncode == 1
    assert f"download of {world.pypi_server.url}{world.wheel_path()} failed: connection dropped" in result.stderr
    assert_no_prefix(world)


def test_404(world: World) -> None:
    world.conda_server.fault(world.conda_path("tfm1-test-data"), "404")
    result = world.setup()
    assert result.returncode == 1
    assert "404" in result.stderr
    assert world.conda_server.url in result.stderr  # the URL that failed
    assert_no_prefix(world)


@pytest.mark.parametrize(
    ("step", "signum"),
    [("pip", signal.SIGINT), ("conda", signal.SIGINT), ("conda", signal.SIGTERM)],
    ids=["sigint-pip", "sigint-conda", "sigterm-conda"],
)
def test_interrupt_during_install_rolls_back(world: World, step: str, signum: signal.Signals) -> None:
    if step == "pip":
        # uv installs the wheel in a moment; pip takes a second or more for a large one: the step to interrupt.
        make_wheel(world.tmp / "big", "tfm1-probe", "1.0", value="x" * 400_000).replace(world.index.wheels[0])
        world.write_lock()
        process = world.start_setup(TFM1_PIP_INSTALLER="pip")
        wait_for(lambda: world.current_step() == "pip" and installers_of(world.prefix) != [], "pip installing")
    else:
        path = world.conda_path("pip")  # ~1.7 MB: ~40 s at the slow rate
        world.conda_server.fault(path, "slow")
        process = world.start_setup()
        wait_for(lambda: path in world.conda_server.requests, "the slow download")
        world.wait_for_step(step)  # the run waits for the slow package there, the others linked as they came
        time.sleep(0.2)
    assert world.prefix.is_dir()  # the run has started writing: there is something to undo
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"interrupted during the {step} step" in stderr and f"removed {world.prefix}" in stderr
    assert "Traceback" not in stderr
    time.sleep(0.5)  # nothing may reappear after the rollback (no straggling writer)
    assert_no_prefix(world)


def test_existing_prefix_without_receipt_is_refused(world: World) -> None:
    world.prefix.mkdir(parents=True)
    (world.prefix / "precious.txt").write_text("mine")
    result = world.setup()
    assert result.returncode == 1
    assert "not made by tfm1" in result.stderr and "--force" in result.stderr
    assert (world.prefix / "precious.txt").read_text() == "mine"
    assert sorted(p.name for p in world.prefix.iterdir()) == ["precious.txt"]


def test_force_replaces_a_foreign_prefix_and_restores_it_on_failure(world: World) -> None:
    world.prefix.mkdir(parents=True)
    (world.prefix / "precious.txt").write_text("mine")
    # A failure in the pip step, after the foreign prefix was moved aside. (Not a failed download: downloads start
    # with the plan, so one may fail before anything is moved.)
    failed = world.setup("--force", TFM1_PIP_INSTALLER="no-such-installer")
    assert failed.returncode == 2
    assert f"restored {world.prefix}" in failed.stderr
    assert sorted(p.name for p in world.prefix.iterdir()) == ["precious.txt"]
    assert sorted(p.name for p in world.prefix.parent.iterdir()) == ["tf"]
    replaced = world.setup("--force")
    assert replaced.returncode == 0, replaced.stderr
    assert not (world.prefix / "precious.txt").exists() and (world.prefix / "etc/tfm1/receipt.json").is_file()
    assert sorted(p.name for p in world.prefix.parent.iterdir()) == ["tf"]


def test_lock_without_the_host_platform(world: World) -> None:
    world.write_lock(platform="osx-arm64" if host_subdir() != "osx-arm64" else "linux-64")
    result = world.setup()
    assert result.returncode == 2
    assert f"no packages for this machine's platform {host_subdir()}" in result.stderr
    assert "\n  fix: " in result.stderr
    assert result.stdout == ""  # people get the one error line, nothing else
    assert not world.prefix.exists()
    as_json = world.setup("--json")
    assert as_json.returncode == 2
    last = json_envelope(as_json.stdout)
    assert (last["command"], last["ok"], last["result"], last["error"]["exit_code"]) == ("setup", False, None, 2)
    assert host_subdir() in last["error"]["message"] and last["error"]["fix"]


@pytest.mark.parametrize(
    "content",
    ["version: 1\npackage: [\n", "not: a lockfile\n", "", "version: 1\nmetadata: {}\npackage:\n- name: x\n"],
)
def test_corrupt_lockfile(world: World, content: str) -> None:
    world.lock.write_text(content)
    result = world.setup()
    assert result.returncode == 2
    assert "is not a readable conda-lock lockfile" in result.stderr
    assert "Traceback" not in result.stderr
    assert not world.prefix.exists()


def test_missing_lockfile(world: World) -> None:
    result = tfm1(
        "setup", "--lockfile", str(world.tmp / "nope.yml"), "--prefix", str(world.prefix), "--yes", env=world.env
    )
    assert result.returncode == 2
    assert "cannot read lockfile" in result.stderr


# --- remove ------------------------------------------------------------------------------------------------


def test_remove_deletes_only_environments_with_a_receipt(world: World) -> None:
    assert world.setup().returncode == 0
    foreign = world.tmp / "envs" / "foreign"
    foreign.mkdir()
    (foreign / "conda-meta").mkdir()
    refused = tfm1("remove", "--prefix", str(foreign), "--yes", env=world.env)
    assert refused.returncode == 1 and "no receipt" in refused.stderr
    assert foreign.is_dir()
    removed = tfm1("remove", "--prefix", str(world.prefix), "--yes", "--json", env=world.env)
    assert removed.returncode == 0, removed.stderr
    assert json_steps(removed.stdout)[-1] == {
        "step": "remove",
        "status": "ok",
        "message": f"removed {world.prefix}",
        "prefix": str(world.prefix),
    }
    assert json_envelope(removed.stdout) == {
        "command": "remove",
        "ok": True,
        "result": {"prefix": str(world.prefix), "action": "removed"},
        "error": None,
    }
    assert sorted(p.name for p in world.prefix.parent.iterdir()) == ["foreign"]


def test_setup_runs_verify_and_keeps_an_environment_that_fails_it(world: World) -> None:
    # The test environment has no TensorFlow, so the smoke test must fail, and say so, after a complete install.
    command = ["setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix), "--yes", "--json"]
    result = tfm1(*command, env=world.env)
    assert result.returncode == 1, result.stderr
    steps = json_steps(result.stdout)
    verify = [s for s in steps if s["step"] == "verify"]
    assert verify and verify[0]["status"] == "failed" and verify[0]["result"]["ok"] is False
    assert "failed verification" in verify[-1]["message"]
    assert (world.prefix / "etc/tfm1/receipt.json").is_file()  # installed completely; only the smoke test failed
    envelope = json_envelope(result.stdout)
    assert (envelope["ok"], envelope["error"], envelope["result"]["verified"]) == (False, None, False)


def run_on_a_terminal(world: World, typed: bytes, **env: str) -> subprocess.CompletedProcess[str]:
    """`tfm1 setup` (no --yes) with a pseudo-terminal as stdin, `typed` already waiting in it."""
    import os

    master, slave = os.openpty()
    try:
        os.write(master, typed)
        command = ["setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix), "--no-verify"]
        return subprocess.run(
            [sys.executable, "-m", "tfm1", *command],
            stdin=slave,
            capture_output=True,
            text=True,
            env={**world.env, **env},
            timeout=120,
            check=False,
        )
    finally:
        os.close(master)
        os.close(slave)


def test_a_terminal_is_asked_before_anything_changes(world: World) -> None:
    cancelled = run_on_a_terminal(world, b"n\n")
    assert "Proceed?" in cancelled.stderr
    assert cancelled.returncode == 1 and "cancelled: nothing was changed" in cancelled.stdout
    assert not world.prefix.exists()
    for variable in ("NONINTERACTIVE", "CI"):
        unattended = run_on_a_terminal(world, b"", **{variable: "1"})
        assert unattended.returncode == 0, unattended.stderr
        assert "Proceed?" not in unattended.stderr
        assert "Plan" in unattended.stdout and (world.prefix / "etc/tfm1/receipt.json").is_file()
        shutil.rmtree(world.prefix)  # so the next variable is checked on a fresh install, not a no-op


# --- files the rollback or remove cannot delete, and a reader that goes away ------------------------------


def test_interrupted_force_with_an_undeletable_file_still_restores_the_old_prefix(world: World) -> None:
    can_hold(world.tmp)
    world.prefix.mkdir(parents=True)
    (world.prefix / "precious.txt").write_text("mine")
    world.conda_server.fault(world.conda_path("pip"), "slow")  # the run stays in its conda step
    linked = world.prefix / "share" / "tfm1-test-data" / "prefix.txt"  # a file of a package linked as it came
    process = world.start_setup("--force")
    try:
        wait_for(lambda: world.current_step() == "conda" and linked.is_file(), "a package linked in the conda step")
        hold(linked)  # a file of the new environment
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        failed = world.prefix.with_name(f"{world.prefix.name}.tfm1-failed-{process.pid}")
        assert process.returncode == 130, stderr
        assert stderr.startswith("tfm1: error: setup interrupted during the conda step; rolled back: restored ")
        assert f"could not remove {world.prefix} (" in stderr and f"what is left of it is at {failed}" in stderr
        assert f"  fix: delete {failed} yourself" in stderr
        assert "Traceback" not in stderr and "nothing was changed" not in stderr
        assert len(stderr.strip().splitlines()) == 2
        assert sorted(p.name for p in world.prefix.iterdir()) == ["precious.txt"]
        assert sorted(p.name for p in world.prefix.parent.iterdir()) == ["tf", failed.name]
    finally:
        process.kill()
        release(world.tmp / "envs")


def test_remove_with_an_undeletable_file_is_one_line(world: World) -> None:
    can_hold(world.tmp)
    assert world.setup().returncode == 0
    hold(world.prefix / "share" / "tfm1-test-data" / "prefix.txt")
    try:
        result = tfm1("remove", "--prefix", str(world.prefix), "--yes", env=world.env)
        leftover, journal = sorted(world.prefix.parent.iterdir(), key=lambda p: p.name.startswith("."))
        assert result.returncode == 1, result.stderr
        assert leftover.name.startswith("tf.tfm1-removing-") and journal.name == ".tf.tfm1-journal"
        assert result.stderr.startswith(f"tfm1: error: could not delete all of {world.prefix}: ")
        assert (
            f"what is left is at {leftover}" in result.stderr and f"  fix: delete {leftover} yourself" in result.stderr
        )
        assert len(result.stderr.strip().splitlines()) == 2 and "Traceback" not in result.stderr
    finally:
        release(world.tmp / "envs")
    # Once the file can go, the next remove of that path finishes the job (the journal says where it was).
    again = tfm1("remove", "--prefix", str(world.prefix), "--yes", env=world.env)
    assert f"finished removing {world.prefix}" in again.stdout, again.stdout + again.stderr
    assert list(world.prefix.parent.iterdir()) == []


def test_a_reader_that_goes_away_does_not_undo_the_install(world: World) -> None:
    process = world.start_setup("--json")
    assert process.stdout is not None and process.stderr is not None
    first = json.loads(process.stdout.readline())
    process.stdout.close()  # `| head -1`: every later step is written to a closed pipe
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 0, stderr
    assert first["step"] == "lockfile"
    assert (world.prefix / "etc/tfm1/receipt.json").is_file()
    assert "Traceback" not in stderr and stderr == ""


def test_remove_and_setup_refuse_the_same_names(world: World) -> None:
    for name in ("base", "a/b", "-x", "sp ace", ".hidden"):
        remove = tfm1("remove", f"--name={name}", "--yes", env=world.env)
        setup = tfm1("setup", f"--name={name}", "--lockfile", str(world.lock), "--dry-run", env=world.env)
        for result in (remove, setup):
            assert result.returncode == 2, (name, result.stderr)
            assert f"--name {name!r} is not a usable environment name" in result.stderr


def test_downloads_are_cached_under_xdg_cache_home(world: World) -> None:
    del world.env["TFM1_CACHE_DIR"]
    world.env["XDG_CACHE_HOME"] = str(world.tmp / "xdg")
    assert world.setup().returncode == 0
    cached = {str(p.relative_to(world.tmp / "xdg/tfm1")) for p in (world.tmp / "xdg/tfm1").rglob("*") if p.is_file()}
    wanted = [(p.sha256, p.filename) for p in world.channel.packages]
    wanted += [(lock.sha256, lock.url.rsplit("/", 1)[1]) for lock in world.index.locks(world.pypi_server.url)]
    assert cached == {f"downloads/{sha256}/{name}" for sha256, name in wanted}


def test_setup_called_in_process_returns(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfm1.cli import main

    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    code = main(["setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix), "--dry-run"])
    assert code == 0
    assert "rattler" in sys.modules  # the dry run read the lockfile with rattler, and still came back here
    assert not world.prefix.exists()


def test_setup_links_with_a_low_open_files_limit(world: World) -> None:
    """A shell with a low `ulimit -n` (macOS starts at 256): setup raises its soft limit before rattler runs. With 14
    open files rattler fails ("Too many open files (os error 24)" opening its package cache) unless it is raised."""
    soft, hard = 14, resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    command = ["setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix), "--yes", "--no-verify"]
    result = subprocess.run(
        [sys.executable, "-m", "tfm1", *command],
        env=world.env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=low_limit,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (world.prefix / "etc" / "tfm1" / "receipt.json").is_file()


def _profile(envs: Path, name: str, platform: str) -> None:
    (envs / name).mkdir(parents=True)
    (envs / name / "environment.yml").write_text(
        f"name: {name}\ndescription: a test profile\nchannels: [conda-forge]\nplatforms: [{platform}]\n"
        "dependencies:\n  - python=3.12\n  - pip\n",
        encoding="utf-8",
    )


def test_a_profile_for_another_platform_names_the_profiles_that_fit(tmp_path: Path) -> None:
    from tfm1.profiles import PLATFORM_NAMES

    here = host_subdir()
    other = "osx-arm64" if here != "osx-arm64" else "linux-64"
    _profile(tmp_path / "envs", "metal", other)  # ./envs is the profiles folder when it holds profiles
    _profile(tmp_path / "envs", "cpu", here)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "VIRTUAL_ENV"))}
    result = tfm1("setup", "--dry-run", env={**env, "HOME": str(tmp_path / "home")}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"tfm1: error: profile metal is for {PLATFORM_NAMES[other]} ({other}), not for this machine: "
        f"{PLATFORM_NAMES.get(here, here)} ({here}).",
        "  fix: choose one made for this machine: tfm1 setup --profile cpu",
    ]
    assert result.stdout == "" and not (tmp_path / "home").exists()


def test_a_dry_run_says_which_servers_it_could_not_reach(world: World) -> None:
    unreachable = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused at once
    world.lock.write_text(world.lock.read_text().replace(world.conda_server.url, unreachable))
    result = world.setup("--dry-run")
    assert result.returncode == 0, result.stderr
    assert "files of unknown size" in result.stdout
    assert "could not reach 127.0.0.1:9: the install downloads from there" in result.stdout
    plan = next(json.loads(line) for line in world.setup("--dry-run", "--json").stdout.splitlines() if '"plan"' in line)
    assert plan["unreachable"] == ["127.0.0.1:9"]
