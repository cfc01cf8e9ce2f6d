"""The command line as users meet it: entry points, help, version, exit codes, start-up imports."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cli import tfm1, tfm1_json
from tfm1 import __version__

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
    assert bare.returncode == 2 and "usage: tfm1" in bare.stdout


def _modules_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    return json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_help_imports_nothing_heavy() -> None:
    assert _modules_after("from tfm1.cli import build_parser\nbuild_parser()") == []


def test_doctor_json_imports_nothing_heavy_and_never_tensorflow() -> None:
    loaded = _modules_after(
        "import contextlib, io\nfrom tfm1.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['doctor', '--json'])"
    )
    assert loaded == []


def test_doctor_on_this_linux_machine_says_not_macos() -> None:
    code, report = tfm1_json("doctor")
    assert code == 0
    assert ("not-macos", "info") in [(f["code"], f["severity"]) for f in report["findings"]]
    assert report["facts"]["machine"]["system"] == "Linux"


def test_doctor_checks_a_given_python() -> None:
    _, report = tfm1_json("doctor", "--python", sys.executable)
    assert report["facts"]["python"]["source"] == "--python"
    assert report["facts"]["python"]["version"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")


def test_missing_python_is_a_usage_error() -> None:
    result = tfm1("doctor", "--python", "/nonexistent/bin/python")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "tfm1: error: --python /nonexistent/bin/python: no such file Fix: give the path of a Python interpreter"
    )


def test_snapshot_and_save_snapshot_exclude_each_other() -> None:
    result = tfm1("doctor", "--snapshot", "a.json", "--save-snapshot", "b.json")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


def test_unwritable_save_snapshot_is_a_usage_error() -> None:
    result = tfm1("doctor", "--save-snapshot", "/proc/no/such/dir/s.json")
    assert result.returncode == 2 and "cannot write snapshot" in result.stderr and "Traceback" not in result.stderr


def test_closed_stdout_is_not_a_traceback() -> None:
    command = f"{sys.executable} -m tfm1 doctor --json | head -c 1 >/dev/null"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    assert "Traceback" not in result.stderr
