"""Every file a setup's plan names, downloading in the background into the verified store (`store`).

The runner starts them as early as it may: right after the plan is made when no question will be asked
(`--yes`, CI, no terminal), so the transfer runs under the preflight, the plan's size queries and the install's
own set-up; after the confirmation otherwise, so that a user who answers no has downloaded nothing. The install
steps then wait only for their own files, and the progress view shows the transfer once it exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.setup.events import Events
from tfm1.setup.plan import SetupPlan
from tfm1.setup.store import Wanted

if TYPE_CHECKING:
    from tfm1.setup.store import Prefetch


@dataclass(frozen=True)
class PlannedDownloads:
    prefetch: Prefetch
    installer: Future[Path] | None  # the Miniforge installer, when the plan installs one
    archives: tuple[Future[Path], ...]  # the plan's conda packages, in its order
    wheels: tuple[Future[Path], ...]  # the plan's wheels, in its order

    @property
    def count(self) -> int:
        return len(self.archives) + len(self.wheels) + (self.installer is not None)


@contextmanager
def start_downloads(plan: SetupPlan, events: Events) -> Iterator[PlannedDownloads]:
    """Every file `plan` names, downloading from now on; those still running are stopped when the block is left
    (their `.part` files removed), so nothing writes into the store after the run."""
    from tfm1.setup.store import PARALLEL, Prefetch, fetch

    source = fetch if plan.bundle is None else _from_bundle(plan, events)
    with Prefetch(source=source) as prefetch:
        installer = None
        if plan.installer is not None and plan.bundle is not None:
            bundled = Wanted(plan.installer.url, plan.installer.sha256, plan.installer.filename)
            installer = prefetch.submit(functools.partial(source, bundled))
        elif plan.installer is not None:
            from tfm1.setup.miniforge import download_installer

            url = plan.installer.url
            events.step("miniforge", "started", f"downloading Miniforge from {url}", url=url)
            installer = prefetch.submit(functools.partial(download_installer, plan.installer))
        # The wheels first, and the conda packages only once every wheel is there: uv's unpacking of the wheels
        # (`pip_layer.unpacking_ahead`) is the longest work after a download and cannot start before the last wheel
        # arrived, while a conda package is extracted and linked in a fraction of that, as it arrives. On a link
        # that all downloads share, running both at once would let the conda packages take bandwidth from the
        # wheels and leave uv's unpacking after the transfer (measured with benchmarks/bench_setup.py --throttle);
        # the cost is idle connections while the last wheels finish, where single connections are slow.
        wheels = tuple(prefetch.files(plan.wheels))
        archives = tuple(prefetch.files(plan.archives, after=wheels))
        downloads = PlannedDownloads(prefetch, installer, archives, wheels)
        events.step(
            "download",
            "started",
            f"downloading {downloads.count} files in the background, {PARALLEL} at a time",
            files=downloads.count,
            parallel=PARALLEL,
        )
        yield downloads


def _from_bundle(plan: SetupPlan, events: Events) -> Callable[[Wanted, Callable[[int, int | None], None]], Path]:
    """Read the plan's bundle whole, every member checked, before anything changes; then each file is taken from
    the store where that put it, and nothing is fetched from anywhere."""
    from tfm1.setup.bundle_source import unpack_bundle

    bundle = plan.bundle
    assert bundle is not None
    count = len(bundle.manifest.members)
    events.step("bundle", "started", f"checking the bundle {bundle.path} ({count} files)", path=str(bundle.path))
    with events.progress() as progress:
        task = progress.add_task(f"checking the bundle ({count} files)", total=bundle.manifest.size)
        files = unpack_bundle(bundle, plan.bundled, lambda done: progress.update(task, completed=done))
    message = f"bundle: {count} files match its manifest and the lock"
    events.step("bundle", "ok", message, files=count, bytes=bundle.manifest.size)

    def take(wanted: Wanted, progress: Callable[[int, int | None], None]) -> Path:
        return files[wanted.sha256]

    return take
