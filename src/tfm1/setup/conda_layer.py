"""The conda layer: the lock's exact records installed by py-rattler, without any conda executable.

Three stages per package, so that nothing reaches the prefix before it was checked: tfm1 downloads each archive
into its verified store (`store.py`, sha256 from the lock); a worker process extracts it into a private staging
folder, hashing it again as it reads; every package that could write outside the prefix is refused
(`package_check.py`); then rattler links it from that folder as its package cache (`tfm1.rattler.link`), replacing
prefix placeholders, and writes `conda-meta/<record>.json` (with credentials removed from the URLs). The stages
overlap: packages are linked in dependency order, batch by batch, as they arrive. Link scripts are not run: they
are arbitrary code, and the packages a TensorFlow environment needs do not rely on them. `conda-meta/history` is
written so that `conda` treats the prefix as one of its environments.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rattler import RepoDataRecord

from tfm1.cache import cache_root
from tfm1.errors import Tfm1Error
from tfm1.rattler.link import cache_key
from tfm1.receipt import now
from tfm1.redact import redact
from tfm1.setup.package_check import Extracted, check_packages, refuse
from tfm1.setup.store import Wanted, check_file_name, plain_name
from tfm1.storage import private_folder, storage_error, storage_error_in


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
    folder = private_folder(cache_root(), ".tfm1-staging-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_extracted(record: RepoDataRecord, archive: Path, folder: Path, sha256: str, error: str | None) -> None:
    """rattler's extractor hashes the archive as it reads it: what was extracted is proven to be the locked file."""
    if error is not None:
        raise storage_error_in(RuntimeError(error), folder) or refuse(
            str(record.file_name), f"its archive cannot be extracted ({error[:600]})"
        )
    if sha256 != bytes(record.sha256 or b"").hex():
        raise Tfm1Error(f"{archive} changed while it was being extracted (sha256 {sha256})", "re-run tfm1 setup")


@dataclass(frozen=True)
class CondaLayer:
    records: Sequence[RepoDataRecord]  # in dependency order (`tfm1.rattler.link.dependency_order`)
    platform: str
    prefix: Path
    command: str  # for conda-meta/history


@dataclass(frozen=True)
class CondaProgress:
    extracted: Callable[[], None]  # called once per package extracted and checked
    linked: Callable[[], None]  # once per package linked


def install_conda_layer(
    layer: CondaLayer, archives: Sequence[Future[Path]], staging: Path, progress: CondaProgress
) -> None:
    """Install the layer's records from their archives (`archives`, in the same order, perhaps still downloading)
    into its prefix, then record the install in conda's history.

    Each archive is extracted into `staging` by a worker process as soon as its download was verified; the packages
    are linked as soon as they and every package before them in that order are extracted and checked (each batch
    with every package linked before it), so extracting and linking overlap the downloads still running. Nothing
    is linked before its whole archive matched the lock's sha256.
    """
    from tfm1.rattler.extractor import Extractors
    from tfm1.rattler.link import link

    records, platform, prefix = layer.records, layer.platform, layer.prefix
    packages = [
        Extracted(record, staging / plain_name(cache_key(record), "a package name, version and build"))
        for record in records
    ]
    downloading: dict[Future[Any], int] = {download: index for index, download in enumerate(archives)}
    extracting: dict[Future[Any], int] = {}
    ready = [False] * len(records)
    linked = 0
    with Extractors() as extractors:
        while downloading or extracting:
            done, _ = wait([*downloading, *extracting], return_when=FIRST_COMPLETED)
            for future in done:
                if future in downloading:
                    index = downloading.pop(future)
                    archive = str(future.result())  # raises the download's failure
                    extracting[extractors.submit(archive, str(packages[index].folder))] = index
                    continue
                index = extracting.pop(future)
                sha256, error = future.result()
                _check_extracted(records[index], archives[index].result(), packages[index].folder, sha256, error)
                progress.extracted()
                ready[index] = True
            upto = linked
            while upto < len(records) and ready[upto]:
                upto += 1
            if upto > linked:
                check_packages(packages[:upto], platform, records)
                link(records[:upto], prefix, platform, staging, progress.linked)
                linked = upto
    try:
        write_history(prefix, records, layer.command)
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
