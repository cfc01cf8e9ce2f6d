"""What `tfm1 setup` was asked to do (`SetupOptions`, and whether it may ask before changing anything) and where
the environment goes (`SetupTarget`)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_NAME = "tfm1"


@dataclass
class SetupOptions:
    profile: str | None = None
    name: str | None = None
    prefix: Path | None = None
    lockfile: Path | None = None
    yes: bool = False
    dry_run: bool = False
    verify: bool = True
    force: bool = False
    update: bool = False
    init_shell: bool = False
    kernel: bool = True  # register the environment as a Jupyter kernel
    command_line: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SetupTarget:
    prefix: Path
    root: Path | None  # the conda root the environment goes into; None with --prefix
    install_root: bool  # Miniforge must be installed at `root` first

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"


def interactive(options: SetupOptions) -> bool:
    if options.yes or os.environ.get("CI") or os.environ.get("NONINTERACTIVE"):
        return False
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False
