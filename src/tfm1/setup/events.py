"""How setup and remove tell the user what happens: rich lines for people, one JSON object per line for tools.

In JSON mode stdout carries only the step objects (`{"step": ..., "status": ..., ...}`), so a reader can parse
every line; progress bars always go to stderr.
"""

from __future__ import annotations

import json
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

    def _write(self, text: str) -> None:
        from tfm1.terminal import write_stdout

        write_stdout(text)

    def _echo(self, text: str) -> None:
        from tfm1.terminal import drop_stdout, echo

        try:
            echo(text)
        except BrokenPipeError:  # the reader went away: see `terminal.write_stdout`
            drop_stdout()

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
