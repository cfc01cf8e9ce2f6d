"""bootstrap/uninstall.sh removes exactly what install.sh created, on the same pretend Mac."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.bootstrap_sandbox import INSTALL_SH, UNINSTALL_SH, Mac, Sandbox, build_probe_wheel
from tests.support.cli import one_error


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


# --- forged receipts: offline, on the layout install.sh leaves, made by hand -------------------------------


def _installed_layout(sandbox: Sandbox) -> list[str]:
    """What install.sh leaves (receipt included, mode 600) without running it; the receipt's genuine lines."""
    home = sandbox.home
    (home / ".tfm1" / "venv" / "bin").mkdir(parents=True)
    (home / ".tfm1" / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (home / ".tfm1" / "bin").mkdir()
    (home / ".tfm1" / "bin" / "tfm1").symlink_to(home / ".tfm1" / "venv" / "bin" / "tfm1")
    (home / "miniforge3" / "conda-meta").mkdir(parents=True)
    (home / "miniforge3" / ".tfm1-bootstrap-installed").write_text("")
    lines = [
        f"dir={home}/.tfm1",
        f"miniforge={home}/miniforge3",
        f"venv={home}/.tfm1/venv",
        f"dir={home}/.tfm1/bin",
        f"link={home}/.tfm1/bin/tfm1",
    ]
    _write_receipt(sandbox, lines)
    return lines


def _write_receipt(sandbox: Sandbox, lines: list[str]) -> Path:
    receipt = sandbox.home / ".tfm1" / "bootstrap-receipt"
    receipt.write_text("# What tfm1's bootstrap/install.sh created\n" + "".join(f"{line}\n" for line in lines))
    receipt.chmod(0o600)
    return receipt


def _precious(folder: Path, *marks: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for mark in marks:
        (folder / mark).mkdir(exist_ok=True)
    (folder / "precious.txt").write_text("mine")
    return folder


@pytest.mark.parametrize(
    "forgery",
    [
        "mambaforge",
        "documents",
        "users-own-miniforge3",
        "miniforge-trailing-slash",
        "venv-trailing-slash",
        "symlinked-bin",
        "symlinked-venv",
    ],
)
def test_a_forged_receipt_line_deletes_nothing_install_sh_did_not_make(tmp_path: Path, forgery: str) -> None:
    sandbox = Sandbox.create(tmp_path / "mac")
    home = sandbox.home
    genuine = _installed_layout(sandbox)
    documents = _precious(home / "Documents", "conda-meta")
    if forgery == "mambaforge":
        victim, line = _precious(home / "mambaforge", "conda-meta"), f"miniforge={home}/mambaforge"
    elif forgery == "documents":
        victim, line = documents, f"miniforge={documents}"
    elif forgery == "users-own-miniforge3":  # the one path install.sh may use, but a Miniforge it did not install
        shutil.rmtree(home / "miniforge3")
        victim, line = _precious(home / "miniforge3", "conda-meta"), f"miniforge={home}/miniforge3"
        genuine.remove(line)
    elif forgery == "miniforge-trailing-slash":  # `rm -rf link/` deletes what the link points to
        (home / "miniforge3").rename(home / "miniforge3-was")
        (home / "miniforge3").symlink_to(documents)
        victim, line = documents, f"miniforge={home}/miniforge3/"
        genuine.remove(f"miniforge={home}/miniforge3")
    elif forgery == "venv-trailing-slash":
        victim = _precious(home / "Projects")
        (victim / "pyvenv.cfg").write_text("")
        shutil.rmtree(home / ".tfm1" / "venv")
        (home / ".tfm1" / "venv").symlink_to(victim)
        line = f"venv={home}/.tfm1/venv/"
        genuine.remove(f"venv={home}/.tfm1/venv")
    elif forgery == "symlinked-bin":  # a symbolic link on the way: the link removed would be one of the user's
        victim = _precious(home / "Documents" / "bin")
        (victim / "tfm1").symlink_to(documents / "precious.txt")
        shutil.rmtree(home / ".tfm1" / "bin")
        (home / ".tfm1" / "bin").symlink_to(victim)
        line = f"link={home}/.tfm1/bin/tfm1"
        genuine.remove(line)
    else:  # symlinked-venv: the entry names a link to a folder elsewhere
        victim = _precious(home / "Projects")
        (victim / "pyvenv.cfg").write_text("")
        shutil.rmtree(home / ".tfm1" / "venv")
        (home / ".tfm1" / "venv").symlink_to(victim)
        line = f"venv={home}/.tfm1/venv"
        genuine.remove(line)
    before = sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))
    _write_receipt(sandbox, [*genuine, line])
    result = sandbox.run("--yes", script=UNINSTALL_SH)
    assert result.returncode == 0, result.stderr
    assert f"leaving {line.split('=', 1)[1]} alone: " in result.stderr
    assert sorted(str(p.relative_to(victim)) for p in victim.rglob("*")) == before
    assert (victim / "precious.txt").read_text() == "mine" and (documents / "precious.txt").read_text() == "mine"
    assert line in sandbox.receipt()  # still listed: nothing is forgotten silently
    assert f"==> Removing {home}/.tfm1/" in result.stdout  # the genuine entries went


@pytest.mark.parametrize("problem", ["group-writable", "world-writable", "symlinked-receipt", "symlinked-tfm1-dir"])
def test_a_receipt_others_could_have_written_is_not_trusted(tmp_path: Path, problem: str) -> None:
    sandbox = Sandbox.create(tmp_path / "mac")
    home = sandbox.home
    _installed_layout(sandbox)
    receipt = home / ".tfm1" / "bootstrap-receipt"
    if problem == "group-writable":
        receipt.chmod(0o620)
    elif problem == "world-writable":
        (home / ".tfm1").chmod(0o777)
    elif problem == "symlinked-receipt":
        receipt.rename(home / "elsewhere")
        receipt.symlink_to(home / "elsewhere")
    else:
        (home / ".tfm1").rename(home / "real-tfm1")
        (home / ".tfm1").symlink_to(home / "real-tfm1")
    before = sandbox.home_files()
    result = sandbox.run("--yes", script=UNINSTALL_SH)
    assert result.returncode == 1
    assert "nothing was removed" in one_error(result.stderr)
    assert sandbox.home_files() == before


@pytest.mark.parametrize("script", [INSTALL_SH, UNINSTALL_SH], ids=["install", "uninstall"])
def test_an_empty_home_is_refused(tmp_path: Path, script: Path) -> None:
    sandbox = Sandbox.create(tmp_path / "mac")
    result = sandbox.run("--yes", script=script, env={"HOME": ""})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "HOME is '', not your home folder, so nothing was" in result.stderr
    assert not Path("/.tfm1").exists() and not Path("/miniforge3").exists()


@pytest.mark.network  # the probe wheel is built with uv
@pytest.mark.slow
def test_a_receipt_written_under_a_permissive_umask_is_still_only_the_users(mac: Mac) -> None:
    """uninstall.sh refuses a receipt others may write: install.sh never makes one, whatever the caller's umask."""
    result = mac.sandbox.run("--yes", source=b"umask 000\n" + INSTALL_SH.read_bytes())
    assert result.returncode == 0, result.stderr
    receipt = mac.sandbox.home / ".tfm1" / "bootstrap-receipt"
    assert receipt.stat().st_mode & 0o022 == 0, oct(receipt.stat().st_mode)  # no one else may write it
    status, _, err = _uninstall(mac, "--yes")
    assert status == 0, err
    assert not receipt.exists()
