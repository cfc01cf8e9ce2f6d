"""The conda layer: the lock's exact records installed by py-rattler, without any conda executable.

rattler downloads each package (retrying transient failures), checks it against the record's sha256,
links it into the prefix replacing prefix placeholders, and writes `conda-meta/<record>.json`. Link scripts
are not run: they are arbitrary code, and the packages a TensorFlow environment needs do not rely on them.
`conda-meta/history` is written so that `conda` treats the prefix as one of its environments.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rattler import RepoDataRecord
from rattler.install import InstallerReporter

from tfm1.cache import cache_root
from tfm1.errors import Tfm1Error
from tfm1.receipt import now

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def cache_dir() -> Path:
    """`<tfm1 cache>/pkgs`: the same cache root as the Miniforge installer's, in one place to clear or move."""
    return cache_root() / "pkgs"


class _Reporter(InstallerReporter):
    """Turns rattler's callbacks into one byte-counting progress bar for the whole layer (other hooks: no-ops)."""

    def __init__(self, progress: Progress | None, total_packages: int) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.done: dict[int, int] = {}
        self.sizes: dict[int, int] = {}
        self.next_token = 0
        if progress is not None:
            self.task = progress.add_task(f"conda packages (0/{total_packages})", total=None)
        self.total_packages = total_packages
        self.linked = 0

    def _update(self) -> None:
        if self.progress is not None and self.task is not None:
            total = sum(self.sizes.values()) or None
            self.progress.update(
                self.task,
                completed=sum(self.done.values()),
                total=total,
                description=f"conda packages ({self.linked}/{self.total_packages})",
            )

    def on_download_start(self, cache_entry: int) -> int:
        self.next_token += 1
        return self.next_token

    def on_download_progress(self, download_idx: int, progress: int, total: int | None) -> None:
        self.done[download_idx] = progress
        if total:
            self.sizes[download_idx] = total
        self._update()

    def on_link_complete(self, index: int) -> None:
        self.linked += 1
        self._update()


def install_conda_layer(
    records: list[RepoDataRecord], prefix: Path, platform: str, progress: Progress | None, command: str
) -> None:
    import asyncio

    from rattler import Client, install
    from rattler.platform import Subdir

    # rattler documents subclassing its reporter protocol; mypy takes the docstring-only hooks for abstract ones.
    reporter = _Reporter(progress, len(records))  # type: ignore[abstract]
    try:
        asyncio.run(
            install(
                records,
                target_prefix=prefix,
                cache_dir=cache_dir(),
                platform=Subdir(platform),
                execute_link_scripts=False,
                show_progress=False,
                reporter=reporter,
                client=Client.default_client(max_retries=3),
            )
        )
    except Exception as error:  # rattler's exceptions carry the package and the cause in their text
        reason = _reason(error)
        urls = [str(r.url) for r in records if r.file_name in reason and str(r.url) not in reason]
        raise Tfm1Error(
            f"installing the conda packages failed: {reason}" + (f" (from {urls[0]})." if urls else "."),
            "check the network and re-run; if a package's sha256 does not match, the channel or the lock changed: "
            "re-lock with tfm1 lock",
        ) from None
    write_history(prefix, records, command)


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:600] if text else type(error).__name__


def write_history(prefix: Path, records: list[RepoDataRecord], command: str) -> None:
    """conda's own format: a dated header, the command, then `+channel::name-version-build` per package."""
    lines = [f"==> {now()} <==", f"# cmd: {command}", f"# tfm1 python: {sys.executable}"]
    for record in sorted(records, key=lambda r: str(r.name.normalized)):
        channel = (record.channel or "").rstrip("/")
        lines.append(f"+{channel}::{record.name.normalized}-{record.version}-{record.build}")
    history = prefix / "conda-meta" / "history"
    history.parent.mkdir(parents=True, exist_ok=True)
    with history.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
