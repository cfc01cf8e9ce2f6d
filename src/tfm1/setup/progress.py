"""What setup shows on stderr while it changes the disk: the transfer, a counter per stage, a line while a tool
works. The one place that knows rich's progress tasks; the steps only say what they are doing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

    from tfm1.setup.downloads import PlannedDownloads


class RunProgress:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    @contextmanager
    def transfer(self, downloads: PlannedDownloads) -> Iterator[None]:
        """The transfer as one bar while the block runs (it may have started long before)."""
        task = self._progress.add_task(f"downloading {downloads.count} files", total=None)
        downloads.prefetch.report_to(lambda done, total: self._progress.update(task, completed=done, total=total))
        try:
            yield
        finally:
            downloads.prefetch.report_to(None)

    @contextmanager
    def counting(self, what: str, total: int) -> Iterator[Callable[[], None]]:
        """`what (n/total)` while the block runs; the block calls what it is given once per item done."""
        task = self._progress.add_task(f"{what} (0/{total})", total=total)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            self._progress.update(task, completed=done, description=f"{what} ({done}/{total})")

        try:
            yield tick
        finally:
            self._progress.remove_task(task)

    @contextmanager
    def busy(self, what: str) -> Iterator[None]:
        task = self._progress.add_task(what, total=None)
        try:
            yield
        finally:
            self._progress.remove_task(task)
