"""How setup and remove tell the user what happens: rich lines for people, one JSON object per line for tools.

In JSON mode stdout carries only the step objects (`{"step": ..., "status": ..., ...}`), so a reader can parse
every line; progress bars always go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


class Events:
    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        if self._out is None:
            from rich.console import Console

            self._out = Console(highlight=False, soft_wrap=True)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._err

    def step(self, step: str, status: str, message: str = "", **fields: Any) -> None:
        """One step's outcome: `status` is started, ok, skipped, warning or failed."""
        if self.json_mode:
            record = {"step": step, "status": status, **({"message": message} if message else {}), **fields}
            sys.stdout.write(json.dumps(record, default=str) + "\n")
            sys.stdout.flush()
            return
        if not message or (step == "setup" and status == "failed"):
            return  # the error line on stderr says it for people
        style = {"ok": "green", "warning": "yellow", "failed": "red", "skipped": "dim"}.get(status, "bold")
        marker = {"ok": "✓", "warning": "!", "failed": "✗", "skipped": "·"}.get(status, "==>")
        self.out.print(f"[{style}]{marker}[/{style}] {message}")

    def say(self, text: str) -> None:
        """Plain text for people (plans, next steps); nothing in JSON mode, where `step` carries the data."""
        if not self.json_mode:
            self.out.print(text)

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
