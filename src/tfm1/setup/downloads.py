"""Every file a setup's plan names, downloading in the background into the verified store (`store`).

The runner starts them as early as it may: right after the lockfile is read when no question will be asked
(`--yes`, CI, no terminal), so the transfer runs under the preflight, the plan's size queries and the install's
own set-up; after the confirmation otherwise, so that a user who answers no has downloaded nothing. The install
steps then wait only for their own files, and the progress view shows the transfer once it exists.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.lockfile import LockedEnvironment
from tfm1.setup.events import Events
from tfm1.setup.options import SetupTarget

if TYPE_CHECKING:
    from rich.progress import Progress

    from tfm1.setup.store import Prefetch


@dataclass
class PlannedDownloads:
    prefetch: Prefetch
    installer: Future[Path] | None  # the Miniforge installer, when the plan installs one
    installer_sha256: str | None
    archives: list[Future[Path]]  # the lock's conda packages, in its order
    wheels: list[Future[Path]]  # the lock's wheels, in its order
    count: int

    @contextmanager
    def shown_in(self, progress: Progress) -> Iterator[None]:
        """The transfer as one bar of `progress` while the block runs (it may have started long before)."""
        task = progress.add_task(f"downloading {self.count} files", total=None)
        self.prefetch.report_to(lambda done, total: progress.update(task, completed=done, total=total))
        try:
            yield
        finally:
            self.prefetch.report_to(None)


@contextmanager
def start_downloads(target: SetupTarget, locked: LockedEnvironment, events: Events) -> Iterator[PlannedDownloads]:
    """Every file the plan names, downloading from now on; those still running are stopped when the block is left
    (their `.part` files removed), so nothing writes into the store after the run."""
    from tfm1.setup.conda_layer import archives_wanted
    from tfm1.setup.pip_layer import wheels_wanted
    from tfm1.setup.store import PARALLEL, Prefetch

    count = len(locked.conda) + len(locked.pip) + (1 if target.install_root else 0)
    with Prefetch() as prefetch:
        installer, sha256 = None, None
        if target.install_root:
            from tfm1.setup.miniforge import download_installer, installer_for

            found = installer_for(locked.platform)
            events.step("miniforge", "started", f"downloading Miniforge from {found.url}", url=found.url)
            installer, sha256 = prefetch.submit(functools.partial(download_installer, found)), found.sha256
        # Wheels first: uv unpacks them (`uv_cache`) while the conda packages still arrive, and the conda layer
        # cannot be linked before its last package is there anyway.
        wheels = prefetch.files(wheels_wanted(locked.pip))
        archives = prefetch.files(archives_wanted(locked.conda))
        events.step(
            "download",
            "started",
            f"downloading {count} files in the background, {PARALLEL} at a time",
            files=count,
            parallel=PARALLEL,
        )
        yield PlannedDownloads(prefetch, installer, sha256, archives, wheels, count)
