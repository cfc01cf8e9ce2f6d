"""The cache of summaries of installed binaries: keyed by content, damage is a miss, a race caches nothing."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

import pytest

from tfm1.linkage.sources import installed_summary


class Summary:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary | None:
        return cls(data["text"])


class Reader:
    """Summarises a file by its text, counting how often it had to."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, path: Path) -> Summary:
        self.reads += 1
        return Summary(path.read_text())


def entry(cache: Path, content: bytes) -> Path:
    return cache / f"{hashlib.sha256(content).hexdigest()}.json.gz"


def test_the_same_content_is_read_once_and_new_content_again(tmp_path: Path) -> None:
    image, cache, read = tmp_path / "lib.dylib", tmp_path / "cache", Reader()
    image.write_text("v1")
    assert installed_summary(image, cache, ".json.gz", Summary.from_json, read).text == "v1"
    assert installed_summary(image, cache, ".json.gz", Summary.from_json, read).text == "v1"
    assert read.reads == 1 and entry(cache, b"v1").is_file()
    image.write_text("v2")
    assert installed_summary(image, cache, ".json.gz", Summary.from_json, read).text == "v2"
    assert read.reads == 2


def _nested(depth: int) -> bytes:
    return gzip.compress(b"[" * depth + b"]" * depth)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(lambda good: good[:10] + bytes(len(good) - 10), id="corrupted-deflate"),
        pytest.param(lambda good: b"not gzip at all", id="not-gzip"),
        pytest.param(lambda good: gzip.compress(b'{"text": '), id="bad-json"),
        pytest.param(lambda good: gzip.compress(b"[1, 2]"), id="not-an-object"),
        pytest.param(lambda good: gzip.compress(b'{"other": 1}'), id="missing-key"),
        pytest.param(lambda good: _nested(100_000), id="too-deep"),
    ],
)
def test_a_damaged_entry_is_a_miss_and_is_written_again(tmp_path: Path, damage: Any) -> None:
    image, cache, read = tmp_path / "lib.dylib", tmp_path / "cache", Reader()
    image.write_text("v1")
    installed_summary(image, cache, ".json.gz", Summary.from_json, read)
    cached = entry(cache, b"v1")
    cached.write_bytes(damage(cached.read_bytes()))
    assert installed_summary(image, cache, ".json.gz", Summary.from_json, read).text == "v1"
    assert read.reads == 2
    assert gzip.decompress(cached.read_bytes()) == b'{"text":"v1"}'


def test_a_file_replaced_while_it_is_read_is_answered_but_not_cached(tmp_path: Path) -> None:
    image, cache = tmp_path / "lib.dylib", tmp_path / "cache"
    image.write_text("v1")

    def read_while_an_installer_replaces_it(path: Path) -> Summary:
        replacement = tmp_path / "new.dylib"
        replacement.write_text("v2")
        replacement.replace(path)  # as pip does: a new file renamed over the old
        return Summary(path.read_text())

    answer = installed_summary(image, cache, ".json.gz", Summary.from_json, read_while_an_installer_replaces_it)
    assert answer.text == "v2"
    assert not entry(cache, b"v1").exists() and not entry(cache, b"v2").exists()
    read = Reader()
    assert installed_summary(image, cache, ".json.gz", Summary.from_json, read).text == "v2"
    assert read.reads == 1 and entry(cache, b"v2").is_file()
