"""What `tfm1 setup` was asked to do (`SetupOptions`), and whether it may ask before changing anything."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SetupOptions:
    profile: str | None = None
    name: str | None = None
    prefix: Path | None = None
    lockfile: Path | None = None
    bundle: Path | None = None  # a file `tfm1 bundle` wrote: the lock and every file come from it
    yes: bool = False
    dry_run: bool = False
    verify: bool = True
    force: bool = False
    update: bool = False
    init_shell: bool = False
    kernel: bool = True  # register the environment as a Jupyter kernel
    command_line: tuple[str, ...] = ()  # the arguments after `tfm1 setup`, for conda-meta/history

    @property
    def asks(self) -> bool:
        """Whether the run asks before it changes anything (a person at a terminal, no --yes)."""
        return interactive(self.yes)


def interactive(yes: bool) -> bool:
    if yes or os.environ.get("CI") or os.environ.get("NONINTERACTIVE"):
        return False
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
