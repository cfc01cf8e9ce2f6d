"""The files setup installs from, downloaded once into tfm1's cache and verified every time they are used.

`$TFM1_CACHE_DIR/downloads/<sha256>/<file name>` holds each conda package archive and wheel the lock pins.
A file is used only after its sha256 matched the lock's again at that moment; a changed or truncated file
is downloaded anew. Caches filled by other tools (conda's or rattler's extracted packages, uv's cache) are
never installed from: a file edited there would be installed unnoticed.

`fetch` gets one verified file and is safe to call from several threads; `Prefetch` runs them in the
background, `fetch_all` in parallel and waits for them.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass
from pathlib import Path

from tfm1.cache import cache_root
from tfm1.errors import UsageError

PARALLEL = 6  # enough to fill a link whose single connections are slow; few enough to be polite to a server
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

    def report_to(self, report: Callable[[int, int | None], None] | None) -> None:
        with self.lock:
            self.report = report
            summed, total_sum = sum(self.done.values()), sum(self.totals.values()) or None
        if report is not None:
            report(summed, total_sum)  # what arrived before anyone watched

    def for_file(self, index: int) -> Callable[[int, int | None], None]:
        def update(done: int, total: int | None) -> None:
            if self.stop.is_set():
                raise _Cancelled  # called for every chunk: an interrupted run does not wait for the downloads
            with self.lock:
                self.done[index] = done
                if total:
                    self.totals[index] = total
                summed, total_sum = sum(self.done.values()), sum(self.totals.values()) or None
                report = self.report
            if report is not None:
                report(summed, total_sum)

        return update


class Prefetch:
    """Downloads running in the background, at most PARALLEL at once, each one verified into its place.

    Setup starts every download its plan knows at once, so the network is busy while the installer runs
    and packages are extracted and linked; each step waits only for its own files (`results`). Leaving the
    `with` block, however it is left, stops the downloads still running (their `.part` files are removed
    by `download`) and waits for them, so nothing writes into the cache afterwards.
    """

    def __init__(
        self,
        report: Callable[[int, int | None], None] | None = None,
        source: Callable[[Wanted, Callable[[int, int | None], None]], Path] = fetch,
    ) -> None:
        self._parallel = _Parallel(report)
        self._source = source  # how one file is got: downloaded (`fetch`), or taken from a bundle already read
        self._made = not store_dir().exists()
        self._pool = ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="tfm1-download")
        self._futures: list[Future[Path]] = []

    def report_to(self, report: Callable[[int, int | None], None] | None) -> None:
        """Send the summed progress to `report` from now on (None: to nobody)."""
        self._parallel.report_to(report)

    def submit(self, job: Callable[[Callable[[int, int | None], None]], Path]) -> Future[Path]:
        """Run `job(progress)` in the background; it returns the verified file."""
        future = self._pool.submit(job, self._parallel.for_file(len(self._futures)))
        self._futures.append(future)
        return future

    def files(self, wanted: Sequence[Wanted], after: Sequence[Future[Path]] = ()) -> list[Future[Path]]:
        """Download `wanted` in the background; with `after`, each waits for those to be done before it starts."""
        if not after:
            return [self.submit(functools.partial(self._source, item)) for item in wanted]
        return [self.submit(functools.partial(self._after, after, item)) for item in wanted]

    def _after(self, first: Sequence[Future[Path]], item: Wanted, progress: Callable[[int, int | None], None]) -> Path:
        pending = set(first)
        while pending:
            if self._parallel.stop.is_set():
                raise _Cancelled
            pending = wait(pending, timeout=0.1).not_done
        return self._source(item, progress)

    def raise_failure(self) -> None:
        """Raise the first failed download now: a step that changes the disk does not start in vain."""
        for future in self._futures:
            if future.done() and not future.cancelled() and future.exception() is not None:
                raise _error(future)

    def close(self) -> None:
        self._parallel.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._made:
            _remove_if_empty(store_dir())

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _error(future: Future[Path]) -> BaseException:
    error = future.exception()
    assert error is not None
    return error


def results(futures: Sequence[Future[Path]]) -> list[Path]:
    """The files of `futures`, in order, once all arrived; the first failure among them is raised at once."""
    for future in as_completed(futures):
        if future.exception() is not None:
            raise _error(future)
    return [future.result() for future in futures]


def fetch_all(wanted: Sequence[Wanted], progress: Callable[[int, int | None], None] | None = None) -> list[Path]:
    """Every file of `wanted`, in order, downloaded in parallel; the first failure stops the others and is raised."""
    with Prefetch(progress) as prefetch:
        return results(prefetch.files(wanted))
