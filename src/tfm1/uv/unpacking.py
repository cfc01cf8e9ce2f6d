"""A run's uv cache, filled while other work still runs (for setup: while the conda layer is linked).

uv installs a wheel in two parts: it unpacks the archive into its cache, then links the files into
site-packages. Unpacking is most of the time (seconds for TensorFlow's wheels) and needs no interpreter, but the
pip layer can start only once the conda layer has linked Python. So as soon as the last wheel is downloaded and
verified, uv unpacks them all into the run's own fresh cache by installing them into a throw-away folder
(`--target`, for the environment's Python version and the lock's platform, the same `--python-platform` that
`tfm1 lock` chose the wheels with: https://docs.astral.sh/uv/reference/cli/#uv-pip-install--python-platform).
The real install then only links from that cache. The cache is still a folder of this run only, and the real
install still requires every hash.

Nothing depends on it: if it fails, the real install unpacks as before.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, wait
from contextlib import contextmanager
from pathlib import Path

from tfm1 import children
from tfm1.errors import Tfm1Error
from tfm1.uv.install import find_links, install_command
from tfm1.uv.resolver import UvTarget


class Unpacker:
    """Waits for the wheels in a thread, then runs uv's unpacking install."""

    def __init__(
        self, command: Callable[[list[Path]], list[str]], environment: dict[str, str], files: Sequence[Future[Path]]
    ) -> None:
        self._command = command
        self._environment = environment
        self._files = files
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self.unpacked = False
        self._thread = threading.Thread(target=self._run, name="tfm1-uv-unpack", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        pending = set(self._files)
        while pending and not self._stopped.is_set():  # polled, so that stopping never waits for a download
            pending = wait(pending, timeout=0.2).not_done
        if self._stopped.is_set() or any(f.cancelled() or f.exception() is not None for f in self._files):
            return  # the install step reports a failed download
        with self._lock:
            if self._stopped.is_set():
                return
            try:
                self._process = children.start(  # dies with tfm1, even by SIGKILL
                    self._command([f.result() for f in self._files]),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=self._environment,
                )
            except (OSError, Tfm1Error):  # uv gone since it was found: the real install reports that
                return
        self.unpacked = self._process.wait() == 0
        children.stop(self._process)

    def finish(self) -> bool:
        """Wait for the unpacking; whether the cache now holds every wheel."""
        self._thread.join()
        return self.unpacked

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            process = self._process
        if process is not None:
            children.stop(process)
        self._thread.join()


class NothingAhead:
    """Nothing unpacked ahead: the real install does all of it."""

    def finish(self) -> bool:
        return False


Unpacking = Unpacker | NothingAhead


@contextmanager
def unpack_ahead(
    files: Sequence[Future[Path]],
    requirements_file: Path,
    scratch: Path,
    python_version: str,
    target: UvTarget,
    environment: Mapping[str, str],
) -> Iterator[Unpacker]:
    """Unpack the wheels `requirements_file` pins (`files`, perhaps still downloading) into the run's cache
    (`install.cache_dir(scratch)`) in the background, for CPython `python_version` ("3.12") on `target`; whatever
    still runs is stopped when the block is left."""
    destination = ["--target", str(scratch / "uv-unpacked"), "--python", sys.executable]
    destination += ["--python-version", python_version, "--python-platform", target.uv_platform]

    def command(paths: list[Path]) -> list[str]:
        return install_command(destination, requirements_file, scratch, find_links(paths))

    unpacker = Unpacker(command, {**environment, **dict(target.uv_env)}, files)
    try:
        yield unpacker
    finally:
        unpacker.stop()
