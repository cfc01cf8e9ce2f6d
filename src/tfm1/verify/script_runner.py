"""Run the check script with the target interpreter: its own process group, a deadline, progress, partial results.

The script is copied into a fresh temporary directory and run from there, so nothing next to it (tfm1's own
modules) can shadow a module TensorFlow imports, and so tfm1 works when installed as a zip.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

from tfm1.errors import UsageError

STAGE_MARK = "@@tfm1-stage "
TAIL_LINES = 40


@dataclass(frozen=True)
class ScriptRun:
    returncode: int | None  # negative: killed by that signal; None: we killed it at the deadline
    data: dict[str, Any] | None  # the script's result document, possibly partial; None when it wrote nothing
    stderr: list[str] = field(default_factory=list)  # the last lines
    timed_out: bool = False
    stage: str | None = None  # the last stage the script announced
    seconds: float = 0.0

    @property
    def signal(self) -> int | None:
        """The signal that ended the interpreter: a negative return code, or a shell's 128+N."""
        if self.returncode is None:
            return None
        if self.returncode < 0:
            return -self.returncode
        if 128 < self.returncode < 128 + 65:
            return self.returncode - 128
        return None


def script_text() -> str:
    return resources.files("tfm1.verify").joinpath("check_script.py").read_text(encoding="utf-8")


def _drain(stream: IO[str], on_line: Callable[[str], None]) -> None:
    for line in stream:
        on_line(line.rstrip("\n"))


def run_script(
    python: str,
    args: Sequence[str] = (),
    *,
    timeout: float = 300,
    progress: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ScriptRun:
    """Run the check script with `python` in `environ` (default: ours); kill its process group at `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="tfm1-verify-") as tmp:
        script = Path(tmp) / "tfm1_check.py"
        script.write_text(script_text(), encoding="utf-8")
        out = Path(tmp) / "result.json"
        env = dict(
            os.environ if environ is None else environ,
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        start = time.monotonic()
        try:
            process = subprocess.Popen(
                [python, str(script), str(out), *args],
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group: a deadline kills TF's threads and children too
            )
        except OSError as error:
            raise UsageError(
                f"cannot run {python}: {error.strerror or error}", "give the path of a Python interpreter"
            ) from None
        stages: list[str] = []
        tail: deque[str] = deque(maxlen=TAIL_LINES)

        def on_stdout(line: str) -> None:
            if line.startswith(STAGE_MARK):
                stages.append(line[len(STAGE_MARK) :].strip())
                if progress is not None:
                    progress(stages[-1])

        assert process.stdout is not None and process.stderr is not None
        readers = [
            threading.Thread(target=_drain, args=(process.stdout, on_stdout), daemon=True),
            threading.Thread(target=_drain, args=(process.stderr, tail.append), daemon=True),
        ]
        for reader in readers:
            reader.start()
        timed_out = False
        try:
            returncode: int | None = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out, returncode = True, None
            _kill_group(process)
        except BaseException:  # Ctrl-C: leave no TensorFlow process behind
            _kill_group(process)
            raise
        for reader in readers:
            reader.join(timeout=5)
        return ScriptRun(
            returncode=returncode,
            data=_read_result(out),
            stderr=list(tail),
            timed_out=timed_out,
            stage=stages[-1] if stages else None,
            seconds=time.monotonic() - start,
        )


def _kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _read_result(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
