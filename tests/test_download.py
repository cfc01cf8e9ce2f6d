"""`tfm1.download.download` against a real local server with injected faults."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import StaticServer
from tfm1.download import DownloadError, download

DATA = bytes(range(256)) * 4096  # 1 MiB, so a dropped connection cuts it in the middle
SHA256 = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[StaticServer]:
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "file.bin").write_bytes(DATA)
    with StaticServer(tmp_path / "www") as server:
        yield server


def test_download_verifies_and_reuses(server: StaticServer, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    target = download(
        f"{server.url}/file.bin",
        tmp_path / "out" / "file.bin",
        SHA256,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert target.read_bytes() == DATA
    assert seen[-1] == (len(DATA), len(DATA))
    download(f"{server.url}/file.bin", target, SHA256)
    assert server.requests == ["/file.bin"]  # the verified file was reused
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


def test_hash_mismatch_leaves_nothing_and_is_not_retried(server: StaticServer, tmp_path: Path) -> None:
    target = tmp_path / "out" / "file.bin"
    with pytest.raises(DownloadError) as error:
        download(f"{server.url}/file.bin", target, "f" * 64, backoff=0)
    assert f"download of {server.url}/file.bin failed: sha256 mismatch: expected {'f' * 64}, got {SHA256}" in str(
        error.value
    )
    assert list(target.parent.iterdir()) == []
    assert server.requests == ["/file.bin"]


def test_404_is_reported_with_the_url_and_not_retried(server: StaticServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as error:
        download(f"{server.url}/missing.bin", tmp_path / "x", SHA256, backoff=0)
    assert error.value.url == f"{server.url}/missing.bin"
    assert "HTTP 404" in error.value.reason
    assert server.requests == ["/missing.bin"]


def test_dropped_connection_is_retried_then_reported(server: StaticServer, tmp_path: Path) -> None:
    server.fault("/file.bin", "drop")
    with pytest.raises(DownloadError) as error:
        download(f"{server.url}/file.bin", tmp_path / "out" / "file.bin", SHA256, retries=2, backoff=0.01)
    assert "gave up after 3 attempts" in error.value.reason
    assert "connection" in error.value.reason.lower() or "bytes" in error.value.reason
    assert server.requests == ["/file.bin"] * 3
    assert list((tmp_path / "out").iterdir()) == []


def test_transient_failures_recover(server: StaticServer, tmp_path: Path) -> None:
    server.fault("/file.bin", "drop-once")
    target = download(f"{server.url}/file.bin", tmp_path / "file.bin", SHA256, backoff=0.01)
    assert target.read_bytes() == DATA
    assert server.requests == ["/file.bin", "/file.bin"]


def test_server_errors_are_retried(server: StaticServer, tmp_path: Path) -> None:
    server.fault("/file.bin", "500")
    with pytest.raises(DownloadError) as error:
        download(f"{server.url}/file.bin", tmp_path / "file.bin", SHA256, retries=1, backoff=0.01)
    assert "HTTP 500" in error.value.reason
    assert len(server.requests) == 2


def test_refused_connection_names_the_url(tmp_path: Path) -> None:
    with StaticServer(tmp_path) as server:
        url = f"{server.url}/file.bin"
    with pytest.raises(DownloadError) as error:
        download(url, tmp_path / "file.bin", SHA256, retries=1, backoff=0.01)
    assert url in error.value.message and "Connection refused" in error.value.reason


def test_file_urls_and_bad_hashes(tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(DATA)
    assert download(source.as_uri(), tmp_path / "copy.bin", SHA256).read_bytes() == DATA
    with pytest.raises(DownloadError, match="no valid sha256"):
        download(source.as_uri(), tmp_path / "copy2.bin", "abc")
