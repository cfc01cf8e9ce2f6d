"""Fix lines that name the host's own tools: what works on a Mac is not what works on Linux."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from tfm1.host.base import Host


def undeletable_hint(host: Host) -> str:
    """How to see why files cannot be deleted. macOS has no lsattr/chattr: a Finder-locked file carries the BSD flag
    uchg, shown by `ls -lO` and cleared by `chflags -R nouchg` (chflags(1): https://man.imzye.com/MacOS/chflags/)."""
    if host.system() == "Darwin":
        return "check permissions and the locked flag (uchg) with ls -lO, clear it with chflags -R nouchg"
    return "check permissions and immutable flags with lsattr -R"


def activation(prefix: Path, root: Path | None, shell_initialised: bool) -> tuple[str, str | None]:
    """The command that activates the environment in the user's shell, and, when `conda activate` would not work
    there yet, how to make it work.

    The bootstrap installs Miniforge in batch mode (`-b`) and edits no startup file, so a new zsh has no `conda`
    shell function and `conda activate` fails ("Run 'conda init' before 'conda activate'"); the root's bin/activate
    script works in any POSIX shell without it.
    """
    by_name = root is not None and prefix.parent == root / "envs"
    where = prefix.name if by_name else shlex.quote(str(prefix))
    if shell_initialised or root is None:
        return f"conda activate {where}", None
    shell = Path(os.environ.get("SHELL") or "zsh").name
    conda = shlex.quote(str(root / "bin" / "conda"))
    command = f"source {shlex.quote(str(root / 'bin' / 'activate'))} {where}"
    return command, f"for `conda activate {where}` in new terminals: {conda} init {shell}"


def conda_shell_ready(root: Path | None) -> bool:
    """Whether the shell that started tfm1 has conda's shell function for this root: its hook exports CONDA_SHLVL
    and CONDA_EXE. CONDA_EXE alone is not enough: the bootstrap sets it to hand the root over to setup."""
    if root is None or os.environ.get("CONDA_SHLVL") is None:
        return False
    return os.environ.get("CONDA_EXE") == str(root / "bin" / "conda")
