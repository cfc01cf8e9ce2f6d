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
    result = tfm1(*args, "--json", env=env, cwd=cwd)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)
