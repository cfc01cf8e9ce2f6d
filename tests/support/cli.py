"""Run the installed `tfm1` the way users do: a subprocess of `python -m tfm1`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def tfm1(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfm1", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )


def tfm1_json(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, Any]:
    """The exit code and the `result` of a command's `--json` envelope, checked to be one (`envelope_of`)."""
    result = tfm1(*args, "--json", env=env, cwd=cwd)
    assert result.stdout, result.stderr
    return result.returncode, envelope_of(result.stdout, result.returncode)["result"]


def envelope_of(stdout: str, exit_code: int) -> dict[str, Any]:
    """The envelope a command's `--json` ends with (tfm1.envelope), its last line, checked: the four keys, `ok` as
    the exit code says, and the result's own keys (when it is an object) repeated at the top level."""
    envelope: dict[str, Any] = json.loads(stdout.splitlines()[-1])
    assert list(envelope)[:4] == ["command", "ok", "result", "error"], envelope
    assert envelope["ok"] is (exit_code == 0 and envelope["error"] is None), envelope
    if envelope["error"] is not None:
        assert set(envelope["error"]) == {"message", "fix", "exit_code"}
        assert envelope["error"]["exit_code"] == exit_code
    if isinstance(envelope["result"], dict):
        own = {
            key: value for key, value in envelope["result"].items() if key not in ("command", "ok", "result", "error")
        }
        assert {key: envelope[key] for key in own} == own, envelope
    return envelope


def one_error(stderr: str) -> str:
    """The error line of a command that failed: `tfm1: error: ...`, then its `  fix: ...` line if it has one, and
    nothing else (no traceback, no second report); only `note: ...` lines about the environment may come first."""
    lines = stderr.strip("\n").splitlines()
    while lines and lines[0].startswith("note: "):
        lines.pop(0)
    assert "Traceback" not in stderr, stderr
    assert 1 <= len(lines) <= 2 and lines[0].startswith("tfm1: error: "), stderr
    assert len(lines) == 1 or lines[1].startswith("  fix: "), stderr
    return lines[0]
