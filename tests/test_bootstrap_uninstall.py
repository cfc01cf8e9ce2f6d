"""bootstrap/uninstall.sh removes exactly what install.sh created, on the same pretend Mac."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.bootstrap_sandbox import UNINSTALL_SH, Mac, Sandbox, build_probe_wheel


@pytest.fixture
def mac(tmp_path: Path, httpserver: HTTPServer) -> Mac:
    return Mac.serve(Sandbox.create(tmp_path / "mac"), httpserver, build_probe_wheel())


def _install(mac: Mac) -> None:
    result = mac.sandbox.run("--yes")
    assert result.returncode == 0, result.stderr


def _uninstall(mac: Mac, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = mac.sandbox.run(*args, script=UNINSTALL_SH, env=env)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_install_uninstall_reinstall_leaves_home_as_it_was(mac: Mac) -> None:
    home = mac.sandbox.home
    (home / "notes.txt").write_text("mine")
    before = mac.sandbox.home_files()
    _install(mac)
    installed = mac.sandbox.home_files()

    status, out, _ = _uninstall(mac, "--dry-run")
    assert status == 0
    assert "Dry run: nothing was removed." in out
    for kind, path in (("link", ".tfm1/bin/tfm1"), ("venv", ".tfm1/venv"), ("miniforge", "miniforge3")):
        assert f"remove {kind} {home}/{path}" in out
    assert mac.sandbox.home_files() == installed

    status, out, err = _uninstall(mac, "--yes")
    assert status == 0, err
    assert mac.sandbox.home_files() == before
    # Newest first: the link never points into a removed venv.
    removed = [line.split("Removing ")[1] for line in out.splitlines() if line.startswith("==> Removing ")]
    assert removed == [f"{home}/.tfm1/bin/tfm1", f"{home}/.tfm1/venv", f"{home}/miniforge3"]

    _install(mac)
    assert mac.sandbox.home_files() == installed
    assert mac.installer_downloads() == 2


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_what_existed_before_is_kept(mac: Mac) -> None:
    home = mac.sandbox.home
    mac.sandbox.make_conda_root(home / "mambaforge", "osx-arm64")
    _install(mac)
    (home / ".tfm1" / "settings.toml").write_text("kept")
    status, out, err = _uninstall(mac, "--yes")
    assert status == 0, err
    assert "mambaforge" not in out
    assert (home / "mambaforge" / "conda-meta" / "history").exists()
    assert sorted(path.name for path in (home / ".tfm1").iterdir()) == ["settings.toml"]


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_keep_miniforge_keeps_it_listed_for_later(mac: Mac) -> None:
    home = mac.sandbox.home
    _install(mac)
    (home / "miniforge3" / "envs" / "tfm1").mkdir()
    status, out, err = _uninstall(mac, "--dry-run")
    assert f"remove miniforge {home}/miniforge3 with its environments: tfm1" in out
    status, out, err = _uninstall(mac, "--yes", "--keep-miniforge")
    assert status == 0, err
    assert (home / "miniforge3" / "envs" / "tfm1").is_dir()
    assert not (home / ".tfm1" / "venv").exists()
    assert mac.sandbox.receipt() == [f"dir={home}/.tfm1", f"miniforge={home}/miniforge3"]
    # Later, a full uninstall removes it and everything else.
    status, _, err = _uninstall(mac, env={"TFM1_YES": "1"})
    assert status == 0, err
    assert mac.sandbox.home_files() == set()


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_without_yes_and_without_a_terminal_nothing_is_removed(mac: Mac) -> None:
    _install(mac)
    installed = mac.sandbox.home_files()
    status, _, err = _uninstall(mac)
    assert status == 1
    assert "there is no terminal to ask on and --yes was not given, so nothing was removed" in err
    assert mac.sandbox.home_files() == installed


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_a_tampered_receipt_cannot_make_it_remove_anything_else(mac: Mac, tmp_path: Path) -> None:
    home = mac.sandbox.home
    _install(mac)
    precious = tmp_path / "precious"
    (precious / "conda-meta").mkdir(parents=True)
    receipt = home / ".tfm1" / "bootstrap-receipt"
    with receipt.open("a") as handle:
        handle.write(f"venv={precious}\nlink={home}/notes\ndir=/\nminiforge={home}/.tfm1/../miniforge3\n")
    (home / "notes").write_text("mine")
    status, _, err = _uninstall(mac, "--yes")
    assert status == 0, err
    assert f"leaving {precious} alone: outside {home}/.tfm1" in err
    assert f"leaving {home}/notes alone: outside {home}/.tfm1" in err
    assert precious.is_dir()
    assert (home / "notes").read_text() == "mine"
    assert not (home / "miniforge3").exists()  # the genuine entry
    # What was refused stays listed, so nothing is forgotten silently.
    assert f"venv={precious}" in mac.sandbox.receipt()


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_a_receipt_line_it_cannot_read_stops_everything(mac: Mac) -> None:
    _install(mac)
    receipt = mac.sandbox.home / ".tfm1" / "bootstrap-receipt"
    receipt.write_text(receipt.read_text() + "garbage\n")
    installed = mac.sandbox.home_files()
    status, _, err = _uninstall(mac, "--yes")
    assert status == 1
    assert "is not kind=path: nothing was removed" in err
    assert mac.sandbox.home_files() == installed


def test_nothing_installed_is_nothing_to_remove(tmp_path: Path) -> None:
    sandbox = Sandbox.create(tmp_path)
    result = sandbox.run("--yes", script=UNINSTALL_SH)
    assert result.returncode == 0
    assert "Nothing to remove" in result.stdout
