"""Fetch a wheel from PyPI by file name, verified against a pinned sha256, cached between runs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import requests

from tests.support.caches import TEST_CACHE

CACHE = TEST_CACHE / "wheels"
SIMPLE = "https://pypi.org/simple/{project}/"


def fetch_wheel(project: str, filename: str, sha256: str) -> Path:
    target = CACHE / sha256 / filename
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return target
    index = requests.get(
        SIMPLE.format(project=project), headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=60
    )
    index.raise_for_status()
    (url,) = [f["url"] for f in index.json()["files"] if f["filename"] == filename]
    data = requests.get(url, timeout=300).content
    assert hashlib.sha256(data).hexdigest() == sha256, f"{filename}: sha256 mismatch"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")  # each test worker its own
    partial.write_bytes(data)
    partial.replace(target)
    return target
