"""Packages linked into a prefix by py-rattler from a folder of already extracted packages: nothing is downloaded.

The folder is used as rattler's package cache, where each package is the folder `cache_key` names. rattler replaces
prefix placeholders and writes `conda-meta/<record>.json`. Link scripts are not run: they are arbitrary code, and
the packages a TensorFlow environment needs do not rely on them.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

from rattler import PackageRecord, RepoDataRecord
from rattler.install import InstallerReporter

from tfm1.errors import Tfm1Error
from tfm1.redact import redact
from tfm1.storage import storage_error_in


class _Reporter(InstallerReporter):
    """Tells `linked` of each linked package (rattler's other hooks: no-ops; it downloads nothing here)."""

    def __init__(self, linked: Callable[[], None]) -> None:
        self.linked = linked

    def on_link_complete(self, index: int) -> None:
        self.linked()


def cache_key(record: PackageRecord) -> str:
    """The folder name rattler's package cache looks for: `name-version-build`.

    https://github.com/conda/rattler/blob/main/crates/rattler_cache/src/package_cache/cache_key.rs
    (`to_path_segment`). A folder without rattler's `.lock` metadata file has no recorded sha256, which
    rattler takes as a match (`sha256_mismatch` in cache_lock.rs), so it links the folder as it is.
    """
    return f"{record.name.normalized}-{record.version}-{record.build}"


def dependency_order(records: Sequence[RepoDataRecord]) -> tuple[RepoDataRecord, ...]:
    """`records` with each after every record it depends on: an order they can be linked in, batch by batch."""
    # sort_topologically answers with PackageRecords, which have no URL: the lock's own records are put in its order.
    order = {cache_key(record): index for index, record in enumerate(RepoDataRecord.sort_topologically(list(records)))}
    return tuple(sorted(records, key=lambda record: order[cache_key(record)]))


def link(
    records: Sequence[RepoDataRecord], prefix: Path, platform: str, packages: Path, linked: Callable[[], None]
) -> None:
    """Link `records`, extracted in `packages` (`cache_key` folders), into `prefix`, calling `linked` after each."""
    import asyncio

    from rattler import install
    from rattler.package_cache import PackageCache, ValidationMode
    from rattler.platform import Subdir

    # rattler documents subclassing its reporter protocol; mypy takes the docstring-only hooks for abstract ones.
    reporter = _Reporter(linked)  # type: ignore[abstract]
    held = weakref.ref(reporter)
    # The folder was filled and checked by this run a moment ago: hashing every file again adds nothing.
    cache = PackageCache.new_layered([packages], validation_mode=ValidationMode.skip())
    try:
        asyncio.run(
            install(
                list(records),
                target_prefix=prefix,
                package_cache=cache,
                platform=Subdir(platform),
                execute_link_scripts=False,
                show_progress=False,
                reporter=reporter,
            )
        )
    except Exception as error:  # rattler's exceptions carry the package and the cause in their text
        raise _link_error(error, prefix) from None
    finally:
        del reporter
        _released(held)


def _released(held: weakref.ReferenceType[_Reporter], seconds: float = 2.0) -> None:
    """Wait until rattler's runtime has let go of the reporter.

    rattler runs the install on its own (tokio) threads, which hold the reporter; such a thread may drop it, which
    takes the GIL, after the call returned. Were the interpreter finalizing by then, that aborts the process ("Fatal
    Python error: PyGILState_Release ... finalizing", as in https://github.com/PyO3/pyo3-async-runtimes/issues/40,
    which has no shutdown for the runtime). Once the reporter is gone, no Python object of this call is left there.
    """
    deadline = time.monotonic() + seconds
    while held() is not None and time.monotonic() < deadline:
        time.sleep(0.005)


def _link_error(error: Exception, prefix: Path) -> Tfm1Error:
    found = storage_error_in(error, prefix)
    if found is not None:
        return found
    return Tfm1Error(
        f"linking the conda packages into {prefix} failed: {redact(_reason(error))}",
        "re-run tfm1 setup; if it fails again, report it with this message",
    )


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:600] if text else type(error).__name__
