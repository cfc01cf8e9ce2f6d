"""Downloads that are verified or do not exist: sha256-checked, written atomically, retried with backoff.

A file appears at its destination only after its whole content matched the expected sha256; a failed,
interrupted or tampered download leaves nothing behind but a removed `.part` file. Network failures and
server errors (5xx, 429) are retried with exponential backoff; a 4xx or a hash mismatch is not, because
asking again gives the same answer. Every failure names the URL and the reason.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.redact import redact
from tfm1.storage import storage_error

DownloadProgress = Callable[[int, "int | None"], None]  # (bytes so far, total bytes or None)
CHUNK = 1 << 16
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class DownloadError(Tfm1Error):
    def __init__(self, url: str, reason: str, fix: str = "") -> None:
        super().__init__(
            f"download of {redact(url)} failed: {redact(reason)}.", fix or "check the network connection and re-run"
        )
        self.url = url
        self.reason = reason


class _Retryable(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def holds(path: Path, sha256: str) -> bool:
    """Whether `path` is a file whose content has this sha256."""
    return path.is_file() and sha256_of(path) == sha256


def download(
    url: str,
    destination: Path,
    sha256: str,
    *,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 60.0,
    progress: DownloadProgress | None = None,
) -> Path:
    """Fetch `url` to `destination` and return it; an existing destination with the right hash is reused."""
    sha256 = sha256.lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise DownloadError(url, f"no valid sha256 to check it against ({sha256!r})", "pin the file's sha256")
    if holds(destination, sha256):
        return destination
    partial = destination.with_name(f"{destination.name}.part-{os.getpid()}")
    attempt = 0
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                actual = _fetch(url, partial, timeout, progress)
                break
            except _Retryable as error:
                attempt += 1
                if attempt > retries:
                    raise DownloadError(url, f"{error} (gave up after {attempt} attempts)") from None
                time.sleep(backoff * 2 ** (attempt - 1))
        if actual != sha256:
            raise DownloadError(
                url,
                f"sha256 mismatch: expected {sha256}, got {actual}",
                "the file on the server is not the pinned one; use the official URL or a faithful mirror",
            )
        partial.replace(destination)
        return destination
    except OSError as error:  # writing the file, not reaching the server: a full disk, a read-only folder
        raise storage_error(error, partial) from None
    finally:
        partial.unlink(missing_ok=True)


def _fetch(url: str, partial: Path, timeout: float, progress: DownloadProgress | None) -> str:
    """Stream `url` into `partial` and return its sha256; `_Retryable` for failures worth another try."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme == "file":
        return _copy_local(urllib.parse.unquote(urllib.parse.urlsplit(url).path), partial, progress)
    if scheme not in ("http", "https"):
        raise DownloadError(url, f"unsupported URL scheme {scheme!r}", "use an https:// (or file://) URL")
    import requests

    digest = hashlib.sha256()
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code in RETRY_STATUS:
                raise _Retryable(f"HTTP {response.status_code} {response.reason}")
            if response.status_code >= 400:
                raise DownloadError(url, f"HTTP {response.status_code} {response.reason}", "check the URL")
            total = int(response.headers["Content-Length"]) if "Content-Length" in response.headers else None
            done = 0
            with partial.open("wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            if total is not None and done != total:
                raise _Retryable(f"connection closed after {done} of {total} bytes")
    except requests.RequestException as error:
        raise _Retryable(_reason(error)) from None
    return digest.hexdigest()


def _reason(error: Exception) -> str:
    """The innermost cause of a requests error in a few words: 'Connection refused', 'Read timed out', ..."""
    text = str(error)
    for marker in ("Connection refused", "Read timed out", "Name or service not known", "nodename nor servname"):
        if marker in text:
            return marker
    if "IncompleteRead" in text or "Connection broken" in text or "ProtocolError" in text:
        return "connection dropped mid-download"
    return f"{type(error).__name__}: {text[:200]}"


def _copy_local(path: str, partial: Path, progress: DownloadProgress | None) -> str:
    digest = hashlib.sha256()
    try:
        source = Path(path)
        total = source.stat().st_size
        reader = source.open("rb")
    except OSError as error:
        raise DownloadError(f"file://{path}", error.strerror or str(error), "check the path") from None
    done = 0
    with reader, partial.open("wb") as writer:  # an OSError here is about writing: the caller words it
        for block in iter(lambda: reader.read(CHUNK), b""):
            writer.write(block)
            digest.update(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()
