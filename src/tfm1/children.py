"""Installer processes (uv, pip, the Miniforge script) must not outlive tfm1.

SIGINT, SIGTERM and SIGHUP reach tfm1's rollback, and `subprocess.run` kills its child on the way out. SIGKILL
reaches nothing: the child is adopted by init (launchd on macOS) and goes on writing into a prefix that the next
run is about to remove. On Linux the child asks the kernel for SIGKILL when its parent dies
(`PR_SET_PDEATHSIG`, https://man.archlinux.org/man/core/man-pages/PR_SET_PDEATHSIG.2const.en; "parent" is the
thread that started it, here always the main thread). macOS has no such call (an orphan simply goes to launchd,
https://www.oreilly.com/library/view/advanced-mac-os/9780321706560/ch18s04.html), so there the next run, before
it removes a half-built prefix, stops whatever still runs that prefix's Python (`stop_stragglers`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def child_options() -> dict[str, Any]:
    """Keyword arguments for `subprocess.run`/`Popen` that tie the child's life to this process (Linux)."""
    if not sys.platform.startswith("linux"):
        return {}
    import ctypes  # here, not at the top: setup's no-op re-run starts no child

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return {}
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # tfm1 died before the call above: nobody would send the signal
            os._exit(1)

    preexec: Callable[[], None] = die_with_parent
    return {"preexec_fn": preexec}


def stop_stragglers(prefix: Path) -> list[int]:
    """Kill the processes still running `<prefix>/bin/python` (an installer whose tfm1 was killed); their pids."""
    python = str(prefix / "bin" / "python")
    try:
        listing = subprocess.run(
            ["ps", "-axww", "-o", "pid=", "-o", "command="],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    stopped = []
    for line in listing.splitlines():
        pid, _, command = line.strip().partition(" ")
        if not pid.isdigit() or int(pid) == os.getpid() or python not in command.split():
            continue
        with contextlib.suppress(OSError):
            os.kill(int(pid), signal.SIGKILL)
            stopped.append(int(pid))
    return stopped
