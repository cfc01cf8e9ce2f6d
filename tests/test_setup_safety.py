"""What no flag, receipt, second run or kill may make setup and remove do: real runs, real signals, real files.

Concurrent setups on one prefix, a receipt copied into another folder, protected folders, SIGKILL in the middle
of an `--update`, and Ctrl-C while the replaced environment is being deleted.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import one_error
from tests.support.pypi_index import make_wheel
from tests.support.setup_world import (
    World,
    can_hold,
    hold,
    installers_of,
    release,
    running,
    setup_and_remove,
    slow_conda_package,
    tfm1,
    wait_for,
)


def _bigger_wheel(world: World) -> None:
    """A new lock whose wheel takes pip a second or more to install."""
    make_wheel(world.tmp / "big", "tfm1-probe", "1.0", value="x" * 400_000).replace(world.index.wheels[0])
    world.write_lock()


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _receipt(world: World, prefix: Path) -> Path:
    """A copy of a genuine receipt (from a real setup into `world.prefix`) placed in `prefix`."""
    copy = prefix / "etc" / "tfm1" / "receipt.json"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text((world.prefix / "etc/tfm1/receipt.json").read_text())
    return copy


# --- item: two runs on one prefix ----------------------------------------------------------------------------


def test_a_second_setup_or_remove_on_a_busy_prefix_stops_and_touches_nothing(world: World) -> None:
    world.prefix.mkdir(parents=True)
    (world.prefix / "precious.txt").write_text("mine")
    slow_conda_package(world, 100_000)  # a few seconds: the other runs, in this process, take well under one
    first = world.start_setup("--force")
    try:
        world.wait_for_step("conda")  # the old environment is aside and the new one being made
        aside = world.prefix.with_name(f"tf.tfm1-old-{first.pid}")
        second = world.setup("--force")
        removal = tfm1("remove", "--prefix", str(world.prefix), "--yes", env=world.env)
        for refused in (second, removal):
            assert refused.returncode == 1, refused.stderr
            assert f"another tfm1 setup is running on {world.prefix} (pid {first.pid})" in refused.stderr
            one_error(refused.stderr)
        assert (aside / "precious.txt").read_text() == "mine"  # the user's environment, untouched by the others
        _, stderr = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    assert (world.prefix / "etc/tfm1/receipt.json").is_file()  # the first run's environment, complete
    assert _names(world.prefix.parent) == ["tf"]  # no lock, journal or aside left beside it


# --- item: receipts and protected folders ---------------------------------------------------------------------


def test_a_copied_receipt_makes_no_folder_tfm1s(world: World) -> None:
    assert world.setup().returncode == 0
    home = world.tmp / "home"
    documents = home / "Documents"
    (documents / "thesis.txt").parent.mkdir(parents=True)
    (documents / "thesis.txt").write_text("mine")
    env = {**world.env, "HOME": str(home)}
    _receipt(world, home)
    _receipt(world, documents)

    at_home = tfm1("remove", "--prefix", str(home), "--yes", env=env)
    assert at_home.returncode == 2, at_home.stderr
    assert f"tfm1 never removes {home}: it is your home folder" in at_home.stderr
    copied = tfm1("remove", "--prefix", str(documents), "--yes", env=env)
    assert copied.returncode == 1, copied.stderr
    assert f"its receipt was written for {world.prefix}, not for this folder (a copied receipt)" in copied.stderr
    replaced = world.setup("--prefix", str(documents), "--update", HOME=str(home))
    assert replaced.returncode == 1 and "a copied receipt" in replaced.stderr and "--force" in replaced.stderr
    assert (documents / "thesis.txt").read_text() == "mine"

    # A receipt from before the path was recorded authorises no deletion either.
    legacy = json.loads((documents / "etc/tfm1/receipt.json").read_text())
    del legacy["prefix"]
    (documents / "etc/tfm1/receipt.json").write_text(json.dumps(legacy))
    old = tfm1("remove", "--prefix", str(documents), "--yes", env=env)
    assert old.returncode == 1 and "written by an older tfm1" in old.stderr and "rm -rf" in old.stderr
    assert (documents / "thesis.txt").read_text() == "mine"
    assert json.loads((world.prefix / "etc/tfm1/receipt.json").read_text())["prefix"] == str(world.prefix)


@pytest.mark.parametrize("where", ["home", "parent-of-home", "cwd", "parent-of-cwd", "/", "/usr", "/opt", "conda-root"])
def test_protected_folders_are_refused_whatever_the_flags(world: World, where: str) -> None:
    home, cwd = world.tmp / "people" / "ana", world.tmp / "work" / "project"
    for folder in (home, cwd):
        folder.mkdir(parents=True)
        (folder / "mine.txt").write_text("mine")
    root = world.tmp / "miniforge3"
    (root / "conda-meta").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin" / "conda").write_text("#!/bin/sh\n")
    target = {
        "home": home,
        "parent-of-home": home.parent,
        "cwd": cwd,
        "parent-of-cwd": cwd.parent,
        "/": Path("/"),
        "/usr": Path("/usr"),
        "/opt": Path("/opt"),
        "conda-root": root,
    }[where]
    env = {**world.env, "HOME": str(home)}
    # The machine's own folders only ever see a dry run: should the refusal ever break, this test must fail
    # without moving /usr aside. Folders under the test's tmp get the real thing.
    real = target.is_relative_to(world.tmp)
    flags = ["--yes", "--no-verify"] if real else ["--dry-run"]
    for result, verb in setup_and_remove(world, target, flags, cwd, env):
        assert result.returncode == 2, (verb, result.stderr)
        assert f"tfm1 never {verb} {target}" in result.stderr
        one_error(result.stderr)
    for folder in (home, cwd):
        assert _names(folder) == ["mine.txt"]
    assert _names(root) == ["bin", "conda-meta"]


def test_remove_through_a_symlink_removes_the_folder_it_names_and_says_so(world: World) -> None:
    assert world.setup().returncode == 0
    link = world.tmp / "current-env"
    link.symlink_to(world.prefix)
    result = tfm1("remove", "--prefix", str(link), "--yes", env=world.env)
    assert result.returncode == 0, result.stderr
    assert f"{link} leads to {world.prefix}: that is what is checked and removed" in result.stdout
    assert f"removed {world.prefix}" in result.stdout
    assert not world.prefix.exists() and link.is_symlink()  # the link is the user's: left, now dangling
    assert _names(world.prefix.parent) == []


# --- item: kill -9 --------------------------------------------------------------------------------------------


def test_after_kill_9_during_an_update_the_next_run_restores_the_old_environment(world: World) -> None:
    assert world.setup().returncode == 0
    (world.prefix / "old-marker.txt").write_text("the environment before the update")
    old_lock = world.lock.read_text()
    _bigger_wheel(world)  # a new lock: the update rebuilds
    # Wheels download from the start and uv installs them from local files in a moment; pip takes seconds, which
    # leaves a child installing into the new prefix to be caught there.
    update = world.start_setup("--update", TFM1_PIP_INSTALLER="pip")
    wait_for(lambda: world.current_step() == "pip" and installers_of(world.prefix), "pip installing into the prefix")
    (installer,) = installers_of(world.prefix)
    update.send_signal(signal.SIGKILL)
    update.communicate(timeout=30)
    wait_for(lambda: not installers_of(world.prefix), "uv to stop with tfm1", timeout=10)
    assert not running(installer)
    aside = world.prefix.with_name(f"tf.tfm1-old-{update.pid}")
    assert (aside / "old-marker.txt").is_file()  # what SIGKILL left: the old one aside, a half-built one in place
    journal = json.loads((world.prefix.parent / ".tf.tfm1-journal").read_text())
    assert journal["step"] == "pip" and journal["aside"] == str(aside)

    doctor = tfm1("doctor", "--python", str(world.prefix / "bin" / "python"), env=world.env)
    assert "interrupted-setup" in doctor.stdout and str(aside) in doctor.stdout
    assert aside.is_dir()  # doctor only reports

    world.lock.write_text(old_lock)  # the user re-runs the setup they had
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert f"removed the half-built environment at {world.prefix}" in again.stdout
    assert f"restored {world.prefix}, which a tfm1 setup (pid {update.pid}) stopped during its pip step" in again.stdout
    assert "already set up from this lockfile" in again.stdout
    assert (world.prefix / "old-marker.txt").is_file()
    assert _names(world.prefix.parent) == ["tf"]


def test_after_kill_9_of_a_first_setup_a_rerun_needs_no_force(world: World) -> None:
    world.conda_server.fault(world.conda_path("pip"), "slow")  # the run stays in its conda step
    first = world.start_setup()
    wait_for(lambda: world.current_step() == "conda" and world.prefix.is_dir(), "the conda step")
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert world.prefix.is_dir() and not (world.prefix / "etc/tfm1/receipt.json").exists()
    world.conda_server._faults.clear()
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert f"removed the half-built environment at {world.prefix}, left by a tfm1 setup (pid {first.pid})" in (
        again.stdout
    )
    assert (world.prefix / "etc/tfm1/receipt.json").is_file()
    assert not (world.prefix / "etc/tfm1/building").exists()


def test_after_kill_9_while_the_new_prefix_is_made_a_rerun_needs_no_force(world: World) -> None:
    # A new prefix is made beside its place (`tf.tfm1-new-<pid>`), signed with the run's token, and only then renamed
    # into place, so no kill leaves an unsigned prefix. What a kill before the signing leaves, made by a real process
    # that then ends as a killed one would: the journal at its prefix step and the unsigned start of the folder.
    made = f"""
import os
from pathlib import Path
from tfm1.setup.journal import Journal, sibling
prefix = Path({str(world.prefix)!r})
Journal.start("setup", prefix).write("prefix")
(sibling(prefix, "new", os.getpid()) / "etc" / "tfm1").mkdir(parents=True)
print(os.getpid())
"""
    killed = subprocess.run([sys.executable, "-c", made], env=world.env, capture_output=True, text=True, check=True)
    new = world.prefix.with_name(f"tf.tfm1-new-{killed.stdout.strip()}")
    assert new.is_dir() and not world.prefix.exists()
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert f"removed {new}, the start of a new environment left by a tfm1 setup (pid " in again.stdout
    assert (world.prefix / "etc/tfm1/receipt.json").is_file() and not (world.prefix / "etc/tfm1/building").exists()
    assert _names(world.prefix.parent) == ["tf"]


def test_an_environment_moved_aside_with_something_else_in_its_place_is_refused_with_nothing_changed(
    world: World,
) -> None:
    assert world.setup().returncode == 0
    # What a setup killed after moving the environment aside leaves (made by a real process that then ends as a
    # killed one would), and then the user's own folder made at the environment's place.
    made = f"""
import os
from pathlib import Path
from tfm1.setup.journal import Journal, sibling
prefix = Path({str(world.prefix)!r})
old, new = sibling(prefix, "old", os.getpid()), sibling(prefix, "new", os.getpid())
Journal.start("setup", prefix).write("conda", aside=old)
prefix.rename(old)
new.mkdir()
print(os.getpid())
"""
    killed = subprocess.run([sys.executable, "-c", made], env=world.env, capture_output=True, text=True, check=True)
    pid = killed.stdout.strip()
    world.prefix.mkdir()
    (world.prefix / "data.txt").write_text("mine")
    before = _names(world.prefix.parent)
    again = world.setup()
    assert again.returncode == 1
    error = one_error(again.stderr)
    assert f"tf.tfm1-old-{pid} is the environment a tfm1 setup (pid {pid}) stopped during its conda step had" in error
    assert f"something else is now at {world.prefix}" in error
    # Refused before any repair: the half-made folder, the environment aside and the user's folder all stay.
    assert _names(world.prefix.parent) == before
    assert {f"tf.tfm1-old-{pid}", f"tf.tfm1-new-{pid}", ".tf.tfm1-journal"} <= set(before)
    assert (world.prefix / "data.txt").read_text() == "mine"
    assert (world.prefix.with_name(f"tf.tfm1-old-{pid}") / "etc/tfm1/receipt.json").is_file()


def test_a_forged_journal_deletes_nothing(world: World) -> None:
    assert world.setup().returncode == 0
    victim = world.tmp / "victim"
    victim.mkdir()
    (victim / "data.txt").write_text("mine")
    mine = world.prefix.with_name("mine")
    mine.mkdir()
    (mine / "data.txt").write_text("mine")
    forged = {"tfm1_journal": 1, "action": "setup", "pid": 999_999_999, "token": "0" * 32, "step": "pip"}
    journal = world.prefix.parent / ".mine.tfm1-journal"
    journal.write_text(json.dumps({**forged, "prefix": str(mine), "aside": str(victim)}))
    pointing_away = world.setup("--prefix", str(mine))
    assert "which is not a place tfm1 moves" in pointing_away.stdout and journal.exists()
    # Without the run's token inside it, `mine` is not taken for a half-built environment.
    journal.write_text(json.dumps({**forged, "prefix": str(mine), "aside": None}))
    unsigned = world.setup("--prefix", str(mine))
    for result in (pointing_away, unsigned):
        assert result.returncode == 1 and "not made by tfm1" in result.stderr
        assert "half-built" not in result.stdout
    assert (victim / "data.txt").read_text() == "mine" and (mine / "data.txt").read_text() == "mine"


# --- item: Ctrl-C after success --------------------------------------------------------------------------------


def test_ctrl_c_while_the_replaced_environment_is_deleted_says_what_is_true(world: World) -> None:
    can_hold(world.tmp)
    assert world.setup().returncode == 0
    bulk = world.prefix / "lib" / "bulk"  # a large old environment: its deletion takes a while
    for folder in range(40):
        (bulk / str(folder)).mkdir(parents=True)
        for name in range(100):
            (bulk / str(folder) / str(name)).touch()
    (bulk / "held" / "file").parent.mkdir()
    (bulk / "held" / "file").write_text("x")
    hold(bulk / "held" / "file")  # and a file that resists (deletion is retried): the window is wide
    make_wheel(world.tmp / "v2", "tfm1-probe", "1.0", value="2").replace(world.index.wheels[0])
    world.write_lock()
    journal = world.prefix.parent / ".tf.tfm1-journal"

    def cleaning() -> bool:
        try:
            return bool(json.loads(journal.read_text())["step"] == "cleanup")
        except (OSError, ValueError):
            return False

    update = world.start_setup("--update")
    try:
        wait_for(cleaning, "the deletion of the replaced environment", timeout=120, every=0.002)
        update.send_signal(signal.SIGINT)
        _, stderr = update.communicate(timeout=60)
        aside = world.prefix.with_name(f"tf.tfm1-old-{update.pid}")
        assert update.returncode == 130, stderr
        assert stderr.startswith(f"tfm1: error: setup finished: {world.prefix} is complete, but it was interrupted")
        assert f"what is left of that is at {aside}" in stderr and "nothing was changed" not in stderr
        assert (world.prefix / "etc/tfm1/receipt.json").is_file()
        assert journal.is_file() and aside.is_dir()
    finally:
        update.kill()
        release(world.prefix.parent)
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert f"finished deleting the environment it replaced ({aside})" in again.stdout
    assert "already set up from this lockfile" in again.stdout
    assert _names(world.prefix.parent) == ["tf"]
