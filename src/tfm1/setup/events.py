"""How setup, remove and bundle tell the user what happens (`Events`): each run is handed one writer, rich lines for
people (`tfm1.setup.event_writers.PeopleEvents`) or one JSON object per line for tools (`JsonEvents`).

In JSON mode stdout carries only the step objects (`{"step": ..., "status": ..., ...}`), so a reader can parse
every line; progress bars and notes always go to stderr. The domain code reports through this interface alone and
never asks which writer it has.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.progress import Progress

    from tfm1.verify.result import VerifyResult


class Events(Protocol):
    def step(self, step: str, status: str, message: str = "", **fields: Any) -> None:
        """One step's outcome: `status` is started, ok, skipped, warning or failed."""

    def warning(self, step: str, message: str, fix: str, **fields: Any) -> None:
        """A `warning` step with its fix: part of the line people read, a field of its own for tools."""

    def failure(self, step: str, message: str, **fields: Any) -> None:
        """A step that failed with an error about to be raised: a `failed` step object for JSON readers; people
        read it once, from the error on stderr, not also as a line on stdout."""

    def say(self, text: str) -> None:
        """Plain text for people (the plan, next steps; parts may be `terminal.style`d); nothing in JSON mode,
        where `step` carries the data."""

    def note(self, text: str) -> None:
        """A plain line on stderr in both modes: what people and a tool's log should both see."""

    def ask(self, question: str, default: bool) -> bool:
        """A yes/no question on stderr; the answer."""

    def verified(self, result: VerifyResult) -> None:
        """The smoke test's result: its table for people, a `verify` step for tools."""

    def progress(self) -> AbstractContextManager[Progress]:
        """Progress bars on stderr (only on a terminal) for the work done inside."""


def events_for(json_mode: bool) -> Events:
    from tfm1.setup.event_writers import JsonEvents, PeopleEvents

    return JsonEvents() if json_mode else PeopleEvents()


__all__ = ["Events", "events_for"]
