"""The range-request wheel reader against HTTP servers on 127.0.0.1 serving the real tensorflow-metal 1.2.0 wheel."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.http import ranged_response
from tests.support.pypi_files import fetch_wheel
from tfm1.linkage.images import SUMMARY_VERSION
from tfm1.linkage.sources import WheelImages
from tfm1.pypi.index import new_session
from tfm1.pypi.remote_wheel import RemoteWheel, RemoteWheelError, WheelRef

pytestmark = pytest.mark.network  # the wheel is fetched from PyPI once, then cached

FILENAME = "tensorflow_metal-1.2.0-cp311-cp311-macosx_12_0_arm64.whl"
SHA256 = "5fa7cee627031c14f45bd97ff0ef422cd6c3866199ff99cf29b94db6674ceb42"
PLUGIN = "tensorflow-plugins/libmetal_plugin.dylib"
PATH = f"/packages/{FILENAME}"

Handler = Callable[[Request], Response]


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.fixture(scope="module")
def wheel_bytes() -> bytes:
    return fetch_wheel("tensorflow-metal", FILENAME, SHA256).read_bytes()


def ranged(body: bytes, log: list[str] | None = None) -> Handler:
    """A server that honours single byte ranges, like files.pythonhosted.org."""

    def handle(request: Request) -> Response:
        if log is not None:
            log.append(request.headers.get("Range", "-"))
        answer: Response = ranged_response(request, body)
        return answer

    return handle


def serve(server: HTTPServer, handler: Handler) -> str:
    server.expect_request(PATH).respond_with_handler(handler)
    return server.url_for(PATH)


def remote(url: str, tmp_path: Path, sha256: str = SHA256, size: int | None = None) -> RemoteWheel:
    return RemoteWheel(requests.Session(), WheelRef(FILENAME, url, sha256, size), tmp_path / "cache")


def expected_member(body: bytes, member: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return archive.read(member)


def test_range_server_reads_only_what_is_needed(httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path) -> None:
    log: list[str] = []
    wheel = remote(serve(httpserver, ranged(wheel_bytes, log)), tmp_path, size=len(wheel_bytes))
    assert PLUGIN in wheel.names()
    head = wheel.head(PLUGIN, 4096)
    assert head[:4] == b"\xcf\xfa\xed\xfe"  # MH_MAGIC_64, little-endian
    fetched_for_head = wheel.bytes_fetched
    assert fetched_for_head < len(wheel_bytes) / 4
    data = wheel.read(PLUGIN)
    assert data == expected_member(wheel_bytes, PLUGIN)
    assert data[:4096] == head
    assert all(r.startswith("bytes=") for r in log)  # never a plain GET of the whole wheel
    assert not wheel.full_path.exists()


def test_server_ignoring_range_falls_back_to_a_checked_full_download(
    httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path
) -> None:
    url = serve(httpserver, lambda request: Response(wheel_bytes, 200))
    wheel = remote(url, tmp_path)
    assert wheel.read(PLUGIN) == expected_member(wheel_bytes, PLUGIN)
    assert wheel.bytes_fetched == len(wheel_bytes)
    assert hashlib.sha256(wheel.full_path.read_bytes()).hexdigest() == SHA256
    # The kept wheel serves the next reader without any request.
    httpserver.clear()
    again = remote(url, tmp_path)
    assert again.read(PLUGIN) == expected_member(wheel_bytes, PLUGIN)
    assert again.bytes_fetched == 0


def test_full_download_with_the_wrong_sha256_is_refused_and_not_kept(
    httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path
) -> None:
    url = serve(httpserver, lambda request: Response(flip(wheel_bytes, 1000), 200))
    wheel = remote(url, tmp_path)
    with pytest.raises(RemoteWheelError, match="sha256 of the downloaded wheel"):
        wheel.names()
    assert not wheel.full_path.exists()
    assert not list(wheel.full_path.parent.glob("*.part"))


def test_wrong_content_length_is_a_clear_error(httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path) -> None:
    def short(request: Request) -> Response:
        start, stop = request.range.range_for_length(len(wheel_bytes))  # type: ignore[union-attr,misc]
        response = Response(wheel_bytes[start : stop - 10], 206)  # ten bytes short of the range it claims
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(wheel_bytes)}"
        return response

    with pytest.raises(RemoteWheelError, match=r"Content-Length \d+ does not match the range"):
        remote(serve(httpserver, short), tmp_path).names()


def test_wrong_range_is_a_clear_error(httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path) -> None:
    honest = ranged(wheel_bytes)

    def shifted(request: Request) -> Response:
        if request.headers["Range"].startswith("bytes=-"):
            return honest(request)  # the tail is fine; the next range comes back one byte off
        start, stop = request.range.range_for_length(len(wheel_bytes))  # type: ignore[union-attr,misc]
        response = Response(wheel_bytes[start + 1 : stop + 1], 206)
        response.headers["Content-Range"] = f"bytes {start + 1}-{stop}/{len(wheel_bytes)}"
        return response

    wheel = remote(serve(httpserver, shifted), tmp_path)
    with pytest.raises(RemoteWheelError, match="asked for bytes"):
        wheel.read(PLUGIN)


def test_size_that_disagrees_with_the_index_is_refused(
    httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path
) -> None:
    wheel = remote(serve(httpserver, ranged(wheel_bytes)), tmp_path, size=len(wheel_bytes) + 1)
    with pytest.raises(RemoteWheelError, match="the package index says"):
        wheel.names()


def test_member_that_differs_from_record_is_refused(httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path) -> None:
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, flip(data, 1000) if info.filename == PLUGIN else data)
    wheel = remote(serve(httpserver, ranged(tampered.getvalue())), tmp_path, sha256="0" * 64)
    with pytest.raises(RemoteWheelError, match="RECORD says"):
        wheel.read(PLUGIN)


def test_images_are_cached_by_wheel_sha256(httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path) -> None:
    url = serve(httpserver, ranged(wheel_bytes))
    first = WheelImages(remote(url, tmp_path))
    plugin = first.plugin(PLUGIN)
    assert "@rpath/_pywrap_tensorflow_internal.so" in plugin.by_library
    assert (tmp_path / "cache" / SHA256 / "members" / "tensorflow-plugins" / "libmetal_plugin.dylib").exists()
    httpserver.clear()  # from now on any request would fail
    second = WheelImages(remote(url, tmp_path))
    assert second.plugin(PLUGIN) == plugin
    assert second.wheel.bytes_fetched == 0


def test_a_damaged_cached_summary_is_read_again(httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path) -> None:
    url = serve(httpserver, ranged(wheel_bytes))
    plugin = WheelImages(remote(url, tmp_path)).plugin(PLUGIN)
    (summary,) = (tmp_path / "cache" / SHA256 / "images").rglob("*.plugin.json.gz")
    damaged = json.dumps({"version": SUMMARY_VERSION, "by_library": 7})  # the right version, a damaged body
    summary.write_bytes(gzip.compress(damaged.encode()))
    assert WheelImages(remote(url, tmp_path)).plugin(PLUGIN) == plugin


def test_range_requests_retry_a_server_error_with_backoff(
    httpserver: HTTPServer, wheel_bytes: bytes, tmp_path: Path
) -> None:
    """tfm1's sessions retry 5xx answers (urllib3's Retry): a blip of the file host does not fail the check."""
    log: list[str] = []
    honest = ranged(wheel_bytes, log)
    failed: list[str] = []

    def flaky(request: Request) -> Response:
        if len(failed) < 2:  # the first two requests fail, whatever they ask for
            failed.append(request.headers.get("Range", "-"))
            return Response("upstream timeout", 503)
        return honest(request)

    url = serve(httpserver, flaky)
    wheel = RemoteWheel(new_session(), WheelRef(FILENAME, url, SHA256, len(wheel_bytes)), tmp_path / "cache")
    assert wheel.read(PLUGIN) == expected_member(wheel_bytes, PLUGIN)
    assert failed == [f"bytes=-{64 * 1024}"] * 2  # the tail probe, asked three times
    assert log[0] == f"bytes=-{64 * 1024}"
    failed.clear()
    with pytest.raises(RemoteWheelError, match="HTTP 503 for a range request"):  # a plain session gives up at once
        remote(url, tmp_path / "plain").names()
