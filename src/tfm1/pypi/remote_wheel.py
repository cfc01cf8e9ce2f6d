"""Read members of a remote wheel with HTTP range requests: the zip's central directory, then the members asked for.

A wheel is a zip file, so `zipfile` does the parsing over a file object whose reads become range requests. A server
that ignores `Range` gets the whole wheel downloaded once instead, checked against its sha256. Members read in full
are checked against the sha256 in the wheel's RECORD, besides the zip CRC. Failed requests are retried by the
session given (`tfm1.pypi.index.new_session` retries connection errors and 429/5xx answers with backoff).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from tfm1.errors import Tfm1Error
from tfm1.pypi.wheel_cache import member_path, try_write_atomic

if TYPE_CHECKING:
    import requests

TAIL_BYTES = 64 * 1024  # end of central directory record plus the largest possible zip comment
MIN_FETCH = 64 * 1024
LOCAL_HEADER_SLACK = 1024  # the local extra field may differ from the central one; it is small
CHUNK = 1 << 20
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")

ReadProgress = Callable[[str, int, int], None]  # (what, bytes done, bytes total)


class RemoteWheelError(Tfm1Error):
    def __init__(
        self, message: str, fix: str = "try again; if it persists, a server or proxy in between mangles the transfer"
    ) -> None:
        super().__init__(message, fix)


@dataclass(frozen=True)
class WheelRef:
    filename: str
    url: str
    sha256: str
    size: int | None = None


class _RangeNotHonoured(Exception):
    """The server answered a range request with the whole file (the response, body not read yet)."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__()
        self.response = response


class HttpRangeFile(io.RawIOBase):
    """A read-only, seekable view of a remote file; reads outside what was fetched become range requests."""

    def __init__(self, session: requests.Session, url: str, size: int | None, progress: ReadProgress | None) -> None:
        super().__init__()
        self.session = session
        self.url = url
        self.progress = progress
        self.bytes_fetched = 0
        self.requests = 0
        self._pos = 0
        self._spans: list[tuple[int, bytes]] = []
        self.size = 0
        tail_start, tail = self._probe(size)
        self._spans.append((tail_start, tail))

    def _probe(self, expected_size: int | None) -> tuple[int, bytes]:
        response = self._get({"Range": f"bytes=-{TAIL_BYTES}"})
        if response.status_code == 200:
            raise _RangeNotHonoured(response)
        with response:
            start, end, total = self._check_partial(response, None, None)
            if expected_size is not None and total != expected_size:
                raise RemoteWheelError(
                    f"{self.url}: the server says the file has {total} bytes, the package index says {expected_size}"
                )
            self.size = total
            return start, self._body(response, end - start + 1, "")

    def _get(self, headers: dict[str, str]) -> requests.Response:
        import requests

        self.requests += 1
        try:
            response = self.session.get(self.url, headers=headers, stream=True, timeout=60)
        except requests.RequestException as error:
            raise RemoteWheelError(f"cannot fetch {self.url}: {error}") from None
        if response.status_code not in (200, 206):
            response.close()
            raise RemoteWheelError(f"{self.url}: HTTP {response.status_code} for a range request")
        return response

    def _check_partial(self, response: requests.Response, start: int | None, end: int | None) -> tuple[int, int, int]:
        if response.status_code != 206:
            raise RemoteWheelError(f"{self.url}: HTTP {response.status_code} where a partial response was expected")
        match = CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if not match or match[3] == "*":
            raise RemoteWheelError(f"{self.url}: bad Content-Range {response.headers.get('Content-Range')!r}")
        got_start, got_end, total = int(match[1]), int(match[2]), int(match[3])
        if (start is not None and got_start != start) or (end is not None and got_end != end) or got_end < got_start:
            raise RemoteWheelError(f"{self.url}: asked for bytes {start}-{end}, the server sent {got_start}-{got_end}")
        if self.size and total != self.size:
            raise RemoteWheelError(f"{self.url}: the file size changed from {self.size} to {total} bytes")
        length = response.headers.get("Content-Length")
        if length is not None and int(length) != got_end - got_start + 1:
            raise RemoteWheelError(
                f"{self.url}: Content-Length {length} does not match the range {got_start}-{got_end}"
            )
        return got_start, got_end, total

    def _body(self, response: requests.Response, expected: int, what: str) -> bytes:
        import requests

        buffer = bytearray()
        try:
            for chunk in response.iter_content(CHUNK):
                buffer += chunk
                if len(buffer) > expected:
                    break
                if self.progress and what:
                    self.progress(what, len(buffer), expected)
        except requests.RequestException as error:
            raise RemoteWheelError(f"{self.url}: the transfer broke off: {error}") from None
        self.bytes_fetched += len(buffer)
        if len(buffer) != expected:
            raise RemoteWheelError(f"{self.url}: expected {expected} bytes for a range, received {len(buffer)}")
        return bytes(buffer)

    def fetch(self, start: int, end: int, what: str = "") -> None:
        """Make bytes [start, end) available; one request, unless they are already here."""
        end = min(end, self.size)
        if start >= end or self._find(start, end - start) is not None:
            return
        response = self._get({"Range": f"bytes={start}-{end - 1}"})
        with response:
            if response.status_code == 200:
                raise RemoteWheelError(f"{self.url}: the server stopped honouring range requests")
            self._check_partial(response, start, end - 1)
            self._spans.append((start, self._body(response, end - start, what)))

    def _find(self, start: int, length: int) -> bytes | None:
        for span_start, data in self._spans:
            if span_start <= start and start + length <= span_start + len(data):
                return data[start - span_start : start + length - span_start]
        return None

    # io.RawIOBase interface, as much as zipfile uses.
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._pos
        size = min(size, max(0, self.size - self._pos))
        if size == 0:
            return b""
        data = self._find(self._pos, size)
        if data is None:
            self.fetch(self._pos, self._pos + max(size, MIN_FETCH))
            data = self._find(self._pos, size)
            assert data is not None
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def forget(self, start: int) -> None:
        """Drop a big span once its member is on disk."""
        self._spans = [s for s in self._spans if s[0] != start or len(s[1]) <= TAIL_BYTES]


def _record_digest(text: str) -> str:
    """RECORD's `sha256=<urlsafe base64, no padding>` as hex."""
    algorithm, _, value = text.partition("=")
    if algorithm != "sha256" or not value:
        return ""
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


class RemoteWheel:
    """Members of one wheel, fetched lazily and cached under `<cache>/<wheel sha256>/`."""

    def __init__(
        self,
        session: requests.Session,
        wheel: WheelRef,
        cache: Path,
        progress: ReadProgress | None = None,
    ) -> None:
        self.session = session
        self.wheel = wheel
        self.cache = cache
        self.progress = progress
        self.bytes_fetched = 0
        self.requests = 0
        self._zip: zipfile.ZipFile | None = None
        self._range: HttpRangeFile | None = None
        self._record: dict[str, str] | None = None

    # -- opening -------------------------------------------------------------------------------------------
    @property
    def full_path(self) -> Path:
        return self.cache / self.wheel.sha256 / self.wheel.filename

    def _open(self) -> zipfile.ZipFile:
        if self._zip is not None:
            return self._zip
        if not self.full_path.exists():
            try:
                self._range = HttpRangeFile(self.session, self.wheel.url, self.wheel.size, self.progress)
            except _RangeNotHonoured as full:
                self._download_full(full.response)
        try:
            if self._range is not None:
                self._zip = zipfile.ZipFile(self._range)
            else:
                self._zip = zipfile.ZipFile(self.full_path)
        except (zipfile.BadZipFile, OSError) as error:
            raise RemoteWheelError(f"{self.wheel.filename}: not a readable wheel: {error}") from None
        finally:
            self._count()
        return self._zip

    def _count(self) -> None:
        if self._range is not None:
            self.bytes_fetched = self._range.bytes_fetched
            self.requests = self._range.requests

    def _download_full(self, response: requests.Response) -> None:
        """The server ignored `Range`: take the whole wheel once, and keep it only if its sha256 is right."""
        import requests

        self.full_path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        received = 0
        handle = tempfile.NamedTemporaryFile(dir=self.full_path.parent, suffix=".part", delete=False)  # noqa: SIM115
        try:
            with handle, response:
                total = int(response.headers.get("Content-Length") or self.wheel.size or 0)
                for chunk in response.iter_content(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if self.progress:
                        self.progress(f"{self.wheel.filename} (whole wheel)", received, total)
            self.bytes_fetched += received
            self.requests += 1
            if digest.hexdigest() != self.wheel.sha256:
                raise RemoteWheelError(
                    f"{self.wheel.filename}: sha256 of the downloaded wheel is {digest.hexdigest()}, "
                    f"expected {self.wheel.sha256}"
                )
            Path(handle.name).replace(self.full_path)
        except requests.RequestException as error:
            raise RemoteWheelError(f"cannot download {self.wheel.url}: {error}") from None
        finally:
            Path(handle.name).unlink(missing_ok=True)

    # -- listing -------------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Member names; kept in the cache, so a run that finds all it needs there sends no request."""
        listing = self.cache / self.wheel.sha256 / "names.json"
        try:
            names = json.loads(listing.read_text(encoding="utf-8"))
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return names
        except (OSError, ValueError):
            pass
        names = self._open().namelist()
        try_write_atomic(listing, json.dumps(names).encode())
        return names

    def info(self, member: str) -> zipfile.ZipInfo:
        try:
            return self._open().getinfo(member)
        except KeyError:
            raise RemoteWheelError(f"{self.wheel.filename} has no member {member}", "") from None

    def _prefetch(self, info: zipfile.ZipInfo, data_bytes: int, what: str = "") -> None:
        if self._range is None:
            return
        start = info.header_offset
        header = 30 + len(info.orig_filename.encode()) + len(info.extra) + LOCAL_HEADER_SLACK
        self._range.fetch(start, start + header + data_bytes, what)
        self._count()

    # -- reading -------------------------------------------------------------------------------------------
    def record(self) -> dict[str, str]:
        """member -> sha256 (hex) from the wheel's RECORD."""
        if self._record is None:
            names = [n for n in self.names() if n.count("/") == 1 and n.endswith(".dist-info/RECORD")]
            if len(names) != 1:
                raise RemoteWheelError(f"{self.wheel.filename}: expected one .dist-info/RECORD, found {len(names)}")
            text = self._read_small(names[0]).decode("utf-8")
            self._record = {row[0]: _record_digest(row[1]) for row in csv.reader(io.StringIO(text)) if len(row) >= 2}
        return self._record

    def _read_small(self, member: str) -> bytes:
        info = self.info(member)
        self._prefetch(info, info.compress_size)
        try:
            data = self._open().read(member)
        except (zipfile.BadZipFile, zlib.error) as error:
            raise RemoteWheelError(f"{self.wheel.filename}: member {member} is corrupt: {error}") from None
        self._count()
        return data

    def head(self, member: str, size: int) -> bytes:
        """The first `size` bytes of a member (for its Mach-O load commands), without fetching the rest."""
        cached = member_path(self.cache, self.wheel.sha256, "heads", member)
        if cached.exists() and cached.stat().st_size >= size:
            return cached.read_bytes()[:size]
        info = self.info(member)
        # Mach-O headers compress well; a compressed prefix as long as the wanted bytes is plenty.
        self._prefetch(info, min(info.compress_size, size + MIN_FETCH))
        try:
            with self._open().open(member) as stream:
                data = stream.read(size)
        except (zipfile.BadZipFile, zlib.error) as error:
            raise RemoteWheelError(f"{self.wheel.filename}: member {member} is corrupt: {error}") from None
        self._count()
        try_write_atomic(cached, data)
        return data

    def extract(self, member: str, target: IO[bytes]) -> None:
        """Write a whole member to `target`, checked against the sha256 RECORD gives for it."""
        expected = self.record().get(member)
        if not expected:
            raise RemoteWheelError(f"{self.wheel.filename}: RECORD has no sha256 for {member}")
        info = self.info(member)
        self._prefetch(info, info.compress_size, f"{member} ({info.compress_size / 1e6:.0f} MB)")
        digest = hashlib.sha256()
        try:
            with self._open().open(member) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
        except (zipfile.BadZipFile, zlib.error) as error:
            raise RemoteWheelError(f"{self.wheel.filename}: member {member} is corrupt: {error}") from None
        finally:
            if self._range is not None:
                self._range.forget(info.header_offset)
            self._count()
        if digest.hexdigest() != expected:
            raise RemoteWheelError(
                f"{self.wheel.filename}: {member} has sha256 {digest.hexdigest()}, RECORD says {expected}"
            )

    def read(self, member: str) -> bytes:
        buffer = io.BytesIO()
        self.extract(member, buffer)
        return buffer.getvalue()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def copy_to_temp(wheel: RemoteWheel, member: str, directory: Path) -> Path:
    """Extract a member into `directory` (for readers that want a path, like LIEF)."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=directory, suffix=Path(member).suffix, delete=False)  # noqa: SIM115
    with handle:
        wheel.extract(member, handle)
    return Path(handle.name)


__all__ = ["HttpRangeFile", "RemoteWheel", "RemoteWheelError", "WheelRef", "copy_to_temp"]
