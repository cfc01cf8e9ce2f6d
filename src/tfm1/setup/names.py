"""The rules setup and remove share: which environment names they accept, and what they never touch (a conda root)."""

from __future__ import annotations

import re
from pathlib import Path

from tfm1.errors import UsageError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_env_name(name: str) -> str:
    """`name` if it can only mean `<root>/envs/<name>`; "base" is the root itself, and is refused."""
    if not NAME.match(name) or name == "base":
        raise UsageError(
            f"--name {name!r} is not a usable environment name", "use letters, digits, '.', '_', '-' (not 'base')"
        )
    return name


def is_conda_root(prefix: Path) -> bool:
    """A conda installation rather than one of its environments.

    `tfm1.inspect.conda.is_conda_prefix` (a `conda-meta/` folder) is true of every environment, tfm1's own
    included; a root is what holds `condabin/` or `envs/`, even one whose `conda-meta/` is gone, or a
    `conda-meta/` with its own `bin/conda` (how `tfm1.inspect.conda` finds a root from `CONDA_EXE`).
    """
    if (prefix / "condabin").exists() or (prefix / "envs").is_dir():
        return True
    return (prefix / "conda-meta").is_dir() and (prefix / "bin" / "conda").exists()
