"""`tfm1 verify` failure paths, each with a real process: interpreters that die by SIGILL or a segfault, a
Python without TensorFlow, one whose TensorFlow fails on the Metal plugin, scripts that hang or are not Python,
and targets that do not exist."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import tfm1, tfm1_json
from tfm1.verify.script_runner import run_script

# The text TensorFlow 2.20+ raises on a Mac with tensorflow-metal 1.2.0 (knowledge file, section 1).
METAL_ERROR = (
    "dlopen(/Users/me/env/lib/python3.11/site-packages/tensorflow-plugins/libmetal_plugin.dylib, 0x0006): "
    "Library not loaded: @rpath/_pywrap_tensorflow_internal.so"
)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user with no conda install and nothing activated, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_EXE")}
    env["HOME"] = str(home)
    env.update(extra)
    return env


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def venv(path: Path) -> Path:
    """A real virtual environment without pip (fast); returns its site-packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    (site,) = (path / "lib").glob("python3.*/site-packages")
    return site


def dist_info(site: Path, name: str, version: str) -> None:
    meta = site / f"{name.replace('-', '_')}-{version}.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")


def stand_in_tensorflow(site: Path, init: str) -> None:
    """A `tensorflow` package whose import does what `init` says: the failure, without TensorFlow's 600 MB."""
    (site / "tensorflow").mkdir()
    (site / "tensorflow" / "__init__.py").write_text(init, encoding="utf-8")


def run_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    code, document = tfm1_json("verify", *args, env=env)
    assert isinstance(document, dict)
    return code, document


# --- SIGILL ----------------------------------------------------------------------------------------------------


def test_interpreter_killed_by_sigill_gets_the_illegal_instruction_diagnosis(tmp_path: Path) -> None:
    python = executable(tmp_path / "bin" / "python", "#!/bin/sh\nkill -ILL $$\n")
    code, result = run_json("--python", str(python))
    assert code == 1
    assert result["ok"] is False
    assert result["returncode"] == -signal.SIGILL
    diagnosis = result["diagnosis"]
    assert diagnosis["kind"] == "illegal-instruction"
    assert "illegal hardware instruction (SIGILL)" in diagnosis["message"]
    # The doctor ran on that interpreter: its findings are the doctor's own for it.
    doctor_code, doctor = tfm1_json("doctor", "--python", str(python))
    assert doctor_code in (0, 1)
    assert [f["code"] for f in diagnosis["doctor_findings"]] == [f["code"] for f in doctor["findings"]]
    assert [f["title"] for f in diagnosis["doctor_findings"]] == [f["title"] for f in doctor["findings"]]
    assert diagnosis["doctor_findings"], "doctor always says something about a target (at least: not macOS)"


def test_shell_exit_status_132_counts_as_sigill(tmp_path: Path) -> None:
    # What a wrapper script reports when the Python it runs dies of SIGILL: 128 + 4.
    python = executable(tmp_path / "bin" / "python", "#!/bin/sh\nsh -c 'kill -ILL $$'\nexit $?\n")
    code, result = run_json("--python", str(python))
    assert code == 1
    assert result["returncode"] == 132
    assert result["diagnosis"]["kind"] == "illegal-instruction"


def test_sigill_while_importing_tensorflow_keeps_the_build_facts(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    dist_info(site, "tensorflow", "2.16.2")
    stand_in_tensorflow(site, "import os, signal\nos.kill(os.getpid(), signal.SIGILL)\n")
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    assert result["diagnosis"]["kind"] == "illegal-instruction"
    assert "while importing TensorFlow" in result["diagnosis"]["message"]
    build = result["checks"][0]
    assert build["key"] == "build"
    assert build["status"] == "fail"
    assert build["summary"].endswith("the interpreter stopped while importing TensorFlow")
    assert build["details"]["tensorflow"] == "2.16.2"
    assert build["details"]["python"] == "%d.%d.%d" % sys.version_info[:3]  # noqa: UP031


def test_sigill_human_output_shows_diagnosis_doctor_and_verdict(tmp_path: Path) -> None:
    python = executable(
        tmp_path / "bin" / "python", "#!/bin/sh\necho 'zsh: illegal hardware instruction' >&2\nkill -ILL $$\n"
    )
    done = tfm1("verify", "--python", str(python))
    assert done.returncode == 1
    assert "Diagnosis: illegal hardware instruction (SIGILL)" in done.stdout
    assert "zsh: illegal hardware instruction" in done.stdout  # the interpreter's last words are shown
    assert done.stdout.rstrip().splitlines()[-1].startswith("FAIL: illegal hardware instruction")
    assert "Traceback" not in done.stderr


def test_segfault_while_importing_tensorflow_is_named(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    stand_in_tensorflow(site, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    assert result["diagnosis"]["kind"] == "crashed"
    assert result["diagnosis"]["message"] == "the interpreter was killed by SIGSEGV while importing TensorFlow"


# A TensorFlow stand-in that passes the --quick checks in plain Python, then dies of SIGSEGV at interpreter exit
# (as a plugin's destructor can): every result is written before the crash.
QUICK_TF_CRASHING_AT_EXIT = """\
import atexit, os, signal

__version__ = "2.19.1"
atexit.register(lambda: os.kill(os.getpid(), signal.SIGSEGV))


class _Device:
    def __init__(self, name):
        self.name = name


class config:
    hidden = []

    @staticmethod
    def list_physical_devices(kind):
        return [_Device("/physical_device:%s:0" % kind)]

    @staticmethod
    def set_visible_devices(devices, kind):
        config.hidden.append(kind)


class _Tensor:
    def __init__(self, rows):
        self.rows, self.shape = rows, (len(rows), len(rows[0]))
        self.device = "/job:localhost/replica:0/task:0/device:CPU:0"

    def numpy(self):
        return self

    def reshape(self, _):
        return self

    def tolist(self):
        return [v for row in self.rows for v in row]


def constant(rows):
    return _Tensor(rows)


def matmul(a, b):
    return _Tensor([[sum(x * y for x, y in zip(row, col)) for col in zip(*b.rows)] for row in a.rows])
"""


def test_a_crash_at_exit_after_every_result_is_judged_from_the_results_with_a_warning(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    dist_info(site, "tensorflow", "2.19.1")
    stand_in_tensorflow(site, QUICK_TF_CRASHING_AT_EXIT)
    code, result = run_json("--prefix", str(tmp_path / "env"), "--quick", "--expect-gpu", "no")
    assert result["returncode"] == -signal.SIGSEGV
    assert result["diagnosis"] is None
    assert code == 0, result["verdict"]
    assert result["warnings"] == [
        "the interpreter was killed by SIGSEGV after finishing every check (a crash at exit); the results above are "
        "complete"
    ]
    devices = result["checks"][1]
    assert devices["summary"] == "1 CPU, 1 GPU (GPU:0), hidden: no GPU expected (--expect-gpu no)"
    human = tfm1("verify", "--prefix", str(tmp_path / "env"), "--quick")
    assert human.returncode == 0, human.stdout
    assert "Warning: the interpreter was killed by SIGSEGV after finishing every check" in human.stdout


# --- import failures -------------------------------------------------------------------------------------------


def test_python_without_tensorflow_says_so_with_the_setup_command(tmp_path: Path) -> None:
    venv(tmp_path / "env")
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    diagnosis = result["diagnosis"]
    assert diagnosis["kind"] == "tensorflow-missing"
    assert diagnosis["message"] == f"TensorFlow is not installed for {tmp_path / 'env' / 'bin' / 'python'}"
    assert diagnosis["fix"].startswith("tfm1 setup")
    assert result["checks"][0]["status"] == "fail"
    assert [c["status"] for c in result["checks"][1:]] == ["skip"] * 4


def test_empty_tensorflow_macos_is_named_as_the_reason(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    dist_info(site, "tensorflow-macos", "2.15.1")
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    assert result["diagnosis"]["kind"] == "tensorflow-missing"
    assert "tensorflow-macos 2.15.1 is an empty wheel" in result["diagnosis"]["message"]


def test_metal_plugin_import_failure_explains_the_version_mismatch(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    dist_info(site, "tensorflow", "2.21.0")
    dist_info(site, "tensorflow-metal", "1.2.0")
    stand_in_tensorflow(site, f"class NotFoundError(Exception):\n    pass\nraise NotFoundError({METAL_ERROR!r})\n")
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    diagnosis = result["diagnosis"]
    assert diagnosis["kind"] == "metal-mismatch"
    assert diagnosis["message"] == (
        "TensorFlow 2.21.0 and tensorflow-metal 1.2.0 do not load together: the Metal plugin "
        "(libmetal_plugin.dylib) failed to load, and TensorFlow loads every plugin at import"
    )
    assert diagnosis["details"]["pair"] == {
        "status": "broken",
        "reason": "tensorflow-metal 1.2.0 cannot load with TensorFlow 2.21.0",
    }
    assert diagnosis["fix"].startswith("pip install tensorflow==2.19.1 tensorflow-metal==1.2.0")


@pytest.mark.parametrize(
    ("tensorflow", "metal", "pair_note", "fix"),
    [
        # Known broken (TF >= 2.18 with metal 1.1.0): the plugin made for this TensorFlow is the fix.
        ("2.19.1", "1.1.0", "", "pip install tensorflow-metal==1.2.0"),
        # Not a known pair: the data says what the plugin was made for.
        ("2.15.0", "1.2.0", " (tensorflow-metal 1.2.0 is made for TensorFlow >=2.16,<2.20, not 2.15.0)", "1.1.0"),
    ],
)
def test_metal_mismatch_names_the_plugin_that_fits(
    tmp_path: Path, tensorflow: str, metal: str, pair_note: str, fix: str
) -> None:
    site = venv(tmp_path / "env")
    dist_info(site, "tensorflow", tensorflow)
    dist_info(site, "tensorflow-metal", metal)
    stand_in_tensorflow(
        site, "raise ImportError('Symbol not found: __ZN3tsl8internal10LogMessageC1EPKcii in libmetal_plugin.dylib')\n"
    )
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    assert result["diagnosis"]["kind"] == "metal-mismatch"
    assert result["diagnosis"]["message"].startswith(
        f"TensorFlow {tensorflow} and tensorflow-metal {metal} do not load together{pair_note}: the Metal plugin"
    )
    assert result["diagnosis"]["fix"].endswith(fix)


def test_other_import_error_is_reported_with_its_type(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    stand_in_tensorflow(
        site, "raise ImportError('A module that was compiled using NumPy 1.x cannot be run in NumPy 2.1.3')\n"
    )
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    assert result["diagnosis"]["kind"] == "import-failed"
    assert "ImportError: A module that was compiled using NumPy 1.x" in result["diagnosis"]["message"]


# --- hangs -----------------------------------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # dead, waiting for init to reap it


def test_a_script_that_sleeps_past_the_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    python = executable(tmp_path / "bin" / "python", f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nwait\n")
    start = time.monotonic()
    code, result = run_json("--python", str(python), "--timeout", "2")
    assert time.monotonic() - start < 30
    assert code == 1
    assert result["diagnosis"]["kind"] == "timeout"
    assert result["diagnosis"]["message"] == "timed out after 2 s"
    assert result["verdict"] == "FAIL: timed out after 2 s"
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(child), "the sleeping child of the interpreter outlived the timeout"


def test_a_hang_while_importing_tensorflow_names_the_stage(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    stand_in_tensorflow(site, "import time\ntime.sleep(300)\n")
    done = tfm1("verify", "--prefix", str(tmp_path / "env"), "--timeout", "3")
    assert done.returncode == 1
    assert "timed out after 3 s while importing TensorFlow" in done.stdout


def test_runner_reports_progress_and_partial_results(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    stand_in_tensorflow(site, "import time\ntime.sleep(300)\n")
    stages: list[str] = []
    run = run_script(str(tmp_path / "env" / "bin" / "python"), timeout=3, progress=stages.append)
    assert run.timed_out
    assert stages == ["build", "import"]
    assert run.data is not None and run.data["stage"] == "import"
    assert run.data["build"]["prefix"] == str(tmp_path / "env")


# --- not a Python, no target -----------------------------------------------------------------------------------


def test_a_python_exiting_midway_is_reported_with_the_stage(tmp_path: Path) -> None:
    site = venv(tmp_path / "env")
    stand_in_tensorflow(site, "import sys\nsys.stderr.write('fatal: out of file descriptors\\n')\nsys.exit(7)\n")
    code, result = run_json("--prefix", str(tmp_path / "env"))
    assert code == 1
    assert result["diagnosis"]["kind"] == "no-result"
    assert result["diagnosis"]["message"] == (
        "the check script ended with exit code 7 while importing TensorFlow before finishing: "
        "fatal: out of file descriptors"
    )


def test_an_executable_that_is_not_python_gives_no_result(tmp_path: Path) -> None:
    python = executable(tmp_path / "bin" / "python", "#!/bin/sh\necho 'not python' >&2\nexit 3\n")
    code, result = run_json("--python", str(python))
    assert code == 1
    assert result["diagnosis"]["kind"] == "no-result"
    assert result["diagnosis"]["message"] == "the check script ended with exit code 3 and no result: not python"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python", "/nonexistent/bin/python"], "--python: no Python interpreter at /nonexistent/bin/python"),
        (["--prefix", "/nonexistent"], "--prefix: no Python interpreter at /nonexistent/bin/python"),
        (["--name", "nosuchenv"], "--name nosuchenv: no conda environment of that name was found"),
        ([], "no environment to verify"),
    ],
)
def test_missing_interpreter_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = tfm1("verify", *args, env=clean_env(tmp_path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith(f"tfm1: error: {message}")
    assert lines[1].startswith("  fix: ")


def test_a_file_that_cannot_be_executed_is_usage_error(tmp_path: Path) -> None:
    not_executable = tmp_path / "python"
    not_executable.write_text("data", encoding="utf-8")
    done = tfm1("verify", "--python", str(not_executable))
    assert done.returncode == 2
    assert "is not executable" in done.stderr


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_bad_timeout_is_usage_error(value: str) -> None:
    done = tfm1("verify", "--python", sys.executable, "--timeout", value)
    assert done.returncode == 2
    assert "--timeout" in done.stderr


def test_default_target_is_the_tfm1_conda_env_before_the_active_venv(tmp_path: Path) -> None:
    home = tmp_path / "home"
    root = home / "miniforge3"
    (root / "conda-meta").mkdir(parents=True)
    (root / "envs" / "tfm1" / "conda-meta").mkdir(parents=True)
    (root / "envs" / "tfm1" / "bin").mkdir()
    (root / "envs" / "tfm1" / "bin" / "python").symlink_to(sys.executable)
    active = tmp_path / "active"
    venv(active)
    code, result = run_json("--quick", env=clean_env(home, VIRTUAL_ENV=str(active)))
    assert result["target"] == {"python": str(root / "envs" / "tfm1" / "bin" / "python"), "source": "the tfm1 env"}
    assert code == 1  # tfm1's own interpreter has no TensorFlow
    assert result["diagnosis"]["kind"] == "tensorflow-missing"


def test_default_target_falls_back_to_the_active_venv(tmp_path: Path) -> None:
    active = tmp_path / "active"
    venv(active)
    code, result = run_json("--quick", env=clean_env(tmp_path, VIRTUAL_ENV=str(active)))
    assert code == 1
    assert result["target"] == {"python": str(active / "bin" / "python"), "source": "VIRTUAL_ENV"}


def test_python_given_by_name_is_looked_up_on_path(tmp_path: Path) -> None:
    executable(tmp_path / "bin" / "python-under-test", "#!/bin/sh\nexit 5\n")
    env = clean_env(tmp_path, PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    code, result = run_json("--python", "python-under-test", env=env)
    assert code == 1
    assert result["target"]["python"] == str(tmp_path / "bin" / "python-under-test")
    assert "exit code 5" in result["diagnosis"]["message"]


def test_the_command_module_imports_nothing_heavy() -> None:
    # `tfm1 --help` imports every command module: verify's must not pull in rich or the verify package.
    probe = (
        "import sys, tfm1.commands.verify as v; print(sorted(m for m in ('rich', 'tfm1.verify') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
