"""One `Index` served to local resolvers (uv) on 127.0.0.1 for the length of a run, so each page is fetched once.

uv keeps a project page only as long as the index's Cache-Control allows: behind a proxy that strips that header it
fetches every page again in every process, and `tfm1 lock` runs one uv per profile and platform over mostly the same
pages, then reads them again itself to pick the wheels. Pointed at this server instead (`--index-url`), every uv
of the run reads the pages of the run's one `Index`, each downloaded once from the real index.

A wheel whose page entry gives the sha256 of its PEP 658 metadata file is listed with a URL on this server: its
metadata then comes from the wheel cache (checked against that sha256, downloaded once ever), and a request for the
wheel itself is redirected to its real URL. Every other URL on a page is the real one, made absolute. Locks never
hold these local URLs: the wheel picker reads the same `Index` directly, with the index's own URLs.
Answers carry `Cache-Control: no-store`: the port is new each run, so nothing stored under it would be read again.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from tfm1.errors import Tfm1Error
from tfm1.pypi.core_metadata import core_metadata, is_sha256
from tfm1.pypi.index import ACCEPT, Index, IndexStatusError
from tfm1.pypi.once import Once

HOST = "127.0.0.1"  # never another interface: the mirror serves this machine's resolvers only
PREFETCH_WORKERS = 8


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    location: str = ""


@dataclass(frozen=True)
class _File:
    url: str  # the real one
    filename: str
    metadata_sha256: str


class IndexMirror:
    """`with IndexMirror(index) as mirror:` serves `index` at `mirror.url` until the block ends."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._server = _Server((HOST, 0), _Handler, self)
        port = self._server.server_address[1]
        self.root = f"http://{HOST}:{port}"
        self.url = f"{self.root}/simple/"
        self._thread = threading.Thread(target=self._server.serve_forever, name="tfm1-index-mirror", daemon=True)
        self._guard = threading.Lock()
        self._pages: Once[str, bytes] = Once()
        self._files: dict[str, _File] = {}  # by the wheel's sha256
        self._metadata: Once[str, bytes] = Once()  # by the wheel's sha256
        self._prefetching = ThreadPoolExecutor(max_workers=PREFETCH_WORKERS, thread_name_prefix="tfm1-prefetch")

    def __enter__(self) -> IndexMirror:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._prefetching.shutdown(wait=True, cancel_futures=True)
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def prefetch(self, projects: Mapping[str, Collection[str]]) -> None:
        """Start fetching these projects' pages now, in this order, a few at a time, each with the metadata of the
        wheels given by sha256. A resolver asks for pages one dependency level after another; what it will ask for
        (a re-lock reads mostly what the last lock read) is then ready. A failure is not kept: it is fetched again,
        and the error answered, when asked."""
        for project, wheels in projects.items():
            self._prefetching.submit(self._try_page, project, wheels)

    def _try_page(self, project: str, wheels: Collection[str]) -> None:
        with contextlib.suppress(Tfm1Error):
            self._page(project)
            for sha256 in wheels:
                with self._guard:
                    known = self._files.get(sha256)
                if known is not None:
                    self._metadata_of(sha256, known)

    def answer(self, path: str) -> _Answer:
        parts = [unquote(part) for part in urlsplit(path).path.split("/")]
        try:
            if len(parts) == 4 and parts[1] == "simple" and parts[2] and parts[3] == "":
                return _Answer(200, self._page(parts[2]), ACCEPT)
            if len(parts) == 4 and parts[1] == "files":
                return self._file(parts[2], parts[3])
        except IndexStatusError as error:
            return _Answer(error.status, error.message.encode())  # a 404 stays a 404: uv reports "not found"
        except Tfm1Error as error:
            return _Answer(502, error.message.encode())
        except Exception as error:
            return _Answer(500, f"{type(error).__name__}: {error}".encode())
        return _Answer(404, b"not found")

    def _page(self, project: str) -> bytes:
        """The project's page in PEP 691 JSON, built once from the `Index`; a failure is not kept."""
        from packaging.utils import canonicalize_name

        name = str(canonicalize_name(project))

        def build() -> bytes:
            base = self.index.page_url(name)
            files = [self._listed(base, entry) for entry in self.index.files(name)]
            page = {"meta": {"api-version": "1.0"}, "name": name, "files": files}
            return json.dumps(page, separators=(",", ":")).encode()

        return self._pages.get(name, build)

    def _listed(self, base: str, entry: dict[str, Any]) -> dict[str, Any]:
        """A page entry as this mirror lists it: the real URL made absolute, or this server's for the metadata."""
        url, filename = entry.get("url"), entry.get("filename")
        if not isinstance(url, str) or not isinstance(filename, str):
            return entry
        # PEP 691 allows URLs relative to the page, which is not this server (urljoin only where needed: a page
        # can list tens of thousands of files).
        real = url if url.startswith(("https://", "http://")) else urljoin(base, url)
        listed = {**entry, "url": real} if real is not url else entry
        hashes = entry.get("hashes")
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        metadata = entry.get("core-metadata") or entry.get("data-dist-info-metadata")
        metadata_sha256 = metadata.get("sha256") if isinstance(metadata, dict) else None
        if is_sha256(sha256) and is_sha256(metadata_sha256) and filename.endswith(".whl"):
            with self._guard:
                self._files[sha256] = _File(real.split("#", 1)[0], filename, metadata_sha256)
            listed = {**entry, "url": f"{self.root}/files/{quote(sha256)}/{quote(filename)}"}
        return listed

    def _file(self, sha256: str, name: str) -> _Answer:
        with self._guard:
            known = self._files.get(sha256)
        if known is not None and name == known.filename + ".metadata":
            return _Answer(200, self._metadata_of(sha256, known), "application/octet-stream")
        if known is not None and name == known.filename:
            return _Answer(302, location=known.url)
        return _Answer(404, b"not found")

    def _metadata_of(self, sha256: str, known: _File) -> bytes:
        """One download for all who ask at once (every uv of the run reads mostly the same wheels)."""
        return self._metadata.get(
            sha256, lambda: core_metadata(self.index, known.url, known.filename, sha256, known.metadata_sha256)
        )


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # an idle keep-alive connection must not hold the run's end
    # Each uv opens dozens of connections at once; socketserver's backlog of 5 dropped the rest, and a dropped
    # connection is retried by TCP only after 1, 3, 7 s.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A resolver that hung up mid-answer is not the run's error: uv reports its own failures."""

    def __init__(self, address: tuple[str, int], handler: type[_Handler], mirror: IndexMirror) -> None:
        self.mirror = mirror
        super().__init__(address, handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: each uv reuses its connections
    server: _Server

    def do_GET(self) -> None:
        answer = self.server.mirror.answer(self.path)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("Cache-Control", "no-store")
        if answer.location:
            self.send_header("Location", answer.location)
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: uv's own messages say what went wrong."""
