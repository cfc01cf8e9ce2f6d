"""Processes tfm1 starts (the Miniforge installer, uv, pip, the extracting workers) must not outlive it, nor may
anything they start in turn.

SIGINT, SIGTERM and SIGHUP reach tfm1's rollback, which stops its children on the way out. SIGKILL reaches nothing:
a child is adopted by init (launchd on macOS) and goes on writing into a prefix that the next run is about to
remove. So every child leads a process group of its own (a new session: `setsid`), which holds it and whatever it
starts (the Miniforge installer's own tools, pip's), and a small guard process, started with the first child, keeps
the list of those groups: it reads them from a pipe whose only writer is tfm1, and when that pipe closes (tfm1 ended,
however, SIGKILL included: the kernel closes a dead process's descriptors) it kills every group still listed. The
guard ignores SIGINT, SIGTERM and SIGHUP, so a Ctrl-C meant for tfm1 does not stop it before its work.

On Linux a child also asks the kernel for SIGKILL when tfm1 dies (`PR_SET_PDEATHSIG`,
https://man.archlinux.org/man/core/man-pages/PR_SET_PDEATHSIG.2const.en; "parent" is the thread that started it),
which reaches only the child itself. A process that leaves its group (a second `setsid`) escapes both; for that the
next run, before it removes a half-built prefix, also stops whatever still runs that prefix's Python
(`stop_stragglers`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# One `+<pgid>` line when a group starts, `-<pgid>` when it is gone; at the end of input, kill what is left.
GUARD = """
import os, signal, sys
for name in ("SIGINT", "SIGTERM", "SIGHUP"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
groups = set()
for line in sys.stdin:
    sign, group = line[:1], line[1:].strip()
    if group.isdigit():
        (groups.add if sign == "+" else groups.discard)(int(group))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""

_guard: subprocess.Popen[str] | None = None
_guard_lock = threading.Lock()


def _guard_input() -> Any:
    """The guard's input, the guard started first when there is none (call with `_guard_lock` held)."""
    global _guard
    if _guard is None or _guard.poll() is not None:
        # -I -S: isolated and without site, so nothing from the current folder or the environment is imported.
        _guard = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", GUARD],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    assert _guard.stdin is not None
    return _guard.stdin


def _tell_guard(line: str) -> None:
    with _guard_lock:
        guard = _guard_input()
        with contextlib.suppress(OSError):  # a guard that is gone guards nothing more; the child still runs
            guard.write(line + "\n")
            guard.flush()


def _die_with_parent() -> Callable[[], None] | None:
    """What a child runs before it starts, on Linux: SIGKILL when tfm1 dies."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here, not at the top: setup's no-op re-run starts no child

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # tfm1 died before the call above: nobody would send the signal
            os._exit(1)

    return die_with_parent


def _before_exec(guard: int) -> Callable[[], None]:
    """What a child runs between the fork and the exec, its group made (setsid comes first): it announces that group
    to the guard itself, then (Linux) asks to die with tfm1. tfm1's own announcement, after the fork returns, comes
    too late for a tfm1 killed in between, while the child may already have started others."""
    die_with_parent = _die_with_parent()

    def before_exec() -> None:
        # One write of less than PIPE_BUF bytes: whole, never mixed with tfm1's lines. The child's copy of the pipe
        # closes at the exec (a pipe Python made is not inheritable), so it never holds the guard back.
        with contextlib.suppress(OSError):
            os.write(guard, f"+{os.getpid()}\n".encode())
        if die_with_parent is not None:
            die_with_parent()

    return before_exec


# What stops tfm1 (Ctrl-C; SIGTERM and SIGHUP while a transaction holds them): held while a child is forked.
_INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _interrupts_held(held: list[int]) -> Iterator[None]:
    """Record in `held`, instead of acting on, the interrupts that come while the body runs (main thread only).

    Python runs its after-fork callbacks in the parent (logging's among them), and an exception raised in one is
    printed as "Exception ignored" and dropped: a Ctrl-C arriving during a fork would be lost, and setup would go on
    to the end instead of rolling back. Only signals with a Python handler are held; an ignored or default one
    keeps its way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in _INTERRUPTS}
    for signum, handler in previous.items():
        if callable(handler):
            signal.signal(signum, lambda number, frame: held.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if callable(handler):
                signal.signal(signum, handler)


def start(args: Sequence[str], **options: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen(args, **options)` in a process group of its own that the guard stops with tfm1."""
    with _guard_lock:
        guard = _guard_input().fileno()
    held: list[int] = []
    with _interrupts_held(held):
        process = subprocess.Popen(args, start_new_session=True, preexec_fn=_before_exec(guard), **options)
    _tell_guard(f"+{process.pid}")  # the child said so already, unless the guard was replaced in between
    if held:
        stop(process)  # it was started as tfm1 was told to stop: it does not get to run on
        signal.raise_signal(held[0])  # now, through tfm1's own handler
    return process


def stop(process: subprocess.Popen[Any]) -> None:
    """Kill `process` and everything in its group that still runs, and wait for it."""
    with contextlib.suppress(OSError):  # the group is gone already
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    _tell_guard(f"-{process.pid}")


def run(args: Sequence[str], *, timeout: float | None = None, **options: Any) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run(args, capture_output=True, check=False)` in a guarded group: when it ends, or the call is
    left by an exception (a timeout, Ctrl-C), whatever the child started and left behind is stopped with it."""
    process = start(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        stop(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


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
