"""The Miniforge path of `tfm1 setup`, end to end, with a fake installer served on 127.0.0.1.

The fake is a real shell script run the way the real one is (`bash <file>.sh -b -u -p PREFIX`, stdin closed) and
refuses an existing prefix without `-u`, as constructor's installers do;
it lays out what tfm1 relies on in a conda root: `conda-meta/` with a record naming the platform, `envs/`,
`condabin/conda`. HOME points into the test's directory, so the user's real conda roots are never seen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.conda_channel import host_subdir
from tests.support.http import StaticServer
from tests.support.miniforge_stand_in import fake_installer
from tests.support.setup_world import (
    HOLD_SHELL,
    World,
    can_hold,
    json_envelope,
    json_steps,
    release,
    running,
    tfm1,
    wait_for,
)


@pytest.fixture
def home(world: World) -> Iterator[Path]:
    home = world.tmp / "home"
    home.mkdir()
    world.env["HOME"] = str(home)
    yield home


def serve_installer(world: World, extra: str = "") -> tuple[StaticServer, str]:
    script, sha256 = fake_installer(world.tmp / "miniforge-mirror", extra)
    server = StaticServer(script.parent).start()
    return server, sha256


def test_miniforge_is_installed_then_reused_and_env_removed_by_name(world: World, home: Path) -> None:
    server, sha256 = serve_installer(world)
    try:
        url = f"{server.url}/Miniforge3-25.3.1-0-Linux-x86_64.sh"
        env = {"TFM1_MINIFORGE_URL": url, "TFM1_MINIFORGE_SHA256": sha256}
        result = world.setup("--name", "tf", "--json", "--init-shell", **env, SHELL="/bin/bash")
        assert result.returncode == 0, result.stderr
        assert (home / "miniforge3" / "conda-calls.txt").read_text() == "init bash\n"  # asked for, and only then
        steps = json_steps(result.stdout)
        plan = next(s for s in steps if s["step"] == "plan")
        assert plan["conda_root"] == {
            "path": str(home / "miniforge3"),
            "action": "install",
            "url": url,
            "sha256": sha256,
        }
        assert any(s["step"] == "miniforge" and s["status"] == "ok" for s in steps)
        prefix = home / "miniforge3" / "envs" / "tf"
        assert (prefix / "etc/tfm1/receipt.json").is_file()
        assert json_envelope(result.stdout)["result"]["activate"] == "conda activate tf"
        assert server.requests == ["/Miniforge3-25.3.1-0-Linux-x86_64.sh"]

        again = world.setup("--name", "tf", **env)  # the root now exists: found, not installed again
        assert again.returncode == 0, again.stderr
        assert "already set up" in again.stdout
        assert len(server.requests) == 1
        # Miniforge was installed with -b and no startup file was edited: a new zsh has no `conda activate`.
        hint = world.setup("--name", "tf", **env, SHELL="/bin/zsh")
        assert f"  source {home}/miniforge3/bin/activate tf\n" in hint.stdout
        assert f"(for `conda activate tf` in new terminals: {home}/miniforge3/bin/conda init zsh)" in hint.stdout
        # A shell with this root's conda hook loaded (it exports CONDA_SHLVL and CONDA_EXE) has `conda activate`.
        conda_exe = str(home / "miniforge3" / "bin" / "conda")
        hooked = world.setup("--name", "tf", "--json", **env, CONDA_SHLVL="1", CONDA_EXE=conda_exe)
        done = json_envelope(hooked.stdout)["result"]
        assert (done["activate"], done["shell_hint"]) == ("conda activate tf", None)

        removed = tfm1("remove", "--name", "tf", "--yes", env=world.env)
        assert removed.returncode == 0, removed.stderr
        assert not prefix.exists()
        assert (home / "miniforge3" / "conda-meta").is_dir()  # the root stays
        refused = tfm1("remove", "--prefix", str(home / "miniforge3"), "--yes", env=world.env)
        assert refused.returncode == 2 and "conda installation" in refused.stderr
    finally:
        server.stop()


def test_wrong_miniforge_sha256_installs_nothing(world: World, home: Path) -> None:
    server, _ = serve_installer(world)
    try:
        url = f"{server.url}/Miniforge3-25.3.1-0-Linux-x86_64.sh"
        result = world.setup("--name", "tf", TFM1_MINIFORGE_URL=url, TFM1_MINIFORGE_SHA256="0" * 64)
        assert result.returncode == 1
        assert f"download of {url} failed: sha256 mismatch" in result.stderr
        assert "Traceback" not in result.stderr
        assert not (home / "miniforge3").exists()
        assert not list((world.tmp / "cache").rglob("*.sh*"))  # nothing unverified is kept
    finally:
        server.stop()


def test_failing_installer_leaves_no_root(world: World, home: Path) -> None:
    server, sha256 = serve_installer(world, extra='echo "disk full" >&2; exit 7')
    try:
        url = f"{server.url}/Miniforge3-25.3.1-0-Linux-x86_64.sh"
        result = world.setup("--name", "tf", TFM1_MINIFORGE_URL=url, TFM1_MINIFORGE_SHA256=sha256)
        assert result.returncode == 1
        assert "the Miniforge installer failed (exit 7): disk full" in result.stderr
        assert f"removed {home / 'miniforge3'}" in result.stderr
        assert not (home / "miniforge3").exists()
    finally:
        server.stop()


def test_no_pinned_installer_on_linux_needs_url_and_hash(world: World, home: Path) -> None:
    if not host_subdir().startswith("linux-"):
        pytest.fail("this test describes Linux, where tfm1 pins no Miniforge installer")
    result = world.setup("--name", "tf")
    assert result.returncode == 1
    assert "pins no Miniforge installer for linux-64" in result.stderr
    assert "TFM1_MINIFORGE_SHA256" in result.stderr
    assert not (home / "miniforge3").exists()


def test_a_foreign_platform_root_is_left_alone(world: World, home: Path) -> None:
    intel = home / "miniconda3"
    (intel / "conda-meta").mkdir(parents=True)
    record = intel / "conda-meta" / "python-3.9.7-h88f2d9e_1.json"
    record.write_text(json.dumps({"name": "python", "version": "3.9.7", "subdir": "osx-64"}))
    before = sorted(str(p.relative_to(intel)) for p in intel.rglob("*"))
    server, sha256 = serve_installer(world)
    try:
        url = f"{server.url}/Miniforge3-25.3.1-0-Linux-x86_64.sh"
        result = world.setup("--name", "tf", TFM1_MINIFORGE_URL=url, TFM1_MINIFORGE_SHA256=sha256)
        assert result.returncode == 0, result.stderr
        assert f"leaving {intel} alone" in result.stdout
        assert (home / "miniforge3" / "envs" / "tf" / "etc/tfm1/receipt.json").is_file()
        assert sorted(str(p.relative_to(intel)) for p in intel.rglob("*")) == before
        assert not (home / "miniforge3" / "conda-calls.txt").exists()  # no shell set-up without --init-shell
    finally:
        server.stop()


def test_a_hash_without_a_url_is_refused(world: World, home: Path) -> None:
    result = world.setup("--name", "tf", TFM1_MINIFORGE_SHA256="0" * 64)
    assert result.returncode == 2
    assert "TFM1_MINIFORGE_SHA256 is set without TFM1_MINIFORGE_URL" in result.stderr
    assert not (home / "miniforge3").exists()


def test_a_foreign_root_where_miniforge_would_go_is_one_clear_refusal(world: World, home: Path) -> None:
    intel = home / "miniforge3"
    (intel / "conda-meta").mkdir(parents=True)
    (intel / "conda-meta" / "python-3.9.7-h88f2d9e_1.json").write_text(
        json.dumps({"name": "python", "subdir": "osx-64"})
    )
    result = world.setup("--name", "tf")
    assert result.returncode == 1
    assert result.stderr == (
        "tfm1: error: ~/miniforge3 is an x86_64 (osx-64) conda installation; tfm1 never uses or replaces it.\n"
        "  fix: move it away (mv ~/miniforge3 ~/miniforge3-x86) or pass --prefix PATH\n"
    )
    assert result.stdout == ""  # no "leaving it alone" warning before the refusal
    assert sorted(p.name for p in intel.rglob("*")) == ["conda-meta", "python-3.9.7-h88f2d9e_1.json"]


def test_a_failing_installer_whose_root_cannot_be_deleted_keeps_its_own_error(world: World, home: Path) -> None:
    can_hold(world.tmp)
    stuck = 'mkdir -p "$prefix/pkgs/held"; echo x > "$prefix/pkgs/held/file"; hold "$prefix/pkgs/held/file"'
    server, sha256 = serve_installer(world, extra=f'{HOLD_SHELL}\n{stuck}\necho "disk full" >&2; exit 7')
    try:
        url = f"{server.url}/Miniforge3-25.3.1-0-Linux-x86_64.sh"
        result = world.setup("--name", "tf", TFM1_MINIFORGE_URL=url, TFM1_MINIFORGE_SHA256=sha256)
        (failed,) = home.iterdir()
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("tfm1: error: the Miniforge installer failed (exit 7): disk full. ")
        assert failed.name.startswith("miniforge3.tfm1-failed-")
        assert f"The rollback was incomplete: could not remove {home / 'miniforge3'} (" in result.stderr
        assert f"  fix: delete {failed} yourself" in result.stderr and "re-run tfm1 setup" in result.stderr
        assert "Traceback" not in result.stderr and "nothing was changed" not in result.stderr
    finally:
        server.stop()
        release(home)


# --- kill -9 while Miniforge installs --------------------------------------------------------------------------

# With $HOME/hold there, the installer starts a process of its own that keeps writing into the root (as the real
# installer's tools do), then waits: the run stays in its Miniforge step until it is killed.
HOLDING = """
if [ -e "$HOME/hold" ]; then
    (while :; do date > "$prefix/pkgs/still-writing"; sleep 0.05; done) &
    echo $! > "$HOME/grandchild.pid"
    echo $$ > "$HOME/installer.pid"
    wait
fi
"""


def _kill_during_the_install(world: World, home: Path, env: dict[str, str]) -> int:
    """Start `tfm1 setup --name tf`, SIGKILL it while its Miniforge installer runs; tfm1's pid."""
    import signal

    (home / "hold").touch()
    process = world.start_setup("--name", "tf", **env)
    try:
        wait_for(lambda: (home / "grandchild.pid").is_file() and (home / "installer.pid").is_file(), "the installer")
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        process.kill()
    (home / "hold").unlink()
    return process.pid


@pytest.fixture
def holding_mirror(world: World, home: Path) -> Iterator[dict[str, str]]:
    """The environment of a run whose installer, from a local mirror, holds while `$HOME/hold` is there."""
    server, sha256 = serve_installer(world, HOLDING)
    try:
        yield {
            "TFM1_MINIFORGE_URL": f"{server.url}/Miniforge3-25.3.1-0-Linux-x86_64.sh",
            "TFM1_MINIFORGE_SHA256": sha256,
        }
    finally:
        server.stop()


def test_after_kill_9_during_the_miniforge_install_a_rerun_needs_no_force(
    world: World, home: Path, holding_mirror: dict[str, str]
) -> None:
    pid = _kill_during_the_install(world, home, holding_mirror)
    root = home / "miniforge3"
    # A root that looks like a conda installation (conda-meta/ with its records) but carries the run's token.
    assert (root / "conda-meta").is_dir() and (root / "etc/tfm1/building").is_file()
    journal = json.loads((home / ".miniforge3.tfm1-journal").read_text())
    assert (journal["step"], journal["pid"], journal["prefix"]) == ("miniforge", pid, str(root))
    again = world.setup("--name", "tf", **holding_mirror)
    assert again.returncode == 0, again.stderr
    left_by = f"left by a tfm1 setup (pid {pid}) stopped during its miniforge step"
    assert f"removed the half-built Miniforge at {root}, {left_by}" in again.stdout
    assert (root / "envs/tf/etc/tfm1/receipt.json").is_file()
    assert not (root / "etc/tfm1").exists() and not (root / "pkgs/still-writing").exists()
    assert sorted(p.name for p in home.iterdir()) == ["grandchild.pid", "installer.pid", "miniforge3"]


def test_what_the_installer_started_dies_with_a_killed_tfm1(
    world: World, home: Path, holding_mirror: dict[str, str]
) -> None:
    _kill_during_the_install(world, home, holding_mirror)
    installer, grandchild = (int((home / f"{name}.pid").read_text()) for name in ("installer", "grandchild"))
    # The installer is tfm1's child; the writer it started, a grandchild that no PR_SET_PDEATHSIG reaches.
    wait_for(lambda: not running(installer) and not running(grandchild), "the installer and its child to die")
    written = home / "miniforge3" / "pkgs" / "still-writing"
    before = written.stat().st_mtime_ns
    time.sleep(0.5)
    assert written.stat().st_mtime_ns == before  # nothing writes into the root any more
