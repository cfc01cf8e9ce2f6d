"""Where members read out of PyPI wheels, and what is derived from them, live between runs."""

from __future__ import annotations

from pathlib import Path

from tfm1 import cache
from tfm1.atomic import write_atomic


def cache_root() -> Path:
    return cache.cache_root() / "wheels"


def try_write_atomic(path: Path, data: bytes) -> bool:
    """Caching is an optimisation: a read-only or full disk costs time, not the answer."""
    try:
        write_atomic(path, data)
    except OSError:
        return False
    return True


def member_path(root: Path, sha256: str, kind: str, member: str) -> Path:
    """`<root>/<wheel sha256>/<kind>/<member>`; member names come from a zip, so refuse any that climb out."""
    parts = [p for p in member.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"unsafe member name {member!r}")
    return root.joinpath(sha256, kind, *parts)
