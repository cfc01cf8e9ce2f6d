"""This run's uv cache, filled while the conda layer is still being linked.

uv installs a wheel in two parts: it unpacks the archive into its cache, then links the files into
site-packages. Unpacking is most of the time (seconds for TensorFlow's wheels) and needs no interpreter, but the
pip layer can start only once the conda layer has linked Python. So as soon as the last wheel is downloaded and
verified, uv unpacks them all into the run's own fresh cache by installing them into a throw-away folder
(`--target`, for the environment's Python version and the lock's platform, the same `--python-platform` that
`tfm1 lock` chose the wheels with: https://docs.astral.sh/uv/reference/cli/#uv-pip-install--python-platform).
The real install then only links from that cache. The cache is still a folder of this run only (issue 11,
item 5), and the real install still requires every hash.

Nothing depends on it: if it fails, or the platform has no uv target, the real install unpacks as before.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from contextlib import contextmanager
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.lockfile import LockedEnvironment
from tfm1.setup.children import child_options
from tfm1.setup.pip_layer import choose_installer, installer_environment, requirements, uv_install_command


class _Warmer:
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
        self.warm = False
        self._thread = threading.Thread(target=self._run, name="tfm1-uv-cache", daemon=True)
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
                self._process = subprocess.Popen(
                    self._command([f.result() for f in self._files]),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=self._environment,
                    **child_options(),  # dies with tfm1, even by SIGKILL
                )
            except (OSError, Tfm1Error):  # uv gone since it was found: the real install reports that
                return
        self.warm = self._process.wait() == 0

    def finish(self) -> bool:
        """Wait for the unpacking; whether the cache now holds every wheel."""
        self._thread.join()
        return self.warm

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._thread.join()


class NoWarmer:
    """Nothing unpacked ahead: the real install does all of it."""

    def finish(self) -> bool:
        return False


Warmer = _Warmer | NoWarmer


@contextmanager
def warm_uv_cache(locked: LockedEnvironment, files: Sequence[Future[Path]], scratch: Path) -> Iterator[Warmer]:
    """Unpack the lock's wheels (`files`, perhaps still downloading) into `uv_cache_dir(scratch)` in the
    background; whatever still runs is stopped when the block is left."""
    from tfm1.lock.targets import minor, target

    python = locked.packages().get("python")
    try:
        usable = bool(locked.pip) and python is not None and choose_installer() == "uv"
        uv_target = target(locked.platform)
    except Tfm1Error:  # no uv (the pip fallback), or a platform tfm1 has no uv target for
        usable = False
    if not usable or python is None:
        yield NoWarmer()
        return
    requirements_file = scratch / "uv-unpack-requirements.txt"
    requirements_file.write_text(requirements(locked.pip), encoding="utf-8")
    destination = ["--target", str(scratch / "uv-unpacked"), "--python", sys.executable]
    destination += ["--python-version", minor(python), "--python-platform", uv_target.uv_platform]
    command = functools.partial(uv_install_command, destination, requirements_file, scratch)
    warmer = _Warmer(command, {**installer_environment(), **dict(uv_target.uv_env)}, files)
    try:
        yield warmer
    finally:
        warmer.stop()
