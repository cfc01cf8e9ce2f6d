"""How setup and remove tell the user what happens: rich lines for people, one JSON object per line for tools.

In JSON mode stdout carries only the step objects (`{"step": ..., "status": ..., ...}`), so a reader can parse
every line; progress bars always go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


MARKERS = {"ok": "✓", "warning": "!", "failed": "✗", "skipped": "·"}  # anything else (started) is a bold "==>"
STATUS_COLORS = {"ok": "green", "warning": "yellow", "failed": "red"}


class Events:
    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        if self._out is None:
            from tfm1.terminal import console

            self._out = console(soft_wrap=True)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from tfm1.terminal import console

            self._err = console(stderr=True, soft_wrap=True)
        return self._err

    def step(self, step: str, status: str, message: str = "", **fields: Any) -> None:
        """One step's outcome: `status` is started, ok, skipped, warning or failed."""
        if self.json_mode:
            record = {"step": step, "status": status, **({"message": message} if message else {}), **fields}
            self._write(json.dumps(record, default=str) + "\n")
            return
        if not message:
            return
        from tfm1.terminal import style

        marker = MARKERS.get(status, "==>")
        styled = style(marker, color=STATUS_COLORS.get(status), dim=status == "skipped", bold=status not in MARKERS)
        self._echo(f"{styled} {message}")

    def failure(self, step: str, message: str, **fields: Any) -> None:
        """A step that failed with an error about to be raised: a `failed` step object for JSON readers; people
        read it once, from the error on stderr, not also as a line on stdout."""
        if self.json_mode:
            self.step(step, "failed", message, **fields)

    def say(self, text: str) -> None:
        """Plain text for people (the plan, next steps; parts may be `terminal.style`d); nothing in JSON mode,
        where `step` carries the data."""
        if not self.json_mode:
            self._echo(text)

    # A reader that goes away (`tfm1 setup --json | head -3`) must not stop the run: an install interrupted
    # by a failed write would be rolled back. Output is dropped from then on; the work and the exit code stay.
    def _write(self, text: str) -> None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self._drop_stdout()

    def _echo(self, text: str) -> None:
        from tfm1.terminal import echo

        try:
            echo(text)
        except BrokenPipeError:
            self._drop_stdout()

    @staticmethod
    def _drop_stdout() -> None:
        # Pointing the descriptor at /dev/null also lets the buffered remainder and the final flush succeed.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        # Bars only on a terminal: in a log or a pipe they would be noise (and an empty line when cleared).
        with Progress(*columns, console=self.err, transient=True, disable=not self.err.is_terminal) as progress:
            yield progress
