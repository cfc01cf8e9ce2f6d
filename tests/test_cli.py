"""The command line as users meet it: entry points, help, version, exit codes, start-up imports."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.support.cli import tfm1, tfm1_json
from tfm1 import __version__
from tfm1.cli import COMMANDS, build_app

HEAVY = ("rich", "requests", "yaml", "rattler", "lief", "conda_lock", "tensorflow", "uv")


def test_version() -> None:
    result = tfm1("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"tfm1 {__version__}")


def test_console_script_is_installed() -> None:
    script = subprocess.run(
        [sys.executable, "-c", "import shutil, sys, os; print(os.path.join(os.path.dirname(sys.executable), 'tfm1'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == f"tfm1 {__version__}"


def test_help_lists_doctor_and_no_command_is_a_usage_error() -> None:
    result = tfm1("--help")
    assert result.returncode == 0 and "doctor" in result.stdout
    bare = tfm1()
    assert bare.returncode == 2 and "Usage: tfm1" in bare.stdout + bare.stderr and "doctor" in bare.stdout + bare.stderr


def _modules_after(code: str) -> set[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


# Standard-library and packaging modules that each cost doctor's start-up 3-20 ms (benchmarks/bench_doctor.py).
SLOW_FOR_DOCTOR = ("dataclasses", "inspect", "pathlib", "platform", "tomllib", "tomli", "packaging.specifiers")


def _run_main(*argv: str) -> str:
    return (
        "import contextlib, io\nfrom tfm1.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    main({list(argv)!r})"
    )


# What typer itself imports before any tfm1 code runs: the floor tfm1's own imports are measured against.
FLOOR = "import typer.main"


@pytest.mark.parametrize("argv", [("--help",), ("doctor", "--help")])
def test_help_imports_nothing_heavy(argv: tuple[str, ...]) -> None:
    loaded = _modules_after(_run_main(*argv))
    assert _heavy(loaded) == []  # typer's rich panels are off: rich alone would triple the help's start-up
    assert sorted(m for m in loaded if m.startswith("tfm1.") and not m.startswith(("tfm1.cli", "tfm1.commands"))) == [
        "tfm1.errors"
    ]


# The report for people is printed by rich, like every command's output, and rich imports dataclasses.
@pytest.mark.parametrize(
    ("argv", "printer", "printer_slow"),
    [(("doctor", "--json"), [], []), (("doctor",), ["rich"], ["dataclasses"])],
)
def test_doctor_imports_nothing_heavy_nor_slow_and_never_tensorflow(
    argv: tuple[str, ...], printer: list[str], printer_slow: list[str]
) -> None:
    loaded = _modules_after(_run_main(*argv))
    assert _heavy(loaded) == printer
    # typer imports pathlib, inspect and platform itself; tfm1 must add none of the slow modules on top of that.
    assert sorted((loaded - _modules_after(FLOOR)) & set(SLOW_FOR_DOCTOR)) == printer_slow
    assert sorted(m for m in loaded if m.startswith("tfm1.commands.")) == [
        "tfm1.commands.common",
        "tfm1.commands.doctor",
    ]


def test_requirement_checks_import_no_packaging_parsers() -> None:
    # A TensorFlow stack's Requires-Dist (tf-requirement-conflict) is read without packaging's parsers.
    scenario = str(Path(__file__).parent / "scenarios" / "m1-tf2161-ml-dtypes-020.json")
    loaded = _modules_after(_run_main("doctor", "--snapshot", scenario))
    assert "tfm1.doctor.requirements" in loaded
    assert sorted(m for m in loaded if m.startswith("packaging.") and m != "packaging.version") == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_built_alone_has_the_same_help_as_in_the_whole_app(command: str) -> None:
    def help_text(only: str | None) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            build_app(only)([command, "--help"], prog_name="tfm1")
        return out.getvalue()

    assert help_text(command) == help_text(None)
    assert f"Usage: tfm1 {command}" in help_text(command)


def test_doctor_on_this_linux_machine_says_not_macos() -> None:
    code, report = tfm1_json("doctor")
    assert code == 0
    assert ("not-macos", "info") in [(f["code"], f["severity"]) for f in report["findings"]]
    assert report["facts"]["machine"]["system"] == "Linux"


def test_doctor_checks_a_given_python() -> None:
    _, report = tfm1_json("doctor", "--python", sys.executable)
    assert report["facts"]["python"]["source"] == "--python"
    assert report["facts"]["python"]["version"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")


PYTHON_FIX = "  fix: give the path of a Python interpreter, its name on PATH, or an environment's folder"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("/nonexistent/bin/python", "--python /nonexistent/bin/python: no such file"),
        ("no-such-python3.99", "--python no-such-python3.99: not found on PATH, nor an environment of that name"),
        ("/proc/self", "--python /proc/self is a folder without bin/python"),
    ],
)
def test_a_python_that_is_not_there_is_a_usage_error(given: str, message: str) -> None:
    result = tfm1("doctor", "--python", given)
    assert result.returncode == 2
    assert result.stderr == f"tfm1: error: {message}.\n{PYTHON_FIX}\n"


def _venv(tmp_path: Path) -> Path:
    target = tmp_path / "env"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(target)
    return target


def test_python_may_be_an_environment_folder_a_relative_path_or_a_name_on_path(tmp_path: Path) -> None:
    env = _venv(tmp_path)
    reference = tfm1_json("doctor", "--python", str(env / "bin" / "python"))[1]["facts"]["python"]
    assert reference["path"] == str(env / "bin" / "python") and reference["kind"] == "venv"
    by_folder = tfm1_json("doctor", "--python", str(env))[1]["facts"]["python"]
    relative = tfm1_json("doctor", "--python", "env/bin/python", cwd=tmp_path)[1]["facts"]["python"]
    on_path = {**os.environ, "PATH": f"{env / 'bin'}:{os.environ['PATH']}"}
    by_name = tfm1_json("doctor", "--python", "python", env=on_path)[1]["facts"]["python"]
    for facts in (by_folder, relative, by_name):
        assert facts == {**reference, "source": "--python"}


def test_a_relative_python_is_saved_absolute_and_replays_the_same(tmp_path: Path) -> None:
    _venv(tmp_path)
    live = tfm1_json("doctor", "--python", "env/bin/python", "--save-snapshot", "s.json", cwd=tmp_path)[1]
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["python"] == str(tmp_path / "env" / "bin" / "python")
    replayed = tfm1_json("doctor", "--snapshot", str(tmp_path / "s.json"))[1]
    assert replayed["facts"]["python"].pop("source") == "snapshot"
    live["facts"]["python"].pop("source")
    assert replayed == live
    replay_relative = tfm1("doctor", "--snapshot", str(tmp_path / "s.json"), "--python", "env/bin/python")
    assert replay_relative.returncode == 2 and "a snapshot's paths are absolute" in replay_relative.stderr


def test_snapshot_and_save_snapshot_exclude_each_other() -> None:
    result = tfm1("doctor", "--snapshot", "a.json", "--save-snapshot", "b.json")
    assert result.returncode == 2 and "--snapshot and --save-snapshot cannot be used together" in result.stderr


def test_unwritable_save_snapshot_is_a_usage_error() -> None:
    result = tfm1("doctor", "--save-snapshot", "/proc/no/such/dir/s.json")
    assert result.returncode == 2 and "cannot write snapshot" in result.stderr and "Traceback" not in result.stderr


def test_closed_stdout_is_not_a_traceback() -> None:
    command = f"{sys.executable} -m tfm1 doctor --json | head -c 1 >/dev/null"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert "Traceback" not in result.stderr


# --- the typer command layer: usage errors, mutual exclusion, errors, the console ------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_option_is_a_usage_error_with_that_commands_usage(command: str) -> None:
    result = tfm1(command, "--no-such-option")
    assert result.returncode == 2
    assert f"Usage: tfm1 {command} [OPTIONS]" in result.stderr and "No such option: --no-such-option" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_no_command_prints_the_help() -> None:
    bare = tfm1()
    assert bare.returncode == 2
    assert "Usage: tfm1 [OPTIONS] COMMAND" in bare.stdout + bare.stderr
    assert all(command in bare.stdout + bare.stderr for command in COMMANDS)


@pytest.mark.parametrize(
    ("argv", "first", "second"),
    [
        (("doctor", "--snapshot", "a.json", "--save-snapshot", "b.json"), "--snapshot", "--save-snapshot"),
        (("setup", "--name", "tf", "--prefix", "/tmp/tf"), "--name", "--prefix"),
        (("remove", "--name", "tf", "--prefix", "/tmp/tf"), "--name", "--prefix"),
        (("verify", "--name", "tf", "--python", "python3"), "--name", "--python"),
        (("verify", "--prefix", "/tmp/tf", "--python", "python3"), "--prefix", "--python"),
    ],
)
def test_options_that_exclude_each_other_are_a_usage_error_naming_both(
    argv: tuple[str, ...], first: str, second: str
) -> None:
    result = tfm1(*argv)
    assert result.returncode == 2
    assert f"{first} and {second} cannot be used together" in result.stderr
    assert f"Usage: tfm1 {argv[0]} [OPTIONS]" in result.stderr


def test_remove_needs_a_name_or_a_prefix() -> None:
    result = tfm1("remove")
    assert result.returncode == 2 and "--name N or --prefix PATH" in result.stderr


@pytest.mark.parametrize("command", ["verify", "remove"])
def test_an_environment_name_that_matches_nothing_is_exit_2_for_every_command(tmp_path: Path, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "VIRTUAL_ENV"))}
    result = tfm1(
        command,
        "--name",
        "nosuchenv",
        "--yes" if command == "remove" else "--quick",
        env={**env, "HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "tfm1: error: --name nosuchenv: no conda environment of that name was found.",
        "  fix: list them with `conda env list`, or give --prefix PATH",
    ]


def test_a_bad_value_is_a_usage_error_naming_the_option() -> None:
    for argv, message in (
        (("verify", "--timeout", "0"), "must be more than 0"),
        (("verify", "--dataset", "cifar"), "'cifar' is not one of 'synthetic', 'mnist'"),
    ):
        result = tfm1(*argv)
        assert result.returncode == 2 and message in result.stderr and "Usage: tfm1 verify" in result.stderr


@pytest.mark.parametrize(
    ("variables", "colour", "any_escape"),
    [
        ({}, False, False),  # not a terminal
        ({"FORCE_COLOR": "1"}, True, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, True),  # bold stays: NO_COLOR is about colour
        ({"FORCE_COLOR": "1", "TERM": "dumb"}, False, False),
    ],
)
def test_the_console_honours_the_colour_variables(variables: dict[str, str], colour: bool, any_escape: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TERM")}
    result = tfm1("matrix", "--tf", "2.19.1", "--metal", "1.2.0", env={**env, **variables})
    assert result.returncode == 0
    assert ("\x1b[32m" in result.stdout) == colour  # "works" in green
    assert ("\x1b[" in result.stdout) == any_escape
