"""Static HTTP servers on 127.0.0.1 for tests, with faults injected per path.

    with StaticServer(directory) as server:
        server.url                        # "http://127.0.0.1:PORT"
        server.fault("/linux-64/x.tar.bz2", "drop")  # or "404", "500", "drop-once", "slow", "slow-head"
        server.requests                   # every path fetched with GET, in order (server.heads: HEAD requests)

Faults:
- "404" / "500": that status, no body (for HEAD requests too).
- "drop": headers announce the full length, half the body is sent, then the connection is cut.
- "drop-once": "drop" for the first GET of the path, the real file afterwards (a retry succeeds).
- "slow": the body in small pieces with a pause between them (about 0.1 s per 4 KiB; ~20 s for 800 KiB),
  so a client can be interrupted while the download is in flight.
- "slow-head": a HEAD request is answered after SLOW_HEAD_SECONDS (GET is served as usual), so a client can be
  interrupted while it waits for a size.

`StaticServer(directory, throttle=Throttle(20e6))` sends every body at most at 20 MB/s; one `Throttle` given
to several servers limits them together, like one network link (HEAD requests and headers are not limited).
`server.spans` records (path, start, end) of every GET body sent, in `time.monotonic()` seconds.
"""

from __future__ import annotations

import http.server
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

Fault = Literal["404", "500", "drop", "drop-once", "slow", "slow-head"]
SLOW_HEAD_SECONDS = 2.0  # below setup's 3 s size-query timeout: the plan waits, then goes on


class Throttle:
    """A bandwidth limit shared by all connections: each piece of a body waits for its slot on one schedule."""

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = bytes_per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def send(self, write: Callable[[bytes], object], data: bytes, piece: int = 1 << 16) -> None:
        for start in range(0, len(data), piece):
            chunk = data[start : start + piece]
            with self._lock:
                begin = max(time.monotonic(), self._next)
                self._next = begin + len(chunk) / self.rate
                ready = self._next
            time.sleep(max(0.0, ready - time.monotonic()))
            write(chunk)


class StaticServer:
    def __init__(self, root: Path, throttle: Throttle | None = None) -> None:
        self.root = Path(root)
        self.throttle = throttle
        self.spans: list[tuple[str, float, float]] = []
        self.requests: list[str] = []
        self.heads: list[str] = []
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                try:
                    self._serve(head=False)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away (an interrupted or aborted download)

            def _serve(self, head: bool) -> None:
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                fault = server._peek_fault(path) if head else server._take_fault(path)
                if fault in ("404", "500"):
                    self.send_response(int(fault))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if fault == "slow-head":
                    time.sleep(SLOW_HEAD_SECONDS)
                target = (server.root / path.lstrip("/")).resolve()
                if server.root.resolve() not in target.parents or not target.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                if head:
                    return
                if fault in ("drop", "drop-once"):
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    # Cut the connection without a clean close, as a failing proxy does.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault == "slow":
                    for start in range(0, len(data), 4096):
                        self.wfile.write(data[start : start + 4096])
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                began = time.monotonic()
                if server.throttle is not None:
                    server.throttle.send(self.wfile.write, data)
                else:
                    self.wfile.write(data)
                with server._lock:
                    server.spans.append((path, began, time.monotonic()))

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                # Clients hang up mid-transfer on purpose in these tests (interrupts, dropped downloads).
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)  # type: ignore[arg-type]

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def fault(self, path: str, kind: Fault) -> None:
        """Make requests for `path` (the URL path, e.g. "/noarch/pip-23.2.1-0.tar.bz2") fail in the way `kind` says."""
        with self._lock:
            self._faults[path] = kind

    def _peek_fault(self, path: str) -> Fault | None:
        """The fault a HEAD request sees: only a status (a body fault applies to GET, and is not used up)."""
        with self._lock:
            self.heads.append(path)
            fault = self._faults.get(path)
            return fault if fault in ("404", "500", "slow-head") else None

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            self.requests.append(path)
            fault = self._faults.get(path)
            if fault == "drop-once":
                del self._faults[path]
            return fault

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def ranged_response(request: Any, body: bytes) -> Any:
    """A werkzeug answer to `request` from `body` that honours a single byte range, as files.pythonhosted.org
    does (pytest-httpserver handlers)."""
    from werkzeug import Response

    if request.range is None:
        return Response(body, 200)
    start, stop = request.range.range_for_length(len(body))
    response = Response(body[start:stop], 206)
    response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(body)}"
    return response
