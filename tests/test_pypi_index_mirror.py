"""The local mirror `tfm1 lock` points its uv runs at (`tfm1.pypi.index_mirror`), with pytest-httpserver as the
real index: each page fetched once for any number of clients, errors answered and not kept, wheel metadata from
the cache, only on 127.0.0.1, gone when the run ends; and a pip layer resolved by uv through it records the index's
own URLs."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.pypi_index import make_wheel
from tfm1.lock.pip_layer import lock_pip_layer
from tfm1.lock.targets import target
from tfm1.pypi.index import ACCEPT, Index
from tfm1.pypi.index_mirror import IndexMirror

METADATA = b"Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\nRequires-Dist: beta>=2\n"
WHEEL = "alpha-1.0-py3-none-any.whl"
WHEEL_SHA256 = "cd" * 32


def page(*files: dict[str, Any]) -> str:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "x", "files": list(files)})


def entry(filename: str, url: str, sha256: str = "ab" * 32, **extra: Any) -> dict[str, Any]:
    return {"filename": filename, "url": url, "hashes": {"sha256": sha256}, **extra}


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET without following redirects and without any proxy from the environment."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        with opener.open(url, timeout=30) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def requests_for(server: HTTPServer, path: str) -> int:
    return sum(1 for request, _ in server.log if request.path == path)


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tfm1's cache (where wheel metadata is kept) in this test's own folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_each_page_is_fetched_once_for_many_concurrent_clients(httpserver: HTTPServer) -> None:
    files = [entry("numpy-2.1.3-cp312-cp312-macosx_14_0_arm64.whl", "../../files/numpy.whl")]

    def slow_page(request: Request) -> Response:
        time.sleep(0.5)  # every client asks while the one upstream request is in flight
        return Response(page(*files), content_type=ACCEPT)

    httpserver.expect_request("/simple/numpy/").respond_with_handler(slow_page)
    with IndexMirror(Index(httpserver.url_for("/simple/"))) as mirror:
        answers: list[tuple[int, bytes, dict[str, str]]] = []
        clients = [threading.Thread(target=lambda: answers.append(get(mirror.url + "numpy/"))) for _ in range(8)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        again = get(mirror.url + "NumPy/")  # any spelling of the name is the same page
    assert requests_for(httpserver, "/simple/numpy/") == 1
    assert [status for status, _, _ in answers] == [200] * 8 and again[0] == 200
    assert len({body for _, body, _ in answers} | {again[1]}) == 1
    assert answers[0][2]["Content-Type"] == ACCEPT
    served = json.loads(answers[0][1])
    assert served["meta"]["api-version"].startswith("1.") and served["name"] == "numpy"
    # A URL relative to the real page is made absolute: relative to the mirror it would name nothing.
    assert [f["url"] for f in served["files"]] == [httpserver.url_for("/files/numpy.whl")]


def test_an_upstream_error_is_answered_with_its_status_and_not_kept(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/simple/nosuch/").respond_with_data("no such project", status=404)
    httpserver.expect_ordered_request("/simple/flaky/").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/simple/nosuch/").respond_with_data("no such project", status=404)
    httpserver.expect_ordered_request("/simple/flaky/").respond_with_data(page(), content_type=ACCEPT)
    # A session without retries: each mirror request is one upstream request.
    with IndexMirror(Index(httpserver.url_for("/simple/"), session=requests.Session())) as mirror:
        first = [get(mirror.url + "nosuch/")[0], get(mirror.url + "flaky/")[0]]
        second = [get(mirror.url + "nosuch/")[0], get(mirror.url + "flaky/")[0]]
    assert first == [404, 503]  # uv reads a 404 as "not in the registry", a 5xx as a failure
    assert second == [404, 200]  # asked upstream again, not answered from a kept failure
    assert requests_for(httpserver, "/simple/nosuch/") == 2 and requests_for(httpserver, "/simple/flaky/") == 2


def test_an_index_that_cannot_be_reached_is_a_502(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again when the block ends: nothing listens there
    with IndexMirror(Index(f"http://127.0.0.1:{port}/simple/", session=requests.Session())) as mirror:
        status, body, _ = get(mirror.url + "numpy/")
    assert status == 502 and b"cannot read" in body


def test_wheel_metadata_comes_from_the_mirror_once_and_the_wheel_from_its_real_url(
    httpserver: HTTPServer, own_cache: Path
) -> None:
    digest = hashlib.sha256(METADATA).hexdigest()
    real = httpserver.url_for(f"/files/{WHEEL}")
    files = [
        entry(WHEEL, real, WHEEL_SHA256, **{"core-metadata": {"sha256": digest}}),
        entry("alpha-0.9-py3-none-any.whl", "../../files/alpha-0.9-py3-none-any.whl"),  # no metadata file listed
        entry("alpha-1.0.tar.gz", "../../files/alpha-1.0.tar.gz"),
    ]
    httpserver.expect_request("/simple/alpha/").respond_with_data(page(*files), content_type=ACCEPT)
    httpserver.expect_request(f"/files/{WHEEL}.metadata").respond_with_data(METADATA)
    for run in range(2):  # two runs: the second finds the metadata in the cache
        with IndexMirror(Index(httpserver.url_for("/simple/"))) as mirror:
            listed = json.loads(get(mirror.url + "alpha/")[1])["files"]
            local = listed[0]["url"]
            assert local.startswith(mirror.root + "/") and listed[0]["hashes"] == {"sha256": WHEEL_SHA256}
            assert [f["url"] for f in listed[1:]] == [
                httpserver.url_for("/files/alpha-0.9-py3-none-any.whl"),
                httpserver.url_for("/files/alpha-1.0.tar.gz"),
            ]
            assert get(local + ".metadata")[:2] == (200, METADATA)
            assert get(local + ".metadata")[:2] == (200, METADATA)
            status, _, headers = get(local)
            assert (status, headers["Location"]) == (302, real)
            assert get(f"{mirror.root}/files/{'ef' * 32}/{WHEEL}.metadata")[0] == 404  # a file no page listed
        assert requests_for(httpserver, f"/files/{WHEEL}.metadata") == 1, f"run {run}"
    assert not any(request.path == f"/files/{WHEEL}" for request, _ in httpserver.log)


def test_metadata_that_does_not_match_its_sha256_is_refused_and_not_cached(
    httpserver: HTTPServer, own_cache: Path
) -> None:
    files = [entry(WHEEL, f"../../files/{WHEEL}", WHEEL_SHA256, **{"core-metadata": {"sha256": "0" * 64}})]
    httpserver.expect_request("/simple/alpha/").respond_with_data(page(*files), content_type=ACCEPT)
    httpserver.expect_request(f"/files/{WHEEL}.metadata").respond_with_data(METADATA)
    with IndexMirror(Index(httpserver.url_for("/simple/"))) as mirror:
        local = json.loads(get(mirror.url + "alpha/")[1])["files"][0]["url"]
        status, body, _ = get(local + ".metadata")
    assert status == 502 and b"does not match its sha256" in body
    assert not list(own_cache.rglob("METADATA"))


def test_the_mirror_listens_on_127_0_0_1_only_and_stops_with_the_run(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/simple/six/").respond_with_data(page(), content_type=ACCEPT)
    with IndexMirror(Index(httpserver.url_for("/simple/"))) as mirror:
        port = int(mirror.root.rsplit(":", 1)[1])
        assert mirror.url == f"http://127.0.0.1:{port}/simple/"
        assert get(mirror.url + "six/")[0] == 200
        # Another address of this machine (on Linux all of 127.0.0.0/8 is local) finds nothing listening.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", port), timeout=2).close()
        assert get(mirror.root + "/elsewhere")[0] == 404
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not [t for t in threading.enumerate() if t.name.startswith(("tfm1-index-mirror", "tfm1-prefetch"))]


def test_prefetched_pages_are_fetched_once_and_a_failed_prefetch_is_asked_again(httpserver: HTTPServer) -> None:
    asked: list[str] = []

    def gone_once(request: Request) -> Response:
        asked.append(request.path)
        return Response("no", status=404) if len(asked) == 1 else Response(page(), content_type=ACCEPT)

    httpserver.expect_request("/simple/six/").respond_with_data(page(), content_type=ACCEPT)
    httpserver.expect_request("/simple/gone/").respond_with_handler(gone_once)
    with IndexMirror(Index(httpserver.url_for("/simple/"), session=requests.Session())) as mirror:
        mirror.prefetch({"six": [], "gone": []})
        deadline = time.monotonic() + 30
        while len(httpserver.log) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        answers = [get(mirror.url + "six/")[0], get(mirror.url + "gone/")[0]]
    assert answers == [200, 200]
    assert requests_for(httpserver, "/simple/six/") == 1 and requests_for(httpserver, "/simple/gone/") == 2


def test_uv_resolves_through_the_mirror_and_the_lock_records_the_real_urls(
    httpserver: HTTPServer, tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy in the environment (here one that is not there) is not used to reach the mirror.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    wheels = {
        "alpha": make_wheel(tmp_path / "w", "alpha", "1.0"),
        "beta": make_wheel(tmp_path / "w", "beta", "2.0"),
    }
    metadata = {
        "alpha": METADATA,
        "beta": b"Metadata-Version: 2.1\nName: beta\nVersion: 2.0\n",
    }
    for name, wheel in wheels.items():
        data = wheel.read_bytes()
        files = [
            entry(
                wheel.name,
                f"../../files/{wheel.name}",
                hashlib.sha256(data).hexdigest(),
                **{"core-metadata": {"sha256": hashlib.sha256(metadata[name]).hexdigest()}},
            )
        ]
        httpserver.expect_request(f"/simple/{name}/").respond_with_data(page(*files), content_type=ACCEPT)
        httpserver.expect_request(f"/files/{wheel.name}.metadata").respond_with_data(metadata[name])
        httpserver.expect_request(f"/files/{wheel.name}").respond_with_data(data)
    direct = requests.Session()
    direct.trust_env = False  # the test's own view of the index ignores that proxy
    index = Index(httpserver.url_for("/simple/"), session=direct)
    mac = target("osx-arm64")
    with IndexMirror(index) as mirror:
        locked = lock_pip_layer(["alpha"], mac, "3.12.13", {}, index, mirror.url)
    assert [(p.name, p.version) for p in locked] == [("alpha", "1.0"), ("beta", "2.0")]
    assert [p.url for p in locked] == [httpserver.url_for(f"/files/{w.name}") for w in wheels.values()]
    assert locked[0].dependencies == {"beta": ">=2"}
    # uv read the pages through the mirror: the index saw each page once, for uv and the wheel picker together.
    assert requests_for(httpserver, "/simple/alpha/") == 1 and requests_for(httpserver, "/simple/beta/") == 1
    assert not (tmp_path / "uv-cache").exists()  # nothing kept under a URL that is gone with the run


def test_a_page_whose_sha256_is_not_one_keeps_its_real_url(httpserver: HTTPServer, own_cache: Path) -> None:
    """The sha256 names a folder of the wheel cache: a page cannot lead the mirror to read or write elsewhere."""
    digest = hashlib.sha256(METADATA).hexdigest()
    odd = entry(WHEEL, f"../../files/{WHEEL}", "../../../elsewhere", **{"core-metadata": {"sha256": digest}})
    httpserver.expect_request("/simple/alpha/").respond_with_data(page(odd), content_type=ACCEPT)
    with IndexMirror(Index(httpserver.url_for("/simple/"))) as mirror:
        (listed,) = json.loads(get(mirror.url + "alpha/")[1])["files"]
        assert get(f"{mirror.root}/files/..%2F..%2F..%2Felsewhere/{WHEEL}.metadata")[0] == 404
    assert listed["url"] == httpserver.url_for(f"/files/{WHEEL}")
    assert not own_cache.exists()


def test_prefetched_metadata_is_fetched_once_however_many_ask_at_once(httpserver: HTTPServer, own_cache: Path) -> None:
    digest = hashlib.sha256(METADATA).hexdigest()
    files = [entry(WHEEL, f"../../files/{WHEEL}", WHEEL_SHA256, **{"core-metadata": {"sha256": digest}})]
    httpserver.expect_request("/simple/alpha/").respond_with_data(page(*files), content_type=ACCEPT)

    def slow_metadata(request: Request) -> Response:
        time.sleep(0.5)  # every client asks while the one upstream request is in flight
        return Response(METADATA)

    httpserver.expect_request(f"/files/{WHEEL}.metadata").respond_with_handler(slow_metadata)
    with IndexMirror(Index(httpserver.url_for("/simple/"))) as mirror:
        mirror.prefetch({"alpha": [WHEEL_SHA256]})
        deadline = time.monotonic() + 30
        while not httpserver.log and time.monotonic() < deadline:
            time.sleep(0.01)
        local = json.loads(get(mirror.url + "alpha/")[1])["files"][0]["url"]
        answers: list[tuple[int, bytes, dict[str, str]]] = []
        clients = [threading.Thread(target=lambda: answers.append(get(local + ".metadata"))) for _ in range(6)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
    assert [(status, body) for status, body, _ in answers] == [(200, METADATA)] * 6
    assert requests_for(httpserver, "/simple/alpha/") == 1
    assert requests_for(httpserver, f"/files/{WHEEL}.metadata") == 1


def test_a_relock_prefetches_the_pip_section_first_then_what_the_current_lock_holds(tmp_path: Path) -> None:
    from tfm1.lock.run import expected_projects
    from tfm1.lockfile import read_lockfile
    from tfm1.profiles import envs_dir, load_profile

    profile = load_profile(envs_dir() / "notebook")
    expected = expected_projects(profile)
    pip_section = ["tensorflow", "tensorflow-metal", "ipykernel", "jupyterlab"]
    assert list(expected)[:4] == pip_section
    lock = read_lockfile(profile.lockfile)
    for package in lock.for_platform("osx-arm64", "pip"):
        assert package.sha256 in expected[package.name]
    assert expected["pip"] == []  # a Python distribution of the conda layer: uv reads its page for the constraint
    # A lock that cannot be read leaves the `pip:` section: the lock itself reports the problem.
    broken = tmp_path / "notebook"
    shutil.copytree(profile.lockfile.parent, broken)
    (broken / "conda-lock.yml").write_text("version: [", encoding="utf-8")
    assert list(expected_projects(load_profile(broken))) == pip_section
