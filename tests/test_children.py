"""`tfm1.children`: starting a child never swallows an interrupt, and a child started as tfm1 is interrupted does
not run on."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.setup_world import running, wait_for

# A Ctrl-C that arrives while the child is forked: sent from an after-fork callback in the parent, which is where
# Python prints an exception as "Exception ignored" and drops it. Interrupted, the script lists its own children
# left (Linux /proc): the kill guard alone should be there.
CTRL_C_DURING_THE_FORK = textwrap.dedent(
    """
    import os, signal, sys
    from tfm1 import children
    os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
    try:
        process = children.start(["sleep", "30"])
    except KeyboardInterrupt:
        me = os.getpid()
        with open(f"/proc/{me}/task/{me}/children") as listing:
            print("interrupted, children left:", len(listing.read().split()), flush=True)
        sys.exit(130)
    print("ran on, child", process.pid, flush=True)
    """
)


def test_a_ctrl_c_during_the_fork_interrupts_and_stops_the_child() -> None:
    done = subprocess.run([sys.executable, "-c", CTRL_C_DURING_THE_FORK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, done.stdout + done.stderr
    assert done.stdout.strip() == "interrupted, children left: 1", done.stdout  # the guard
    assert "Exception ignored" not in done.stderr


def test_what_a_child_started_dies_when_tfm1_is_killed_right_after_the_fork(tmp_path: Path) -> None:
    # tfm1 is SIGKILLed in an after-fork callback, before `start` returns: a second later, so that the child has
    # started a grandchild of its own. The guard must still know the child's group.
    pid_file = tmp_path / "grandchild.pid"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from tfm1 import children
        def killed():
            time.sleep(1)
            os.kill(os.getpid(), signal.SIGKILL)
        os.register_at_fork(after_in_parent=killed)
        children.start(["sh", "-c", "sleep 60 & echo $! > {pid_file}; wait"])
        """
    )
    # Output to a file, not a pipe: a grandchild left running would hold a pipe open and `run` would wait for it.
    with (tmp_path / "stderr").open("w") as stderr:
        done = subprocess.run([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=stderr, timeout=60)
    assert done.returncode == -signal.SIGKILL, (tmp_path / "stderr").read_text()
    grandchild = int(pid_file.read_text())
    try:
        wait_for(lambda: not running(grandchild), "the grandchild to die with its group", timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(grandchild, signal.SIGKILL)
