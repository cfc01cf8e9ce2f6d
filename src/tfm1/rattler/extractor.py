"""Conda archives extracted by worker processes, so that extraction runs beside the downloads.

rattler's `extract` holds Python's GIL while it decompresses (measured: a thread spinning beside it slowed
down ~100x), so in a thread it would stall the download threads and the progress display. Each worker is
`python -I -c WORKER` (isolated: nothing from the current folder, PYTHONPATH or the user's site folder),
reading one `[archive, folder]` JSON line per job on stdin and answering `[sha256 hex, error or null]`.
Workers ignore SIGINT: Ctrl-C reaches the whole process group, and the main process alone handles it
(stops the jobs, rolls back); a worker dies with tfm1 (`tfm1.children`) and ends when its stdin closes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

WORKER = """
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]  # before Python 3.11, -I still puts the current folder first for -c
import json, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
from rattler.package_streaming import extract
for line in sys.stdin:
    archive, folder = json.loads(line)
    try:
        sha256, _ = extract(archive, folder)
        answer = [bytes(sha256).hex(), None]
    except Exception as error:  # rattler's own types do not cross processes; their text names the cause
        answer = ["", " ".join(str(error).split()) or type(error).__name__]
    sys.stdout.write(json.dumps(answer) + "\\n")
    sys.stdout.flush()
"""

# Extraction is decompression and file writes: one worker per core, a few at most.
EXTRACTORS = max(1, min(4, os.cpu_count() or 1))


class Extractors:
    """Up to EXTRACTORS worker processes, each driven by one thread of a pool (its reads release the GIL)."""

    def __init__(self, count: int = EXTRACTORS) -> None:
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="tfm1-extract")
        self._local = threading.local()
        self._workers: list[subprocess.Popen[str]] = []
        self._lock = threading.Lock()

    def submit(self, archive: str, folder: str) -> Future[tuple[str, str | None]]:
        """(the archive's sha256 as rattler read it while extracting, None), or ("", why it failed)."""
        return self._pool.submit(self._run, archive, folder)

    def _run(self, archive: str, folder: str) -> tuple[str, str | None]:
        worker = self._worker()
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(json.dumps([archive, folder]) + "\n")
        worker.stdin.flush()
        answer = worker.stdout.readline()
        if not answer:
            return "", f"the extracting process ended unexpectedly (exit {worker.wait()})"
        sha256, error = json.loads(answer)
        return str(sha256), None if error is None else str(error)

    def _worker(self) -> subprocess.Popen[str]:
        worker: subprocess.Popen[str] | None = getattr(self._local, "worker", None)
        if worker is None:
            from tfm1 import children

            # The worker dies with tfm1, even by SIGKILL.
            worker = children.start(
                [sys.executable, "-I", "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            self._local.worker = worker
            with self._lock:
                self._workers.append(worker)
        return worker

    def close(self) -> None:
        """Wait for the jobs running, drop the queued ones, end the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        from tfm1 import children

        for worker in self._workers:
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()
            children.stop(worker)

    def __enter__(self) -> Extractors:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
