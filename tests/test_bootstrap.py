"""bootstrap/install.sh run on a pretend Mac: stub sysctl & co., a local server with a fake Miniforge and tfm1."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import tfm1
from tests.support.bootstrap_sandbox import (
    INSTALL_SH,
    INSTALLER_NAME,
    REPO,
    SHELLS,
    Mac,
    Sandbox,
    build_probe_wheel,
    build_wheel,
    probe_log_entries,
    shell_argv,
)
from tests.support.cli import one_error
from tfm1 import miniforge_release


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    sandbox = Sandbox.create(tmp_path / "mac")
    # The checkout's install.sh installs only what TFM1_PACKAGE names (tests/test_release.py covers both cases).
    sandbox.env["TFM1_PACKAGE"] = str(REPO)
    return sandbox


@pytest.fixture
def mac(sandbox: Sandbox, httpserver: HTTPServer) -> Mac:
    return Mac.serve(sandbox, httpserver, build_probe_wheel())


def _nothing_installed(sandbox: Sandbox) -> None:
    assert sandbox.home_files() == set()
    assert list(sandbox.tmp.iterdir()) == [], "the download was not cleaned up"


# --- refusals: each one line with the explanation and the fix, before anything is changed -----------------------


@pytest.mark.parametrize(
    ("env", "explanation", "fix"),
    [
        ({"FAKE_OS": "Linux"}, "this is Linux", "git clone https://github.com/tfm1/tfm1 && pipx install ./tfm1"),
        ({"FAKE_OS": "FreeBSD"}, "this is FreeBSD", "Apple-silicon Mac"),
        ({"FAKE_CPU": "intel"}, "this Mac has an Intel processor", "pipx install ./tfm1"),
        ({"FAKE_UID": "0"}, "do not run this installer as root", "without sudo"),
        ({"FAKE_MACOS": "11.7.10"}, "macOS 11.7.10 is too old", "Software Update"),
        ({"FAKE_MACOS": "10.16"}, "SYSTEM_VERSION_COMPAT", "unset SYSTEM_VERSION_COMPAT"),
    ],
    ids=["linux", "other-os", "intel-mac", "root", "macos-11", "version-compat"],
)
def test_refuses_an_unsupported_machine_with_the_fix(
    sandbox: Sandbox, env: dict[str, str], explanation: str, fix: str
) -> None:
    result = sandbox.run("--yes", env=env)
    assert result.returncode == 1
    assert explanation in one_error(result.stderr)
    assert fix in result.stderr.splitlines()[1]
    assert not re.search(r"pipx install tfm1(?!==)", result.stderr)  # never whatever PyPI has under the name
    _nothing_installed(sandbox)


def test_refuses_without_curl(tmp_path: Path) -> None:
    sandbox = Sandbox.create(tmp_path, without=["curl"])
    result = sandbox.run("--yes")
    assert result.returncode == 1
    assert "curl is not on PATH" in result.stderr
    _nothing_installed(sandbox)


def test_rosetta_when_piped_stops_with_the_exact_native_command(sandbox: Sandbox) -> None:
    result = sandbox.run("--yes", "--profile", "my profile", env={"FAKE_TRANSLATED": "1"})
    assert result.returncode == 1
    assert "runs under Rosetta 2" in result.stderr
    assert "illegal hardware instruction" in result.stderr
    command = "curl -fsSL https://github.com/tfm1/tfm1/releases/latest/download/install.sh"
    assert f"{command} | arch -arm64 /bin/sh -s -- --yes --profile 'my profile'" in result.stderr
    assert sandbox.calls("arch") == []
    _nothing_installed(sandbox)


def test_rosetta_from_a_file_starts_itself_again_natively(sandbox: Sandbox) -> None:
    result = sandbox.run("--dry-run", "--name", "tf", piped=False, env={"FAKE_TRANSLATED": "1"})
    assert result.returncode == 0, result.stderr
    assert sandbox.calls("arch") == [["arch", "-arm64", "/bin/sh", str(INSTALL_SH), "--dry-run", "--name", "tf"]]
    assert "starting the installer again natively" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    _nothing_installed(sandbox)


def test_rosetta_that_arch_cannot_leave_is_an_error_not_a_loop(sandbox: Sandbox) -> None:
    result = sandbox.run("--dry-run", piped=False, env={"FAKE_TRANSLATED": "1", "FAKE_ARCH_TRANSLATED": "1"})
    assert result.returncode == 1
    assert "still runs under Rosetta 2 after arch -arm64" in result.stderr
    assert len(sandbox.calls("arch")) == 1


# --- consent ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        ({}, "there is no terminal to ask on"),
        ({"CI": "true"}, "CI is set"),
        ({"NONINTERACTIVE": "1"}, "NONINTERACTIVE is set"),
    ],
)
def test_without_yes_and_without_a_terminal_stops_before_any_change(
    sandbox: Sandbox, env: dict[str, str], reason: str
) -> None:
    result = sandbox.run(env=env, timeout=60)
    assert result.returncode == 1
    assert "[y/N]" not in result.stdout + result.stderr
    assert reason in result.stderr
    assert "--yes" in result.stderr.split("\n  fix: ")[1]
    assert "This will:" in result.stdout  # the plan is shown first
    _nothing_installed(sandbox)


def test_dry_run_shows_the_pinned_download_and_changes_nothing(sandbox: Sandbox) -> None:
    result = sandbox.run("--dry-run", "--profile", "metal")
    assert result.returncode == 0, result.stderr
    assert miniforge_release.installer_url("arm64") in result.stdout
    assert miniforge_release.SHA256["arm64"] in result.stdout
    assert "run: ~/.tfm1/bin/tfm1 setup --profile metal --dry-run" in result.stdout
    assert sandbox.calls("curl") == []
    _nothing_installed(sandbox)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TFM1_MINIFORGE_SHA256": "a" * 64}, "only used together with TFM1_MINIFORGE_URL"),
        ({"TFM1_MINIFORGE_URL": "https://mirror.example/m.sh", "TFM1_MINIFORGE_SHA256": "xyz"}, "64 hexadecimal"),
        ({"TFM1_MINIFORGE_URL": "ftp://mirror.example/m.sh"}, "https://"),
    ],
)
def test_miniforge_overrides_are_checked(sandbox: Sandbox, env: dict[str, str], message: str) -> None:
    result = sandbox.run("--yes", env=env)
    assert result.returncode == 2
    assert message in result.stderr


# --- the download -----------------------------------------------------------------------------------------------


@pytest.mark.network
def test_a_mirror_without_its_own_sha256_is_held_to_the_pinned_one(mac: Mac) -> None:
    # The fake installer is not the pinned release: with only the URL overridden, the pinned hash must reject it.
    del mac.env["TFM1_MINIFORGE_SHA256"]
    result = mac.sandbox.run("--yes")
    assert result.returncode == 1
    assert f"not the pinned {miniforge_release.SHA256['arm64']}" in result.stderr
    assert hashlib.sha256(mac.installer).hexdigest() in result.stderr
    assert "nothing was installed" in result.stderr
    assert mac.installer_downloads() == 1
    assert mac.sandbox.calls("miniforge-installer") == []
    _nothing_installed(mac.sandbox)


@pytest.mark.network
def test_a_cut_off_download_fails_the_checksum_and_installs_nothing(mac: Mac) -> None:
    mac.server.clear_all_handlers()
    half = mac.installer[: len(mac.installer) // 2]
    mac.server.expect_request(f"/miniforge/{INSTALLER_NAME}").respond_with_data(half)
    result = mac.sandbox.run("--yes")
    assert result.returncode == 1
    assert "nothing was installed" in result.stderr
    assert mac.sandbox.calls("miniforge-installer") == []
    assert not (mac.sandbox.home / "miniforge3").exists()


@pytest.mark.network
def test_a_failed_download_names_the_url(mac: Mac) -> None:
    mac.env["TFM1_MINIFORGE_URL"] = mac.server.url_for("/missing/" + INSTALLER_NAME)
    mac.server.expect_request("/missing/" + INSTALLER_NAME).respond_with_data("not found", status=404)
    result = mac.sandbox.run("--yes")
    assert result.returncode == 1
    assert f"could not download {mac.env['TFM1_MINIFORGE_URL']}" in result.stderr
    assert not (mac.sandbox.home / "miniforge3").exists()


@pytest.mark.network
@pytest.mark.slow
def test_ctrl_c_during_the_miniforge_install_removes_the_partial_install(tmp_path: Path, mac: Mac) -> None:
    sandbox = Sandbox.create(tmp_path / "ctrl-c", extra_tools=["sleep"])
    sandbox.env.update({key: value for key, value in mac.env.items() if key.startswith("TFM1_")})
    hanging = sandbox.root / "installer-is-running"
    env = {**sandbox.env, "FAKE_INSTALLER_HANG": str(hanging)}
    argv = [*shell_argv("dash"), "-s", "--", "--yes"]
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
    )
    assert process.stdin is not None
    process.stdin.write(INSTALL_SH.read_bytes())
    process.stdin.close()
    deadline = time.monotonic() + 120
    while not hanging.exists():
        assert time.monotonic() < deadline and process.poll() is None, "the installer never started"
        time.sleep(0.05)
    assert (sandbox.home / "miniforge3" / "conda-meta").is_dir()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group gets it
    assert process.wait(timeout=60) == 130
    assert process.stderr is not None
    assert f"removing the incomplete {sandbox.home}/miniforge3" in process.stderr.read().decode()
    assert sandbox.home_files() == set()
    assert list(sandbox.tmp.iterdir()) == []


@pytest.mark.network
def test_no_checksum_tool_fails_closed(tmp_path: Path, mac: Mac) -> None:
    bare = Sandbox.create(tmp_path / "bare", without=["shasum"])
    bare.env.update({key: value for key, value in mac.env.items() if key.startswith("TFM1_")})
    result = bare.run("--yes")
    assert result.returncode == 1
    assert "neither shasum nor sha256sum" in result.stderr
    assert bare.calls("miniforge-installer") == []


# --- success ------------------------------------------------------------------------------------------------------


def _assert_installed(mac: Mac, result: subprocess.CompletedProcess[str], miniforge: Path) -> None:
    home = mac.sandbox.home
    assert result.returncode == 0, result.stderr
    assert mac.sandbox.receipt() == [
        f"dir={home}/.tfm1",
        f"miniforge={miniforge}",
        f"venv={home}/.tfm1/venv",
        f"dir={home}/.tfm1/bin",
        f"link={home}/.tfm1/bin/tfm1",
    ]
    link = home / ".tfm1" / "bin" / "tfm1"
    assert link.readlink() == home / ".tfm1" / "venv" / "bin" / "tfm1"
    assert (home / ".tfm1" / "venv" / "pyvenv.cfg").read_text().count(f"home = {miniforge}/bin") == 1


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("shell", SHELLS)
def test_apple_silicon_installs_and_hands_over_to_setup(mac: Mac, shell: str) -> None:
    # A user's stray PYTHONHOME would break every interpreter the installer starts if it were passed on.
    result = mac.sandbox.run("--yes", shell=shell, env={"PYTHONHOME": "/nonexistent", "PYTHONPATH": "/nonexistent"})
    home = mac.sandbox.home
    _assert_installed(mac, result, home / "miniforge3")
    assert mac.sandbox.calls("miniforge-installer") == [
        ["miniforge-installer", "-b", "-p", f"{home}/miniforge3", "stdin=/dev/null"]
    ]
    assert probe_log_entries(mac.probe_log) == [
        {"argv": ["setup", "--yes"], "stdin": "/dev/null", "conda_exe": f"{home}/miniforge3/bin/conda"}
    ]
    assert "==> Running: ~/.tfm1/bin/tfm1 setup --yes" in result.stdout
    # PATH: one line to copy, and no startup file touched.
    assert """echo 'export PATH="$HOME/.tfm1/bin:$PATH"' >> ~/.zprofile""" in result.stdout
    assert not {".zprofile", ".zshrc", ".bash_profile", ".bashrc", ".profile"} & mac.sandbox.home_files()
    assert list(mac.sandbox.tmp.iterdir()) == []


@pytest.mark.network
@pytest.mark.parametrize("shell", SHELLS)
def test_a_miniforge_mark_that_cannot_be_written_is_reported_and_the_new_miniforge_removed(
    mac: Mac, shell: str
) -> None:
    # Each shell would end at once on a failed redirection of `:` (a special built-in), before the error and the
    # roll-back: what the installer writes must go through a command that fails like any other.
    result = mac.sandbox.run("--yes", shell=shell, env={"FAKE_INSTALLER_DIR": ".tfm1-bootstrap-installed"})
    assert result.returncode == 1, result.stderr
    home = mac.sandbox.home
    mark = f"{home}/miniforge3/.tfm1-bootstrap-installed"
    assert result.stderr.splitlines()[-3:] == [
        f"tfm1: error: cannot write {mark}, so the new Miniforge was removed again.",
        f"  fix: check the permissions of {home} and run the installer again",
        f"tfm1: warning: removing the incomplete {home}/miniforge3",
    ]
    assert mac.sandbox.home_files() == set() and list(mac.sandbox.tmp.iterdir()) == []


@pytest.mark.network
@pytest.mark.slow
def test_a_second_run_downloads_nothing_and_changes_nothing(mac: Mac) -> None:
    first = mac.sandbox.run("--yes")
    assert first.returncode == 0, first.stderr
    receipt = (mac.sandbox.home / ".tfm1" / "bootstrap-receipt").read_bytes()
    files = mac.sandbox.home_files()
    mac.sandbox.log.write_text("")
    second = mac.sandbox.run("--yes")
    assert second.returncode == 0, second.stderr
    assert mac.installer_downloads() == 1
    assert mac.sandbox.calls("curl") == []
    assert mac.sandbox.calls("miniforge-installer") == []
    assert "tfm1 is already installed" in second.stdout
    assert (mac.sandbox.home / ".tfm1" / "bootstrap-receipt").read_bytes() == receipt
    assert mac.sandbox.home_files() == files
    assert [entry["argv"] for entry in probe_log_entries(mac.probe_log)] == [["setup", "--yes"], ["setup", "--yes"]]


@pytest.mark.network
@pytest.mark.slow
def test_setup_options_are_passed_on_exactly(mac: Mac) -> None:
    args = ("--profile", "keras 2", "--name=tf", "--no-verify")
    result = mac.sandbox.run(*args, "-y")
    assert result.returncode == 0, result.stderr
    expected = ["setup", "--profile", "keras 2", "--name", "tf", "--yes", "--no-verify"]
    assert probe_log_entries(mac.probe_log)[-1]["argv"] == expected
    assert "==> Running: ~/.tfm1/bin/tfm1 setup --profile 'keras 2' --name tf --yes --no-verify" in result.stdout
    # The same through TFM1_* variables, as `curl | sh` users set them; then a dry run reaches setup's own dry run.
    env = {"TFM1_YES": "1", "TFM1_PROFILE": "keras 2", "TFM1_NAME": "tf", "TFM1_NO_VERIFY": "1", "TFM1_DRY_RUN": "1"}
    dry = mac.sandbox.run(env=env)
    assert dry.returncode == 0, dry.stderr
    assert probe_log_entries(mac.probe_log)[-1]["argv"] == [*expected, "--dry-run"]


@pytest.mark.network
@pytest.mark.slow
def test_a_failing_setup_is_reported_with_the_command_to_run_again(mac: Mac) -> None:
    result = mac.sandbox.run("--yes", env={"TFM1_PROBE_EXIT": "3"})
    assert result.returncode == 3
    assert "tfm1 setup failed (exit 3); tfm1 itself is installed" in result.stderr
    assert "run: ~/.tfm1/bin/tfm1 setup --yes" in result.stderr
    assert (mac.sandbox.home / ".tfm1" / "bin" / "tfm1").is_symlink()


@pytest.mark.network
@pytest.mark.slow
def test_sha256sum_is_used_where_shasum_is_missing(tmp_path: Path, mac: Mac) -> None:
    linux_like = Sandbox.create(tmp_path / "no-shasum", without=["shasum"], extra_tools=["sha256sum"])
    linux_like.env.update({key: value for key, value in mac.env.items() if key.startswith("TFM1_")})
    result = linux_like.run("--yes")
    assert result.returncode == 0, result.stderr
    assert len(linux_like.calls("sha256sum")) == 1


# --- existing conda installations ----------------------------------------------------------------------------------


@pytest.mark.network
@pytest.mark.slow
def test_an_existing_arm64_conda_is_reused_and_an_x86_one_is_left_alone(mac: Mac) -> None:
    home = mac.sandbox.home
    mac.sandbox.make_conda_root(home / "miniforge3", "osx-64")
    mac.sandbox.make_conda_root(home / "mambaforge", "osx-arm64")
    before = {path: path.stat().st_mtime_ns for path in (home / "miniforge3").rglob("*")}
    result = mac.sandbox.run("--yes")
    assert result.returncode == 0, result.stderr
    assert "not using ~/miniforge3: it is a osx-64 (not osx-arm64) installation" in result.stderr
    assert "use the arm64 conda installation in ~/mambaforge" in result.stdout
    assert mac.installer_downloads() == 0
    assert "miniforge=" not in "\n".join(mac.sandbox.receipt())
    assert {path: path.stat().st_mtime_ns for path in (home / "miniforge3").rglob("*")} == before
    assert (home / ".tfm1" / "venv" / "pyvenv.cfg").read_text().count(f"home = {home}/mambaforge/bin") == 1


def test_an_x86_conda_in_the_default_place_blocks_with_the_fix(sandbox: Sandbox) -> None:
    sandbox.make_conda_root(sandbox.home / "miniforge3", "osx-64")
    result = sandbox.run("--dry-run")
    assert result.returncode == 1
    assert "exists but cannot be used" in result.stderr
    assert "--miniforge-prefix PATH" in result.stderr


def test_miniforge_prefix_of_an_x86_conda_is_refused(sandbox: Sandbox) -> None:
    sandbox.make_conda_root(sandbox.root / "x86", "osx-64")
    result = sandbox.run("--yes", "--miniforge-prefix", str(sandbox.root / "x86"))
    assert result.returncode == 1
    assert "osx-64 (not osx-arm64)" in result.stderr
    assert sandbox.calls("curl") == []


def test_miniforge_prefix_with_a_space_is_refused(sandbox: Sandbox) -> None:
    result = sandbox.run("--yes", "--miniforge-prefix", str(sandbox.root / "my conda"))
    assert result.returncode == 1
    assert "path with spaces" in result.stderr


@pytest.mark.network
@pytest.mark.slow
def test_miniforge_prefix_installs_there_and_a_rerun_finds_it_again(mac: Mac) -> None:
    prefix = mac.sandbox.root / "opt" / "mf"
    result = mac.sandbox.run("--yes", f"--miniforge-prefix={prefix}")
    _assert_installed(mac, result, prefix)
    # setup is told which conda installation to use: a root outside the usual places is not found otherwise.
    assert probe_log_entries(mac.probe_log)[-1]["conda_exe"] == f"{prefix}/bin/conda"
    assert f"CONDA_EXE={prefix}/bin/conda ~/.tfm1/bin/tfm1 setup --yes" in result.stdout
    again = mac.sandbox.run("--yes")
    assert again.returncode == 0, again.stderr
    assert mac.installer_downloads() == 1


@pytest.mark.network
@pytest.mark.slow
def test_a_failed_pip_install_rolls_back_the_venv_and_keeps_miniforge(mac: Mac) -> None:
    mac.env["TFM1_PACKAGE"] = mac.server.url_for("/wheels/missing-0.0.1-py3-none-any.whl")
    mac.server.expect_request("/wheels/missing-0.0.1-py3-none-any.whl").respond_with_data("not found", status=404)
    result = mac.sandbox.run("--yes")
    assert result.returncode == 1
    assert "pip could not install" in result.stderr
    home = mac.sandbox.home
    assert not (home / ".tfm1" / "venv").exists()
    assert mac.sandbox.receipt() == [f"dir={home}/.tfm1", f"miniforge={home}/miniforge3"]


# --- a terminal: prompts read /dev/tty while stdin is the piped script ---------------------------------------------


def test_a_no_on_the_terminal_changes_nothing(sandbox: Sandbox) -> None:
    result, terminal = sandbox.run_with_terminal(answer="n", timeout=60)
    assert "Proceed? [y/N]" in terminal
    assert "[y/N]" not in result.stdout
    assert result.returncode == 1
    assert "Nothing was changed." in result.stdout
    assert sandbox.home_files() == set()


def test_ci_does_not_prompt_even_with_a_terminal(sandbox: Sandbox) -> None:
    result, terminal = sandbox.run_with_terminal(answer="y", env={"CI": "1"}, timeout=60)
    assert "[y/N]" not in terminal
    assert result.returncode == 1
    assert "CI is set and --yes was not given" in result.stderr
    assert sandbox.home_files() == set()


@pytest.mark.network
@pytest.mark.slow
def test_a_yes_on_the_terminal_installs(mac: Mac) -> None:
    result, terminal = mac.sandbox.run_with_terminal(answer="y")
    assert "Proceed? [y/N]" in terminal
    assert result.returncode == 0, result.stderr
    # Consent at the prompt covers the plan's `tfm1 setup --yes`: setup itself gets /dev/null and cannot ask.
    assert probe_log_entries(mac.probe_log) == [
        {"argv": ["setup", "--yes"], "stdin": "/dev/null", "conda_exe": f"{mac.sandbox.home}/miniforge3/bin/conda"}
    ]


# --- the real tfm1 package ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tfm1_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(REPO, tmp_path_factory.mktemp("tfm1-dist"))


@pytest.mark.network
@pytest.mark.slow
def test_installs_this_repository_s_tfm1_with_its_dependencies(mac: Mac, tfm1_wheel: Path) -> None:
    mac.server.expect_request(f"/wheels/{tfm1_wheel.name}").respond_with_data(tfm1_wheel.read_bytes())
    mac.env["TFM1_PACKAGE"] = mac.server.url_for(f"/wheels/{tfm1_wheel.name}")
    result = mac.sandbox.run("--yes", "--profile", "no-such-profile", "--no-verify")
    link = mac.sandbox.home / ".tfm1" / "bin" / "tfm1"
    assert f"==> tfm1 is ready: ~/.tfm1/bin/tfm1 (tfm1 {tfm1.__version__})" in result.stdout, result.stderr
    assert "==> Running: ~/.tfm1/bin/tfm1 setup --profile no-such-profile --yes --no-verify" in result.stdout
    # The hand-over reached the real CLI: whatever `tfm1 setup` makes of an unknown profile, it is a one-line error
    # from tfm1 (no traceback) and the installer passes its exit status on.
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"tfm1 setup failed (exit {result.returncode}); tfm1 itself is installed" in result.stderr
    doctor = subprocess.run(
        [str(link), "doctor", "--json"], capture_output=True, text=True, env=mac.env, timeout=120, check=False
    )
    assert doctor.returncode in (0, 1), doctor.stderr
    assert json.loads(doctor.stdout)["findings"] is not None, doctor.stdout


# --- what is already in ~/.tfm1 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("made", "message"), [("venv", "does not run tfm1 and was not made"), ("link", "was not made by this installer")]
)
def test_a_venv_or_link_it_did_not_make_stops_before_any_change(sandbox: Sandbox, made: str, message: str) -> None:
    target = sandbox.home / ".tfm1" / ("venv" if made == "venv" else "bin/tfm1")
    target.parent.mkdir(parents=True)
    if made == "venv":
        target.mkdir()
    else:
        target.write_text("#!/bin/sh\n")
    before = sandbox.home_files()
    result = sandbox.run("--yes")
    assert result.returncode == 1
    assert f"{target} exists" in result.stderr and message in result.stderr
    assert sandbox.calls("curl") == []
    assert sandbox.home_files() == before


@pytest.mark.network
@pytest.mark.slow
def test_a_broken_venv_it_made_is_made_again(mac: Mac) -> None:
    first = mac.sandbox.run("--yes")
    assert first.returncode == 0, first.stderr
    receipt = mac.sandbox.receipt()
    (mac.sandbox.home / ".tfm1" / "venv" / "bin" / "tfm1").unlink()
    again = mac.sandbox.run("--yes")
    assert again.returncode == 0, again.stderr
    assert "~/.tfm1/venv does not run tfm1; making it again" in again.stdout
    assert mac.sandbox.receipt() == receipt
    assert len(probe_log_entries(mac.probe_log)) == 2
