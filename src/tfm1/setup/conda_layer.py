"""The conda layer: the lock's exact records installed by py-rattler, without any conda executable.

Three stages, so that nothing reaches the prefix before every package was checked: tfm1 downloads each
archive into its verified store (`store.py`, sha256 from the lock); `extract_and_check` extracts them into a
private staging folder and refuses any package that could write outside the prefix (`package_check.py`);
then rattler links them from that folder as its package cache, replacing prefix placeholders, and writes
`conda-meta/<record>.json` (with credentials removed from the URLs). Link scripts are not run: they are
arbitrary code, and the packages a TensorFlow environment needs do not rely on them. `conda-meta/history`
is written so that `conda` treats the prefix as one of its environments.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, as_completed
from contextlib import contextmanager
from pathlib import Path

from rattler import RepoDataRecord

from tfm1.cache import cache_root
from tfm1.errors import Tfm1Error
from tfm1.rattler.link import cache_key
from tfm1.receipt import now
from tfm1.redact import redact
from tfm1.setup.package_check import Extracted, check_packages, refuse
from tfm1.setup.store import Wanted, check_file_name, plain_name
from tfm1.storage import storage_error, storage_error_in


def archives_wanted(records: Sequence[RepoDataRecord]) -> list[Wanted]:
    return [
        Wanted(str(r.url), bytes(r.sha256 or b"").hex(), check_file_name(str(r.file_name), (".conda", ".tar.bz2")))
        for r in records
    ]


def redact_records(records: Sequence[RepoDataRecord]) -> None:
    """Remove credentials from the records' URLs: rattler writes them into conda-meta/*.json as they are."""
    for record in records:
        record.url = redact(str(record.url))
        record.channel = redact(str(record.channel or ""))


@contextmanager
def staging_area() -> Iterator[Path]:
    """A private folder for this run's extracted packages, removed afterwards however the run ends.

    Packages are extracted anew from their verified archives for every install: an extracted package kept
    between runs could be edited unnoticed (rattler would link the edit), and extracting costs little next
    to downloading. The folder lives in tfm1's cache, usually on the prefix's disk, so rattler can hardlink.
    """
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".tfm1-staging-", dir=root))
    except OSError as error:
        raise storage_error(error, root) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def extract_and_check(
    records: Sequence[RepoDataRecord],
    archives: Sequence[Future[Path]],
    platform: str,
    staging: Path,
    extracted: Callable[[], None] | None = None,
) -> None:
    """Extract each verified archive into `staging` as soon as it arrives, in worker processes, then check them.

    `archives` are the downloads of `records`' archives, in the same order; `extracted` is called after each
    package. The extraction of one package overlaps the download of the others.
    """
    from tfm1.rattler.extractor import Extractors

    position = {download: index for index, download in enumerate(archives)}
    folders = [staging / plain_name(cache_key(record), "a package name, version and build") for record in records]
    with Extractors() as extractors:
        jobs: dict[Future[tuple[str, str | None]], int] = {}
        for download in as_completed(position):
            index = position[download]
            jobs[extractors.submit(str(download.result()), str(folders[index]))] = index
        for job in as_completed(jobs):
            index = jobs[job]
            _check_extracted(records[index], archives[index].result(), folders[index], *job.result())
            if extracted is not None:
                extracted()
    check_packages([Extracted(record, folder) for record, folder in zip(records, folders, strict=True)], platform)


def _check_extracted(record: RepoDataRecord, archive: Path, folder: Path, sha256: str, error: str | None) -> None:
    """rattler's extractor hashes the archive as it reads it: what was extracted is proven to be the locked file."""
    if error is not None:
        raise storage_error_in(RuntimeError(error), folder) or refuse(
            str(record.file_name), f"its archive cannot be extracted ({error[:600]})"
        )
    if sha256 != bytes(record.sha256 or b"").hex():
        raise Tfm1Error(f"{archive} changed while it was being extracted (sha256 {sha256})", "re-run tfm1 setup")


def install_conda_layer(
    records: Sequence[RepoDataRecord],
    prefix: Path,
    platform: str,
    staging: Path,
    linked: Callable[[], None],
    command: str,
) -> None:
    """Link the packages `extract_and_check` put in `staging` into `prefix`, calling `linked` after each one,
    then record the install in conda's history."""
    from tfm1.rattler.link import link

    link(records, prefix, platform, staging, linked)
    try:
        write_history(prefix, records, command)
    except OSError as error:
        raise storage_error(error) from None


def write_history(prefix: Path, records: Sequence[RepoDataRecord], command: str) -> None:
    """conda's own format: a dated header, the command, then `+channel::name-version-build` per package."""
    lines = [f"==> {now()} <==", f"# cmd: {command}", f"# tfm1 python: {sys.executable}"]
    for record in sorted(records, key=lambda r: str(r.name.normalized)):
        channel = (record.channel or "").rstrip("/")
        lines.append(f"+{channel}::{record.name.normalized}-{record.version}-{record.build}")
    history = prefix / "conda-meta" / "history"
    history.parent.mkdir(parents=True, exist_ok=True)
    with history.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
