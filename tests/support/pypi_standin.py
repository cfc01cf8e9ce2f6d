"""A stand-in for PyPI on 127.0.0.1 (pytest-httpserver), for `tfm1 compat update`: the real index, with some
projects limited to chosen releases, or given wholly made-up pages, and wheels built at test time served beside it
(with range requests, as files.pythonhosted.org serves them).

    standin = StandIn(httpserver)
    standin.limit("tensorflow", {"2.19.1", "2.20.0"})          # the real page, only these releases
    standin.add(retagged_metal_wheel(tmp_path, "1.3.0", ...))  # a wheel served from here, listed on its page
    standin.page("tensorflow-macos", [])                       # a made-up page (no network for it)
    standin.url                                                # the simple index's URL
    standin.wheel_requests()                                   # paths of the wheels read from here

Every other project's page is the real one, fetched from PyPI once per session (its URLs stay absolute, so uv and
the checker read those wheels from PyPI).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import ssl
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import requests
from packaging.utils import canonicalize_name, parse_wheel_filename
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.http import ranged_response

ACCEPT = "application/vnd.pypi.simple.v1+json"


@cache
def real_page(project: str) -> dict[str, Any]:
    answer = requests.get(f"https://pypi.org/simple/{project}/", headers={"Accept": ACCEPT}, timeout=60)
    answer.raise_for_status()
    page: dict[str, Any] = answer.json()
    return page


def entry(filename: str, sha256: str = "ab" * 32, size: int = 2_000_000, **extra: Any) -> dict[str, Any]:
    """A made-up page entry: nothing downloads it, only its name, size and sha256 are read."""
    return {"filename": filename, "url": f"https://files.example/{filename}", "hashes": {"sha256": sha256},
            "size": size, **extra}  # fmt: skip


class StandIn:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.limits: dict[str, set[str]] = {}
        self.pages: dict[str, list[dict[str, Any]]] = {}
        self.local: dict[str, bytes] = {}  # file name -> wheel bytes served from here
        server.expect_request(re.compile(r"^/simple/[^/]+/$")).respond_with_handler(self._page)
        server.expect_request(re.compile(r"^/files/.+")).respond_with_handler(self._file)

    @property
    def url(self) -> str:
        return self.server.url_for("/simple/")

    def limit(self, project: str, versions: set[str]) -> None:
        self.limits[str(canonicalize_name(project))] = versions

    def page(self, project: str, files: list[dict[str, Any]]) -> None:
        self.pages[str(canonicalize_name(project))] = files

    def add(self, wheel: Path) -> None:
        self.local[wheel.name] = wheel.read_bytes()

    def wheel_requests(self) -> list[str]:
        return [request.path for request, _ in self.server.log if request.path.startswith("/files/")]

    def _page(self, request: Request) -> Response:
        project = request.path.split("/")[2]
        if project in self.pages:
            files = list(self.pages[project])
        else:
            files = real_page(project)["files"]
            if project in self.limits:
                files = [f for f in files if _version(f["filename"]) in self.limits[project]]
        for name, data in self.local.items():
            if canonicalize_name(parse_wheel_filename(name)[0]) == project:
                files.append(self._local_entry(name, data))
        body = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
        return Response(json.dumps(body), content_type=ACCEPT)

    def _local_entry(self, name: str, data: bytes) -> dict[str, Any]:
        metadata = _member(data, ".dist-info/METADATA")
        return {
            "filename": name,
            "url": f"../../files/{name}",
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
            "size": len(data),
            "core-metadata": {"sha256": hashlib.sha256(metadata).hexdigest()},
        }

    def _file(self, request: Request) -> Response:
        name = request.path.removeprefix("/files/")
        if name.endswith(".metadata") and name.removesuffix(".metadata") in self.local:
            return Response(_member(self.local[name.removesuffix(".metadata")], ".dist-info/METADATA"))
        if name not in self.local:
            return Response("not here", status=404)
        response: Response = ranged_response(request, self.local[name])
        return response


@contextmanager
def https_server(directory: Path) -> Iterator[tuple[HTTPServer, dict[str, str]]]:
    """An HTTPServer on https://127.0.0.1 with a certificate made here (openssl), and the environment that makes
    requests and uv trust it besides the usual CAs: a lockfile holds only https wheels (`tfm1 lock --check`)."""
    import certifi

    directory.mkdir(parents=True, exist_ok=True)
    key, cert, bundle = directory / "key.pem", directory / "cert.pem", directory / "ca-bundle.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    # The CAs this process trusts (a machine behind a TLS-inspecting proxy names its own bundle), else certifi's.
    trusted = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or certifi.where()
    bundle.write_text(Path(trusted).read_text() + "\n" + cert.read_text())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", ssl_context=context, threaded=True)
    server.start()
    try:
        yield server, {"REQUESTS_CA_BUNDLE": str(bundle), "SSL_CERT_FILE": str(bundle)}
    finally:
        server.clear()
        if server.is_running():
            server.stop()


def _version(filename: str) -> str | None:
    parts = filename.split("-")
    return parts[1] if filename.endswith(".whl") and len(parts) >= 5 else None


def _member(wheel: bytes, suffix: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(suffix) and n.count("/") == 1]
        return archive.read(name)


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def retagged_metal_wheel(source: Path, out_dir: Path, version: str, python: str) -> Path:
    """A tensorflow-metal `version` wheel for CPython `python` ("3.11"), made from a real release's wheel: its real
    plugin (real Mach-O for the checker), METADATA and WHEEL renamed to the new version and tag, RECORD recomputed."""
    old_version = parse_wheel_filename(source.name)[1]
    tag = f"cp{python.replace('.', '')}"
    platform = source.name.rsplit("-", 1)[1].removesuffix(".whl")
    old_info, new_info = f"tensorflow_metal-{old_version}.dist-info", f"tensorflow_metal-{version}.dist-info"
    members: dict[str, bytes] = {}
    with zipfile.ZipFile(source) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name == f"{old_info}/RECORD":
                continue
            if name == f"{old_info}/METADATA":
                data = re.sub(rb"(?m)^Version: .*$", f"Version: {version}".encode(), data)
            if name == f"{old_info}/WHEEL":
                data = re.sub(rb"(?m)^Tag: .*$", f"Tag: {tag}-{tag}-{platform}".encode(), data)
            members[name.replace(old_info, new_info, 1) if name.startswith(old_info) else name] = data
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in members.items())
    members[f"{new_info}/RECORD"] = (record + f"{new_info}/RECORD,,\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"tensorflow_metal-{version}-{tag}-{tag}-{platform}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2026, 12, 5, 0, 0, 0)), data)
    return target
