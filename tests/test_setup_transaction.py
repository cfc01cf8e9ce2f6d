"""The setup transaction's rollback on real files, including ones the kernel refuses to delete."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.setup_world import can_hold, hold, release
from tfm1.cache import cache_root
from tfm1.setup.transaction import Transaction

TOKEN = "0123456789abcdef" * 2


@pytest.fixture
def envs(tmp_path: Path) -> Iterator[Path]:
    can_hold(tmp_path)
    folder = tmp_path / "envs"
    folder.mkdir()
    yield folder
    release(tmp_path)


def test_an_undeletable_new_prefix_is_renamed_so_the_old_one_goes_back(envs: Path) -> None:
    original = envs / "tf"
    original.mkdir()
    (original / "mine.txt").write_text("mine")
    transaction = Transaction()
    with pytest.raises(RuntimeError, match="the install failed"), transaction:
        transaction.move_aside(original)
        transaction.claim(original, TOKEN)
        stuck = original / "lib" / "stuck.so"
        stuck.parent.mkdir()
        stuck.write_text("x")
        hold(stuck)
        raise RuntimeError("the install failed")  # the run's own error survives the rollback's trouble
    failed = envs / f"tf.tfm1-failed-{os.getpid()}"
    assert sorted(p.name for p in original.iterdir()) == ["mine.txt"]
    assert (original / "mine.txt").read_text() == "mine"
    assert sorted(p.name for p in envs.iterdir()) == ["tf", failed.name]
    assert transaction.rolled_back == [f"restored {original}"]
    assert transaction.leftovers == [failed]
    (failure,) = transaction.failures
    assert failure.startswith(f"could not remove {original} (") and "stuck.so" in failure and str(failed) in failure


def test_every_step_of_a_rollback_runs_after_one_fails(envs: Path) -> None:
    transaction = Transaction()
    first = transaction.claim(envs / "a", TOKEN)
    second = transaction.claim(envs / "b", TOKEN)
    stuck = second / "held" / "file"
    stuck.parent.mkdir()
    stuck.write_text("x")
    hold(stuck)
    transaction.rollback()
    assert not first.exists()  # removed after the newest (b) failed
    assert transaction.rolled_back == [f"removed {first}"]
    assert sorted(p.name for p in envs.iterdir()) == [f"b.tfm1-failed-{os.getpid()}"]


def test_an_old_environment_that_cannot_be_deleted_after_success_is_a_leftover(envs: Path) -> None:
    original = envs / "tf"
    (original / "held").mkdir(parents=True)
    (original / "held" / "file").write_text("old")
    with Transaction() as transaction:
        aside = transaction.move_aside(original)
        hold(aside / "held" / "file")
        transaction.claim(original, TOKEN)
        (original / "new.txt").write_text("new")
    assert (original / "new.txt").read_text() == "new"
    assert transaction.leftovers == [aside] and aside.exists()
    assert transaction.failures[0].startswith(f"could not delete the old environment at {aside}")


def test_cache_root_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TFM1_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_root() == tmp_path / "home" / ".cache" / "tfm1"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "tfm1"
    monkeypatch.setenv("TFM1_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
