"""What `tfm1 setup` and `tfm1 remove` end with (the `result` of their envelope, `tfm1.envelope`), and how people
read it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tfm1.jsonable import record_json


@dataclass(frozen=True)
class SetupResult:
    action: Literal["installed", "up-to-date", "dry-run", "cancelled"]
    prefix: Path
    python: Path
    activate: str | None = None  # the command that activates it, once there is an environment
    shell_hint: str | None = None  # how to make `conda activate` work in new terminals, when it does not yet
    verified: bool | None = None  # None: verify did not run

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class RemoveResult:
    prefix: Path
    # "removed"; "finished": an interrupted remove of it, which this run finished, had begun; "cancelled" at the prompt
    action: Literal["removed", "finished", "cancelled"]

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


def show_setup(result: SetupResult) -> None:
    """How to start using the environment (nothing for a dry run or a cancelled one)."""
    if result.activate is None:
        return
    from tfm1.terminal import echo

    python = shlex.quote(str(result.python))
    echo(
        "\nTo start using it:\n"
        f"  {result.activate}" + (f"\n  ({result.shell_hint})" if result.shell_hint else "") + "\n"
        f"  {python} -c 'import tensorflow as tf; print(tf.config.list_physical_devices())'"
    )
