"""A wheel's METADATA as the index serves it beside the wheel (PEP 658), checked and cached.

The file is checked against the sha256 the index's page gives for it and kept in the wheel cache by the wheel's
sha256, so a release's metadata is downloaded once, whoever asks: the lock's wheel picker or, through the local
mirror (`tfm1.pypi.index_mirror`), uv.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TypeGuard

from tfm1.errors import Tfm1Error
from tfm1.pypi.index import Index
from tfm1.pypi.wheel_cache import cache_root, member_path, try_write_atomic

_SHA256 = re.compile("[0-9a-f]{64}")  # fullmatch: no trailing newline, as `$` would allow


def is_sha256(value: object) -> TypeGuard[str]:
    """A sha256 in hex, as PyPI writes it. It names a folder of the wheel cache: an index's page must not lead a
    write elsewhere."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def metadata_path(wheel_sha256: str) -> Path:
    """Where the METADATA of the wheel with this sha256 is cached, however it was read."""
    if not is_sha256(wheel_sha256):
        raise Tfm1Error(f"the index gives {wheel_sha256!r} as a wheel's sha256", "use an index that serves PEP 691")
    return member_path(cache_root(), wheel_sha256, "metadata", "METADATA")


def core_metadata(index: Index, wheel_url: str, filename: str, wheel_sha256: str, metadata_sha256: str) -> bytes:
    """The PEP 658 metadata of a wheel: from the cache when it still matches `metadata_sha256`, else downloaded."""
    cached = metadata_path(wheel_sha256)
    try:
        body = cached.read_bytes()
    except OSError:
        body = None
    if body is not None and hashlib.sha256(body).hexdigest() == metadata_sha256:
        return body
    body = index.get(wheel_url + ".metadata").content
    if hashlib.sha256(body).hexdigest() != metadata_sha256:
        raise Tfm1Error(f"the metadata of {filename} does not match its sha256", "retry later")
    try_write_atomic(cached, body)  # a cache that cannot be written costs a request next time, not the lock
    return body
