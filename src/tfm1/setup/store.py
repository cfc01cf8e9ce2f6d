"""The files setup installs from, downloaded once into tfm1's cache and verified every time they are used.

`$TFM1_CACHE_DIR/downloads/<sha256>/<file name>` holds each conda package archive and wheel the lock pins.
A file is used only after its sha256 matched the lock's again at that moment; a changed or truncated file
is downloaded anew. Caches filled by other tools (conda's or rattler's extracted packages, uv's cache) are
never installed from: a file edited there would be installed unnoticed (issue 11, item 5).

`fetch` gets one verified file and is safe to call from several threads; `fetch_all` runs them in parallel.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tfm1.cache import cache_root
from tfm1.errors import UsageError

PARALLEL = 8
FIX_LOCK = "regenerate the lockfile with tfm1 lock"


@dataclass(frozen=True)
class Wanted:
    url: str
    sha256: str
    file_name: str  # the name the installer needs (`*.whl`, `*.conda`, `*.tar.bz2`)


def store_dir() -> Path:
    return cache_root() / "downloads"


def file_name_of(url: str) -> str:
    """The last component of `url`'s path, unquoted."""
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def plain_name(name: str, what: str) -> str:
    """`name` when it can only mean one entry of a folder (no separator, no dot start); a lockfile error otherwise."""
    if not name or name.startswith(".") or any(c in name for c in "/\\\0"):
        raise UsageError(f"the lockfile has {what} {name!r} that is not a plain file name", FIX_LOCK)
    return name


def check_file_name(name: str, suffixes: tuple[str, ...]) -> str:
    """`name` when it is a plain file name ending with one of `suffixes`; a lockfile error otherwise."""
    if not plain_name(name, "a file name").endswith(suffixes):
        raise UsageError(f"the lockfile names a file {name!r}, which is not a {' or '.join(suffixes)} file", FIX_LOCK)
    return name


def fetch(wanted: Wanted, progress: Callable[[int, int | None], None] | None = None) -> Path:
    """The verified file for `wanted`, downloaded unless the cache holds it with the right sha256."""
    from tfm1.download import download

    folder = store_dir() / wanted.sha256.lower()
    made = not folder.exists()
    try:
        return download(wanted.url, folder / wanted.file_name, wanted.sha256, progress=progress)
    except BaseException:
        if made:
            _remove_if_empty(folder)
        raise


def _remove_if_empty(folder: Path) -> None:
    """Leave no empty folder behind a failed download (a non-empty one is someone's, and stays)."""
    with contextlib.suppress(OSError):
        folder.rmdir()


class _Cancelled(Exception):
    pass


class _Parallel:
    """Sums the progress of parallel downloads into one (done, total) report, and stops them all on request."""

    def __init__(self, report: Callable[[int, int | None], None] | None) -> None:
        self.report = report
        self.done: dict[int, int] = {}
        self.totals: dict[int, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def for_file(self, index: int) -> Callable[[int, int | None], None]:
        def update(done: int, total: int | None) -> None:
            if self.stop.is_set():
                raise _Cancelled  # called for every chunk: an interrupted run does not wait for the downloads
            with self.lock:
                self.done[index] = done
                if total:
                    self.totals[index] = total
                summed, total_sum = sum(self.done.values()), sum(self.totals.values()) or None
            if self.report is not None:
                self.report(summed, total_sum)

        return update


def fetch_all(wanted: Sequence[Wanted], progress: Callable[[int, int | None], None] | None = None) -> list[Path]:
    """Every file of `wanted`, in order, downloaded in parallel; the first failure stops the others and is raised."""
    if not wanted:
        return []
    parallel = _Parallel(progress)
    made = not store_dir().exists()
    pool = ThreadPoolExecutor(max_workers=min(PARALLEL, len(wanted)))
    try:
        futures = [pool.submit(fetch, item, parallel.for_file(i)) for i, item in enumerate(wanted)]
        for future in as_completed(futures):
            error = future.exception()
            if error is not None:
                raise error
        return [future.result() for future in futures]
    finally:
        parallel.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if made:
            _remove_if_empty(store_dir())
