"""setup, remove and lock on a case-insensitive disk, as a Mac's APFS volume is: a folder reached under another case
is the same folder, for the guards that protect folders, for receipts, and for the installed package's profiles.

The disk is real (tests/support/case_insensitive_disk.py, FUSE): `realpath` keeps the case it is given there, as on
a Mac, so only a comparison of the folders themselves can tell that `/users/ana/Project` is `/Users/ana/project`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.case_insensitive_disk import mounted
from tests.support.cli import one_error
from tests.support.setup_world import World, setup_and_remove, tfm1

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted(tmp_path / "disk-backing", tmp_path / "disk") as mountpoint:
        yield mountpoint


def _state(folder: Path) -> dict[str, str]:
    """Every path under `folder` with what it is: a file's sha256 and mtime, a folder's mtime."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        found[str(path.relative_to(folder))] = f"{content} {info.st_mtime_ns}"
    return found


def test_the_disk_is_case_insensitive_and_realpath_keeps_the_case_it_is_given(disk: Path) -> None:
    (disk / "Users" / "ana" / "project").mkdir(parents=True)
    variant = disk / "users" / "ANA" / "Project"
    assert variant.samefile(disk / "Users" / "ana" / "project")
    assert os.path.realpath(variant) == str(variant)  # so comparing resolved names says "another folder"
    assert sorted(p.name for p in (disk / "USERS").iterdir()) == ["ana"]  # case-preserving


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ("users/ana/Project", "it is the current directory"),
        ("USERS/ana/project/../PROJECT", "it is the current directory"),
        ("users/ANA", "it is your home folder"),
        ("Users/Ana/Project/..", "it is your home folder"),
        ("users", "it contains your home folder"),
    ],
)
def test_a_case_variant_of_a_protected_folder_is_refused_with_nothing_touched(
    world: World, disk: Path, variant: str, reason: str
) -> None:
    home, cwd = disk / "Users" / "ana", disk / "Users" / "ana" / "project"
    cwd.mkdir(parents=True)
    (cwd / "thesis.txt").write_text("mine")
    (home / "notes.txt").write_text("mine too")
    before = _state(disk)
    target = disk / variant
    env = {**world.env, "HOME": str(home)}
    for result, verb in setup_and_remove(world, target, ["--yes", "--no-verify"], cwd, env):
        assert result.returncode == 2, (verb, result.stderr)
        error = one_error(result.stderr)
        assert error.startswith(f"tfm1: error: tfm1 never {verb} {target}") and reason in error
    assert _state(disk) == before  # nothing moved, written or deleted, not even a lock file beside it


def test_a_receipt_holds_under_a_case_variant_of_its_folder_and_a_copied_one_still_does_not(
    world: World, disk: Path
) -> None:
    prefix = disk / "Envs" / "tf"
    made = world.setup("--prefix", str(prefix))
    assert made.returncode == 0, made.stderr
    assert json.loads((prefix / "etc/tfm1/receipt.json").read_text())["prefix"] == str(prefix)

    # The same receipt copied into another folder of the disk still makes that folder nobody's.
    other = disk / "Documents"
    (other / "etc" / "tfm1").mkdir(parents=True)
    shutil.copy(prefix / "etc/tfm1/receipt.json", other / "etc/tfm1/receipt.json")
    (other / "thesis.txt").write_text("mine")
    copied = tfm1("remove", "--prefix", str(disk / "documents"), "--yes", env=world.env)
    assert copied.returncode == 1 and "(a copied receipt)" in copied.stderr
    assert (other / "thesis.txt").read_text() == "mine"

    # Reached under another case, the environment is still the one its receipt was written for.
    update = world.setup("--prefix", str(disk / "envs" / "TF"), "--update")
    assert update.returncode == 0, update.stderr
    removed = tfm1("remove", "--prefix", str(disk / "ENVS" / "Tf"), "--yes", env=world.env)
    assert removed.returncode == 0, removed.stderr
    assert not prefix.exists() and (disk / "Envs").is_dir()


def test_lock_refuses_a_case_variant_of_the_installed_package_s_profiles(disk: Path, tmp_path: Path) -> None:
    """An installed tfm1 (here: on the case-insensitive disk) never rewrites its own copy of the profiles."""
    site = disk / "Site-Packages"
    shutil.copytree(SRC / "tfm1", site / "tfm1", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SRC.parent / "envs", site / "tfm1" / "envs")
    before = _state(site)
    variant = disk / "site-packages" / "TFM1" / "ENVS"
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tfm1", "lock", "--envs", str(variant)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "is the copy of the profiles inside the installed tfm1 package" in one_error(done.stderr)
    assert _state(site) == before
