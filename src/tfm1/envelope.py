"""How every command ends, in one shape and one place: a command's domain call returns an `Outcome`, and `emit`
prints it, for people through the command's own renderer or as one JSON envelope on stdout:

    {"command": "setup", "ok": true, "result": {...}, "error": null, ...the command's own fields}

`error` is null or `{"message", "fix", "exit_code"}`, and the exit status is the outcome's. A command whose
result is a JSON object of its own (doctor, verify, lock, profiles, compat) also gives that object's keys at the
top level (its `fields`), where scripts written for that object read them; the envelope's four keys win a clash.
A command that reports steps as it goes (setup, remove) prints them first, one JSON object per line, and the
envelope last; the envelope is always a single line. For people, an error is the two-line `tfm1: error: …` /
`  fix: …` on stderr.

A base module, and light: doctor starts through it (no dataclasses, no rich; a NamedTuple and plain lines).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from tfm1.errors import ExitCode, Tfm1Error
from tfm1.terminal import write_stdout

ENVELOPE_KEYS = ("command", "ok", "result", "error")


class Outcome(NamedTuple):
    command: str  # the command's name, as typed after `tfm1`
    exit_code: int
    result: Any = None  # what the command found or did: a record with `to_json`, or anything `json_value` writes
    error: Tfm1Error | None = None
    fields: Mapping[str, Any] | None = None  # the command's own top-level keys, beside the envelope's
    # How people read it, when that needs more than the result (a console, the folder read, the target): called
    # instead of `emit`'s `human` renderer.
    show: Callable[[], None] | None = None

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
            **{key: json_value(value) for key, value in (self.fields or {}).items() if key not in ENVELOPE_KEYS},
        }


def failed(command: str, error: Tfm1Error) -> Outcome:
    return Outcome(command, int(error.exit_code), error=error)


def file_system_error(error: OSError) -> Tfm1Error:
    """The file system's last word (permissions, a full disk) as tfm1's one-line error, never a traceback."""
    where = f" ({error.filename})" if error.filename else ""
    return Tfm1Error(f"{error.strerror or error}{where}", "check the path's permissions and free space")


def emit(outcome: Outcome, *, as_json: bool, human: Callable[[Any], None] | None = None) -> int:
    """Print `outcome` (as JSON, or for people with its own `show`, else `human(result)`); its exit status."""
    if as_json:
        write_stdout(json.dumps(outcome.to_json(), default=str) + "\n")
    elif outcome.show is not None:
        outcome.show()
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
