"""tfm1's one simple-index client (`tfm1.pypi.index`), used by the pip layer and the linkage check, against local
servers; and the gate's linkage step when it cannot run: an error that refuses the lock, one check at a time."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version
from pytest_httpserver import HTTPServer

from tfm1.errors import Tfm1Error
from tfm1.linkage.arm64_wheels import best_wheel, versions
from tfm1.lock import gate
from tfm1.lock.wheel_picker import pick_wheels
from tfm1.pypi.index import ACCEPT, Index

MAC = "osx-arm64"
METAL_WHEEL = "tensorflow_metal-1.2.0-cp311-cp311-macosx_12_0_arm64.whl"
METAL_SHA256 = "5fa7cee627031c14f45bd97ff0ef422cd6c3866199ff99cf29b94db6674ceb42"


def page(*files: dict[str, Any]) -> str:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "x", "files": list(files)})


def entry(filename: str, url: str = "", sha256: str = "ab" * 32, size: int = 2_000_000, **extra: Any) -> dict[str, Any]:
    url = url or f"../../files/{filename}"  # relative to the page, as PEP 691 allows
    return {"filename": filename, "url": url, "hashes": {"sha256": sha256}, "size": size, **extra}


def serve_page(server: HTTPServer, project: str, body: str, content_type: str = ACCEPT) -> None:
    server.expect_request(f"/simple/{project}/").respond_with_data(body, content_type=content_type)


def test_an_html_answer_is_one_line_naming_the_url_and_the_content_type(httpserver: HTTPServer) -> None:
    serve_page(httpserver, "tensorflow", "<html><body>Proxy login</body></html>", "text/html")
    index = Index(httpserver.url_for("/simple/"))
    with pytest.raises(Tfm1Error) as raised:
        index.files("tensorflow")
    message = str(raised.value)
    assert "\n" not in message
    assert f"cannot read {httpserver.url_for('/simple/tensorflow/')}: the answer (text/html)" in message
    assert "not the index's JSON page (PEP 691)" in message and "proxy" in raised.value.fix


@pytest.mark.parametrize("body", ['{"name": "tensorflow"}', "[1, 2]", '{"files": [1]}'])
def test_json_without_files_is_the_same_clear_error(httpserver: HTTPServer, body: str) -> None:
    serve_page(httpserver, "tensorflow", body)
    with pytest.raises(Tfm1Error, match=r"is not the index's JSON page \(PEP 691\)"):
        Index(httpserver.url_for("/simple/")).files("tensorflow")


def test_a_server_error_is_retried_with_backoff(httpserver: HTTPServer) -> None:
    wheel = "numpy-2.1.3-cp312-cp312-macosx_14_0_arm64.whl"
    httpserver.expect_ordered_request("/simple/numpy/").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/simple/numpy/").respond_with_data(page(entry(wheel)), content_type=ACCEPT)
    index = Index(httpserver.url_for("/simple/"))
    assert [w.filename for w in index.all_wheels("numpy")] == [wheel]
    assert len(httpserver.log) == 2


def test_each_page_is_fetched_once_for_the_pip_layer_and_the_linkage_check(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tfm1 lock` reads the tensorflow page (megabytes) for the pip layer and again for the linkage check: once."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    metadata = b"Metadata-Version: 2.1\nName: tensorflow\nVersion: 2.19.1\nRequires-Dist: numpy<2.2.0,>=1.26.0\n"
    wheel = "tensorflow-2.19.1-cp312-cp312-macosx_12_0_arm64.whl"
    files = [
        {**entry(wheel), "core-metadata": {"sha256": hashlib.sha256(metadata).hexdigest()}},
        entry("tensorflow-2.19.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        entry("tensorflow-2.19.1.tar.gz"),
    ]
    serve_page(httpserver, "tensorflow", page(*files))
    httpserver.expect_request(f"/files/{wheel}.metadata").respond_with_data(metadata)
    index = Index(httpserver.url_for("/simple/"))
    tags = ["cp312-cp312-macosx_14_0_arm64", "cp312-cp312-macosx_12_0_arm64"]
    threads = [
        threading.Thread(target=pick_wheels, args=([("tensorflow", "2.19.1")], tags, {}, index)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (picked,) = pick_wheels([("TensorFlow", "2.19.1")], tags, {"python_version": "3.12"}, index)
    assert (picked.filename, picked.url) == (wheel, httpserver.url_for(f"/files/{wheel}"))  # relative URL resolved
    assert picked.dependencies == {"numpy": "<2.2.0,>=1.26.0"}
    found, note = best_wheel(index, "tensorflow", "2.19.1", "3.12")
    assert (found.filename, note) == (wheel, None)
    assert versions(index, "tensorflow") == {"2.19.1"}
    page_requests = [r for r, _ in httpserver.log if r.path == "/simple/tensorflow/"]
    assert len(page_requests) == 1


def test_versions_compare_as_versions(httpserver: HTTPServer) -> None:
    """`tfm1 matrix --verify --tf 2.19` means TensorFlow 2.19.0, whose wheel is named 2.19.0."""
    wheel = "tensorflow-2.19.0-cp311-cp311-macosx_12_0_arm64.whl"
    serve_page(
        httpserver,
        "tensorflow",
        page(
            entry(wheel),
            entry("tensorflow-2.19.1-cp311-cp311-macosx_12_0_arm64.whl", yanked="bad build"),
            entry("tensorflow-2.19.1-cp312-cp312-macosx_12_0_arm64.whl"),
        ),
    )
    index = Index(httpserver.url_for("/simple/"))
    for asked in ("2.19", "2.19.0", "2.19.0.0"):
        found, _ = best_wheel(index, "tensorflow", asked, "3.11")
        assert found.filename == wheel
    # A yanked file is never offered.
    assert [w.filename for w in index.wheels("tensorflow", "2.19.1")] == [
        "tensorflow-2.19.1-cp312-cp312-macosx_12_0_arm64.whl"
    ]


PAIR = {"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0", "numpy": "2.1.3"}


def test_a_linkage_check_that_cannot_run_refuses_the_lock_and_says_why(httpserver: HTTPServer) -> None:
    serve_page(httpserver, "tensorflow", "<html>Access denied</html>", "text/html")
    (finding,) = gate.linkage(PAIR, MAC, "3.12.13", index=Index(httpserver.url_for("/simple/")))
    assert finding.severity == "error"
    assert finding.subject == "tensorflow 2.19.1 + tensorflow-metal 1.2.0"
    assert finding.reason.startswith("the binary linkage check could not run (cannot read ")
    assert "the answer (text/html) is not the index's JSON page (PEP 691)" in finding.reason
    assert finding.reason.endswith("retry, or pass --no-linkage to lock without it")
    assert "\n" not in finding.reason


def test_an_unexpected_failure_in_the_check_is_the_same_refusal(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory where the cache keeps the plugin makes LIEF itself raise: the lock is refused in one line."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    plugin = "tensorflow-plugins/libmetal_plugin.dylib"
    members = cache / "tfm1" / "wheels" / METAL_SHA256
    (members / "members" / plugin).mkdir(parents=True)
    (members / "names.json").write_text(json.dumps([plugin]), encoding="utf-8")
    serve_page(httpserver, "tensorflow", page(entry("tensorflow-2.19.1-cp311-cp311-macosx_12_0_arm64.whl")))
    serve_page(httpserver, "tensorflow-metal", page(entry(METAL_WHEEL, sha256=METAL_SHA256)))
    (finding,) = gate.linkage(PAIR, MAC, "3.11.15", index=Index(httpserver.url_for("/simple/")))
    assert finding.severity == "error"
    assert "could not run (" in finding.reason and "--no-linkage" in finding.reason
    assert "HTTP" not in finding.reason  # the cached member was used: the failure is the parser's, not the server's
    assert "\n" not in finding.reason


class _SlowIndex:
    """A threaded server whose every answer takes a while; it records how many requests were in flight at most."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with lock:
                    outer.in_flight += 1
                    outer.most = max(outer.most, outer.in_flight)
                time.sleep(0.4)
                with lock:
                    outer.in_flight -= 1
                body = b"<html>maintenance</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def slow_index() -> Iterator[_SlowIndex]:
    server = _SlowIndex()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_linkage_checks_of_parallel_profiles_run_one_at_a_time(slow_index: _SlowIndex) -> None:
    """Profiles are locked in parallel threads; each check may need gigabytes, so they queue."""
    results: list[list[gate.GateFinding]] = []

    def check(number: int) -> None:
        # Separate indexes: nothing but the gate itself can make these wait for each other.
        results.append(gate.linkage(PAIR, MAC, "3.12.13", index=Index(f"{slow_index.url}/simple{number}/")))

    threads = [threading.Thread(target=check, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(r[0].severity == "error" for r in results)
    assert slow_index.most == 1


def test_an_unreadable_requirement_in_a_wheels_metadata_is_one_error_line(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    metadata = b"Metadata-Version: 2.1\nName: odd\nVersion: 1.0\nRequires-Dist: numpy >=< 2\n"
    wheel = "odd-1.0-py3-none-any.whl"
    serve_page(
        httpserver, "odd", page({**entry(wheel), "core-metadata": {"sha256": hashlib.sha256(metadata).hexdigest()}})
    )
    httpserver.expect_request(f"/files/{wheel}.metadata").respond_with_data(metadata)
    with pytest.raises(Tfm1Error) as raised:
        pick_wheels([("odd", "1.0")], ["py3-none-any"], {}, Index(httpserver.url_for("/simple/")))
    assert raised.value.message.startswith(f"{wheel} has a requirement tfm1 cannot read ('numpy >=< 2'): ")
    assert "\n" not in raised.value.message


def test_a_release_is_found_among_thousands_of_files_by_its_version(httpserver: HTTPServer) -> None:
    """`wheels()` picks one release's files out of a big page (tensorflow's lists thousands) by the version in their
    name, compared as a version; build tags, yanked files, sdists and odd names behave as in `all_wheels()`."""
    others = [
        entry(f"tensorflow-2.{minor}.{patch}-cp311-cp311-macosx_12_0_arm64.whl")
        for minor in range(60)
        if minor != 19
        for patch in range(40)
    ]
    wanted = [
        entry("tensorflow-2.19.0-cp311-cp311-macosx_12_0_arm64.whl"),
        entry("tensorflow-2.19.0-1-cp312-cp312-macosx_12_0_arm64.whl"),  # a build tag
        entry("tensorflow-2.19-cp310-cp310-manylinux_2_28_x86_64.whl"),  # 2.19 is 2.19.0
    ]
    skipped = [
        entry("tensorflow-2.19.0-cp39-cp39-macosx_12_0_arm64.whl", yanked="broken"),
        entry("tensorflow-2.19.0.tar.gz"),
        entry("tensorflow-macos-2.19.0-cp311-cp311-macosx_12_0_arm64.whl"),  # not a valid wheel name
    ]
    serve_page(httpserver, "tensorflow", page(*others, *skipped, *wanted))
    index = Index(httpserver.url_for("/simple/"))
    found = index.wheels("tensorflow", "2.19")
    assert [w.filename for w in found] == [e["filename"] for e in wanted]
    assert found == [w for w in index.all_wheels("tensorflow") if w.version == Version("2.19.0")]
    assert [w.filename for w in index.wheels("tensorflow", "2.7.3")] == [
        "tensorflow-2.7.3-cp311-cp311-macosx_12_0_arm64.whl"
    ]
    assert index.wheels("tensorflow", "9.9") == []


def test_requests_in_flight_at_once_are_bounded(slow_index: _SlowIndex) -> None:
    """Each session lent out opens its own connections (a TLS handshake each): many threads share a few."""
    from tfm1.pypi.index import MAX_SESSIONS

    index = Index(f"{slow_index.url}/simple/")
    threads = [threading.Thread(target=index.get, args=(index.page_url("six"),)) for _ in range(2 * MAX_SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 < slow_index.most <= MAX_SESSIONS
