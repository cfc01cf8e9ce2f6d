"""How much a plan will download: the sizes of the locked files, asked of their servers in parallel.

conda-lock v1 records no file sizes, so the plan asks with HEAD requests (a fraction of a second for a
TensorFlow lock). Files whose size cannot be learnt are counted, not guessed; once a host does not answer,
its other files are not asked for, so an unreachable mirror costs one timeout, not one per file.
"""

from __future__ import annotations

import threading
import urllib.parse
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
        with self.lock:
            if parts.netloc in self.dead:
                return None
        import requests

        try:
            response = requests.head(url, allow_redirects=True, timeout=self.timeout)
        except requests.RequestException:
            with self.lock:
                self.dead.add(parts.netloc)
            return None
        length = response.headers.get("Content-Length")
        return int(length) if response.ok and length and length.isdigit() else None


class Sizes(NamedTuple):
    known: int  # bytes of the files whose size is known
    unknown: int  # how many files' sizes are unknown
    unreachable: list[str]  # the hosts that did not answer at all (offline, a proxy, a dead mirror)


def total_size(urls: list[str], timeout: float = 3.0) -> Sizes:
    if not urls:
        return Sizes(0, 0, [])
    sizer = _Sizer(timeout)
    with ThreadPoolExecutor(max_workers=min(16, len(urls))) as pool:
        sizes = list(pool.map(sizer.size, urls))
    return Sizes(sum(s for s in sizes if s is not None), sum(1 for s in sizes if s is None), sorted(sizer.dead))
