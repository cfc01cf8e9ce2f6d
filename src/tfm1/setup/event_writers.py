"""The two writers of `tfm1.setup.events.Events`: rich lines for people, one JSON object per line for tools.
Both keep progress bars, notes and questions on stderr; rich is imported only when a console is first used."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from tfm1.verify.result import VerifyResult


MARKERS = {"ok": "✓", "warning": "!", "failed": "✗", "skipped": "·"}  # anything else (started) is a bold "==>"
STATUS_COLORS = {"ok": "green", "warning": "yellow", "failed": "red"}


class _Writer:
    """What both writers do alike: a warning is a step with its fix; notes, questions and bars go to stderr."""

    def __init__(self) -> None:
        self._err: Console | None = None

    def step(self, step: str, status: str, message: str = "", **fields: Any) -> None:
        raise NotImplementedError  # each writer has its own

    @property
    def err(self) -> Console:
        if self._err is None:
            from tfm1.terminal import console

            self._err = console(stderr=True, soft_wrap=True)
        return self._err

    def warning(self, step: str, message: str, fix: str, **fields: Any) -> None:
        self.step(step, "warning", f"{message} (fix: {fix})", fix=fix, **fields)

    def note(self, text: str) -> None:
        self.err.print(text, markup=False)

    def ask(self, question: str, default: bool) -> bool:
        from rich.prompt import Confirm

        return Confirm.ask(question, default=default, console=self.err)

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


class PeopleEvents(_Writer):
    def step(self, step: str, status: str, message: str = "", **fields: Any) -> None:
        if not message:
            return
        from tfm1.terminal import style

        marker = MARKERS.get(status, "==>")
        styled = style(marker, color=STATUS_COLORS.get(status), dim=status == "skipped", bold=status not in MARKERS)
        self.say(f"{styled} {message}")

    def failure(self, step: str, message: str, **fields: Any) -> None:
        pass  # people read it once, from the error on stderr

    def say(self, text: str) -> None:
        from tfm1.terminal import drop_stdout, echo

        try:
            echo(text)
        except BrokenPipeError:  # the reader went away: see `terminal.write_stdout`
            drop_stdout()

    def verified(self, result: VerifyResult) -> None:
        from tfm1.terminal import console
        from tfm1.verify import render

        render(result, console(soft_wrap=True))


class JsonEvents(_Writer):
    def step(self, step: str, status: str, message: str = "", **fields: Any) -> None:
        from tfm1.terminal import write_stdout

        record = {"step": step, "status": status, **({"message": message} if message else {}), **fields}
        write_stdout(json.dumps(record, default=str) + "\n")

    def failure(self, step: str, message: str, **fields: Any) -> None:
        self.step(step, "failed", message, **fields)

    def say(self, text: str) -> None:
        pass  # `step` carries the data

    def verified(self, result: VerifyResult) -> None:
        self.step("verify", "ok" if result.ok else "failed", result=result.to_json())
