"""How every command ends, in one shape and one place: a command's domain call returns an `Outcome`, and `emit`
prints it, for people through the command's own renderer or as one JSON envelope on stdout:

    {"command": "setup", "ok": true, "result": {...}, "error": null, ...the command's own fields}

`error` is null or `{"message", "fix", "exit_code"}`, and the exit status is the outcome's. A command that reports
steps as it goes (setup, remove) prints them first, one JSON object per line, and the envelope last; the envelope
is always a single line. For people, an error is the two-line `tfm1: error: …` / `  fix: …` on stderr.

A base module, and light: doctor starts through it (no dataclasses, no rich; a NamedTuple and plain lines).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from tfm1.errors import ExitCode, Tfm1Error
from tfm1.terminal import write_stdout


class Outcome(NamedTuple):
    command: str  # the command's name, as typed after `tfm1`
    exit_code: int
    result: Any = None  # what the command found or did: a record with `to_json`, or anything `json_value` writes
    error: Tfm1Error | None = None
    fields: Mapping[str, Any] | None = None  # the command's own top-level keys, beside the envelope's

    @property
    def ok(self) -> bool:
        return self.exit_code == ExitCode.OK and self.error is None

    def to_json(self) -> dict[str, Any]:
        from tfm1.jsonable import json_value

        error = self.error
        return {
            "command": self.command,
            "ok": self.ok,
            "result": json_value(self.result),
            "error": None
            if error is None
            else {"message": error.message, "fix": error.fix, "exit_code": self.exit_code},
            **{key: json_value(value) for key, value in (self.fields or {}).items()},
        }


def failed(command: str, error: Tfm1Error) -> Outcome:
    return Outcome(command, int(error.exit_code), error=error)


def emit(outcome: Outcome, *, as_json: bool, human: Callable[[Any], None] | None = None) -> int:
    """Print `outcome` (as JSON, or for people with `human(result)`); its exit status."""
    if as_json:
        write_stdout(json.dumps(outcome.to_json(), default=str) + "\n")
    elif human is not None and outcome.result is not None:
        human(outcome.result)
    if outcome.error is not None:
        print_error(outcome.error)
    return outcome.exit_code


def print_error(error: Tfm1Error) -> None:
    """The two-part error on stderr: what went wrong, then the exact fix on its own line."""
    message = error.message.rstrip()
    if not message.endswith((".", "!", "?")):
        message += "."
    print(f"tfm1: error: {message}", file=sys.stderr)
    if error.fix:
        print(f"  fix: {error.fix}", file=sys.stderr)
