"""Fix lines that name the host's own tools: what works on a Mac is not what works on Linux."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfm1.host.base import Host

if TYPE_CHECKING:
    from tfm1.setup.events import Events
    from tfm1.setup.result import SetupResult
    from tfm1.setup.target import SetupTarget


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


def init_shell(root: Path, events: Events) -> bool:
    """`conda init` for the user's shell (`--init-shell`); whether it worked (a warning step when not)."""
    import subprocess

    shell = Path(os.environ.get("SHELL", "zsh")).name
    conda = root / "condabin" / "conda"
    if not conda.exists():
        events.step("init-shell", "warning", f"no {conda}: shell not initialised")
        return False
    result = subprocess.run([str(conda), "init", shell], stdin=subprocess.DEVNULL, capture_output=True, check=False)
    status = "ok" if result.returncode == 0 else "warning"
    events.step("init-shell", status, f"conda init {shell}: exit {result.returncode}")
    return result.returncode == 0


def ready(
    target: SetupTarget,
    action: Literal["installed", "up-to-date"],
    verified: bool | None = None,
    initialised: bool = False,
) -> SetupResult:
    """The result of a setup that left an environment at `target`, with the command that activates it."""
    from tfm1.setup.result import SetupResult

    shell_ready = initialised or conda_shell_ready(target.root)
    command, note = activation(target.prefix, target.root, shell_ready)
    return SetupResult(action, target.prefix, target.python, command, note, verified)
