"""How much a plan will download: the sizes of the locked files, asked of their servers in parallel.

conda-lock v1 records no file sizes, so the plan asks with HEAD requests (a fraction of a second for a
TensorFlow lock). Files whose size cannot be learnt are counted, not guessed; once a host does not answer,
its other files are not asked for, so an unreachable mirror costs one timeout, not one per file.

Only the hosts of the lock's channels and PyPI's file host are asked: a plan (`--dry-run`) of a lockfile
from anywhere must not send requests to whatever hosts its URLs name (an intranet address, a tracker).
Files elsewhere count as unknown, and the plan names their hosts.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple


class _Sizer:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.dead: set[str] = set()
        self.lock = threading.Lock()

    def size(self, url: str) -> int | None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "file":
            try:
                return Path(urllib.parse.unquote(parts.path)).stat().st_size
            except OSError:
                return None
        host = host_of(url)
        with self.lock:
            if host in self.dead:
                return None
        import requests

        try:
            response = requests.head(url, allow_redirects=True, timeout=self.timeout)
        except requests.RequestException:
            with self.lock:
                self.dead.add(host)
            return None
        length = response.headers.get("Content-Length")
        return int(length) if response.ok and length and length.isdigit() else None


class Sizes(NamedTuple):
    known: int  # bytes of the files whose size is known
    unknown: int  # how many files' sizes are unknown
    unreachable: tuple[str, ...]  # the hosts that did not answer at all (offline, a proxy, a dead mirror)
    not_asked: tuple[str, ...]  # the hosts that were not asked: neither a channel of the lock nor PyPI's file host


# conda's default channel_alias: a channel given by name ("conda-forge") lives there.
CHANNEL_ALIAS = "conda.anaconda.org"
PYPI_FILES = "files.pythonhosted.org"  # where PyPI serves the wheels `tfm1 lock` pins


def host_of(url: str) -> str:
    """`host[:port]` of `url`, lower-case, without credentials ("" for a file:// URL)."""
    return urllib.parse.urlsplit(url).netloc.rsplit("@", 1)[-1].lower()


def asked_hosts(channels: Sequence[str]) -> set[str]:
    """The hosts a plan may ask for sizes: the lock's channels' (a channel name means conda's alias) and PyPI's."""
    hosts = {host_of(channel) if "://" in channel else CHANNEL_ALIAS for channel in channels}
    return hosts | {PYPI_FILES}


def total_size(urls: Sequence[str], hosts: set[str], timeout: float = 3.0) -> Sizes:
    if not urls:
        return Sizes(0, 0, (), ())
    sizer = _Sizer(timeout)
    askable = [url for url in urls if urllib.parse.urlsplit(url).scheme == "file" or host_of(url) in hosts]
    with ThreadPoolExecutor(max_workers=min(16, len(askable) or 1)) as pool:
        sizes = list(pool.map(sizer.size, askable))
    not_asked = sorted({host_of(url) for url in urls} - {host_of(url) for url in askable})
    unknown = sum(1 for s in sizes if s is None) + len(urls) - len(askable)
    return Sizes(sum(s for s in sizes if s is not None), unknown, tuple(sorted(sizer.dead)), tuple(not_asked))
