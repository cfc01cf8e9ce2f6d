"""Setup downloads everything its plan names from the start, in the background, the wheels first: the steps overlap
with the transfer (conda packages are linked as they arrive), and an interrupt while several downloads are in flight
stops them all and leaves only whole files."""

from __future__ import annotations

import hashlib
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.pypi_index import make_wheel
from tests.support.setup_world import World, assert_no_prefix, json_steps, slow_conda_package


def _slow_wheel(world: World, size: int) -> str:
    make_wheel(world.tmp / "big", "tfm1-probe", "1.0", value="x" * size).replace(world.index.wheels[0])
    world.write_lock()
    path = world.wheel_path()
    world.pypi_server.fault(path, "slow")
    return path


def _wait_until(done: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert done(), "waited in vain"


def test_the_wheels_come_first_and_the_conda_packages_are_linked_as_they_arrive(world: World) -> None:
    wheel = _slow_wheel(world, 100_000)  # a few seconds at the slow rate
    slow = slow_conda_package(world, 100_000)
    stored = world.tmp / "cache" / "downloads"
    process = world.start_setup("--json")
    try:
        _wait_until(lambda: bool(world.conda_server.requests))
        # No conda package is asked for before every wheel is downloaded and verified in the store.
        assert {p.name for p in stored.glob("*/*.whl")} == {Path(wheel).name}
        linked = world.prefix / "share" / "tfm1-test-data" / "prefix.txt"
        _wait_until(linked.is_file)
        # A package is in the prefix while another one is still arriving.
        assert not list(stored.glob(f"*/{Path(slow).name}")) and world.current_step() == "conda"
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    steps = json_steps(stdout)
    download = next(s for s in steps if s["step"] == "download")
    assert download["status"] == "started" and download["files"] == 5
    assert [s["step"] for s in steps].index("download") < [s["step"] for s in steps].index("conda")
    assert (world.prefix / "share" / "tfm1-slow" / "data").stat().st_size == 100_000


def _interrupt_with_downloads_in_flight(world: World, slow: list[str], ready: Callable[[], bool]) -> str:
    """Start setup with the downloads at the URL paths `slow` served slowly, SIGINT it once `ready()` and all of them
    are in flight; check that every download stopped and left only whole, verified files; return stderr."""
    downloads = world.tmp / "cache" / "downloads"

    def requested() -> list[str]:
        return world.conda_server.requests + world.pypi_server.requests

    process = world.start_setup("--json")
    try:
        _wait_until(lambda: all(path in requested() for path in slow))
        _wait_until(lambda: len(list(downloads.glob("*/*.part-*"))) == len(slow))  # all in flight at once
        _wait_until(ready)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    time.sleep(0.5)  # no download thread writes on after the run ended
    assert list(downloads.glob("*/*.part-*")) == []
    for file in downloads.glob("*/*"):  # what is left is complete and verified: the small packages
        assert hashlib.sha256(file.read_bytes()).hexdigest() == file.parent.name
    names = {p.name for p in downloads.glob("*/*")}
    assert not names & {Path(path).name for path in slow}
    assert_no_prefix(world)
    return stderr


def test_an_interrupt_in_the_conda_step_stops_every_download_in_flight_and_leaves_only_whole_files(
    world: World,
) -> None:
    archive = world.conda_path("pip")  # ~1.7 MB: ~40 s at the slow rate
    world.conda_server.fault(archive, "slow")
    slow = [archive, slow_conda_package(world, 400_000)]
    stderr = _interrupt_with_downloads_in_flight(world, slow, lambda: world.current_step() == "conda")
    assert "setup interrupted during the conda step" in stderr and "rolled back: removed" in stderr


def test_an_interrupt_before_the_install_stops_the_early_downloads_and_changes_nothing(world: World) -> None:
    # With --yes the transfer starts as soon as the plan is made (the wheels first); the plan's report then waits
    # for a size.
    slow_size = world.conda_path("python")
    world.conda_server.fault(slow_size, "slow-head")
    wheel = _slow_wheel(world, 400_000)
    stderr = _interrupt_with_downloads_in_flight(world, [wheel], lambda: slow_size in world.conda_server.heads)
    assert "setup interrupted before the install: nothing was changed" in stderr


def test_uv_unpacks_the_wheels_before_the_conda_layer_is_linked_and_pip_does_not(world: World) -> None:
    steps = json_steps(world.setup("--json").stdout)
    pip = next(s for s in steps if s["step"] == "pip")
    assert pip["status"] == "ok" and pip["installer"] == "uv" and pip["unpacked_ahead"] is True
    # Only uv's own cache can be filled ahead; the pip fallback installs as before.
    shutil.rmtree(world.prefix)
    fallback = world.setup("--json", TFM1_PIP_INSTALLER="pip")
    assert fallback.returncode == 0, fallback.stderr
    pip = next(s for s in json_steps(fallback.stdout) if s["step"] == "pip")
    assert pip["installer"] == "pip" and pip["unpacked_ahead"] is False


def test_a_no_at_the_prompt_has_downloaded_nothing(world: World) -> None:
    # On a terminal without --yes nothing is fetched before the answer: the plan only asks for sizes (HEAD).
    terminal, user_side = pty.openpty()
    env = {k: v for k, v in world.env.items() if k not in ("CI", "NONINTERACTIVE")}
    command = ["setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix), "--no-verify"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tfm1", *command],
        stdin=user_side,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    os.close(user_side)
    try:
        os.write(terminal, b"n\n")  # typed ahead: the terminal keeps it until the prompt reads it
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
        os.close(terminal)
    assert process.returncode == 1, stderr
    assert "Proceed?" in stderr and "cancelled: nothing was changed" in stdout
    assert world.conda_server.heads and world.conda_server.requests == [] and world.pypi_server.requests == []
    assert not world.prefix.exists()
