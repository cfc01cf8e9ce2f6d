"""PyPI's simple index, JSON form (PEP 691): the one client tfm1 uses to find wheels, with their URL, size and sha256.

Each project page is fetched once per `Index` (the tensorflow page is several megabytes), from any number of
threads. Requests go through a session that retries failed connections and 429/5xx answers with exponential
backoff, which also serves the range requests that read members out of wheels (`tfm1.pypi.remote_wheel`).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tfm1.errors import Tfm1Error
from tfm1.pypi.once import Once

if TYPE_CHECKING:
    import requests
    from packaging.tags import Tag
    from packaging.version import Version

SIMPLE_URL = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 60  # seconds without a byte, per attempt
RETRIES = 3
BACKOFF = 0.5  # seconds; urllib3 waits 0, 1, 2 s before the retries
RETRY_STATUS = (429, 500, 502, 503, 504)
# Requests `Index.get` has in flight at once. Each session it lends out opens its own connections, and each new
# connection pays a TLS handshake and, with REQUESTS_CA_BUNDLE set (common behind a proxy), a fresh read of the CA
# bundle: the lock's dozens of threads would otherwise open one each.
MAX_SESSIONS = 16
NETWORK_FIX = "check the network connection to the package index (a proxy may answer in its place) and try again"


def new_session(user_agent: str = "tfm1") -> requests.Session:
    """A session whose GETs retry connection failures and 429/5xx answers, with backoff (urllib3's Retry)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=RETRIES,
        backoff_factor=BACKOFF,
        status_forcelist=RETRY_STATUS,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,  # the last answer comes back, and the caller words its status
    )
    adapter = HTTPAdapter(max_retries=retry)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


class IndexStatusError(Tfm1Error):
    """The index answered with an error status (404 for a project it does not have, 5xx after the retries)."""

    def __init__(self, message: str, fix: str, status: int) -> None:
        super().__init__(message, fix)
        self.status = status


@dataclass(frozen=True)
class IndexWheel:
    """One wheel file the index lists."""

    project: str  # canonical name
    version: Version
    filename: str
    url: str  # absolute, without the #fragment
    sha256: str  # "" when the index gives none: callers fail closed
    size: int | None
    tags: frozenset[Tag]
    metadata_sha256: str | None  # the sha256 of the PEP 658 metadata file, when the index serves one


class Index:
    """Project pages of one simple index, fetched once each and shared by every thread that asks."""

    def __init__(self, index_url: str = SIMPLE_URL, *, session: requests.Session | None = None) -> None:
        self.index_url = index_url.rstrip("/") + "/"
        self._shared_session = session
        self._local = threading.local()
        self._idle: list[requests.Session] = []  # sessions `get` lends out, each with its open connections
        self._lent = threading.BoundedSemaphore(MAX_SESSIONS)
        self._pages: Once[str, list[dict[str, Any]]] = Once()
        self._guard = threading.Lock()
        self._by_release: Once[str, dict[Version | None, list[dict[str, Any]]]] = Once()

    @property
    def session(self) -> requests.Session:
        """The given session, or one per thread: requests does not promise that a Session is thread-safe."""
        if self._shared_session is not None:
            return self._shared_session
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = new_session()
        return session

    def get(self, url: str, **headers: str) -> requests.Response:
        import requests

        session = self._borrow()
        try:
            response = session.get(url, headers=headers, timeout=TIMEOUT)
            response.raise_for_status()
        except requests.HTTPError as error:
            raise IndexStatusError(f"cannot read {url}: {error}", NETWORK_FIX, response.status_code) from None
        except requests.RequestException as error:
            raise Tfm1Error(f"cannot read {url}: {error}", NETWORK_FIX) from None
        finally:
            self._give_back(session)
        return response

    def _borrow(self) -> requests.Session:
        """An idle session, else a new one. Requests come from short-lived threads (the local mirror's): lending
        sessions out keeps their connections open, where a session per thread would pay a TLS handshake, and
        the loading of the CA bundle, for each."""
        if self._shared_session is not None:
            return self._shared_session
        self._lent.acquire()
        with self._guard:
            if self._idle:
                return self._idle.pop()
        return new_session()

    def _give_back(self, session: requests.Session) -> None:
        if session is not self._shared_session:
            with self._guard:
                self._idle.append(session)
            self._lent.release()

    def page_url(self, project: str) -> str:
        from packaging.utils import canonicalize_name

        return f"{self.index_url}{canonicalize_name(project)}/"

    def files(self, project: str) -> list[dict[str, Any]]:
        """The `files` of the project's page; one request per project however many threads ask at once."""
        url = self.page_url(project)
        return self._pages.get(url, lambda: self._fetch(url))

    def _fetch(self, url: str) -> list[dict[str, Any]]:
        import requests

        response = self.get(url, Accept=ACCEPT)
        try:
            files = response.json()["files"]
            if not isinstance(files, list) or not all(isinstance(entry, dict) for entry in files):
                raise TypeError("`files` is not a list of objects")
        except (requests.RequestException, ValueError, KeyError, TypeError):
            kind = response.headers.get("Content-Type", "no Content-Type").split(";", 1)[0]
            raise Tfm1Error(
                f"cannot read {url}: the answer ({kind}) is not the index's JSON page (PEP 691)", NETWORK_FIX
            ) from None
        return files

    def all_wheels(self, project: str) -> list[IndexWheel]:
        """Every wheel on the project's page that is not yanked and whose file name is a valid wheel name."""
        base = self.page_url(project)
        return [w for w in (_wheel(project, base, entry) for entry in self.files(project)) if w is not None]

    def wheels(self, project: str, version: str) -> list[IndexWheel]:
        """The wheels of one release; versions compare as versions (`2.19` is `2.19.0`).

        The tensorflow page lists thousands of files: only those whose file name carries the version are parsed.
        """
        from packaging.version import InvalidVersion, Version

        try:
            wanted = Version(version)
        except InvalidVersion:
            raise Tfm1Error(f"{project} {version}: not a version", "pass a version such as 2.19.1") from None
        base = self.page_url(project)
        found = [_wheel(project, base, entry) for entry in self._releases(project).get(wanted, [])]
        return [wheel for wheel in found if wheel is not None and wheel.version == wanted]

    def _releases(self, project: str) -> dict[Version | None, list[dict[str, Any]]]:
        """The page's entries grouped by the version in their file name, grouped once per project."""
        files = self.files(project)

        def grouped() -> dict[Version | None, list[dict[str, Any]]]:
            found: dict[Version | None, list[dict[str, Any]]] = {}
            for entry in files:
                filename = entry.get("filename")
                found.setdefault(_release(filename) if isinstance(filename, str) else None, []).append(entry)
            return found

        return self._by_release.get(self.page_url(project), grouped)


def _release(filename: str) -> Version | None:
    """The version field of a wheel's file name (as `parse_wheel_filename` splits it), or None.

    `{name}-{version}-...`: a name holds no `-` (PEP 427), so the version is the second field."""
    parts = filename.split("-")
    if len(parts) < 5 or not filename.endswith(".whl"):
        return None
    return _parse_version(parts[1])


@functools.lru_cache(maxsize=65536)  # a page repeats each version in dozens of file names
def _parse_version(text: str) -> Version | None:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


def _wheel(project: str, base: str, entry: dict[str, Any]) -> IndexWheel | None:
    """One page entry as a wheel, or None for a yanked file, an sdist or an oddly named file."""
    from urllib.parse import urljoin

    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

    filename = entry.get("filename")
    url = entry.get("url")
    if not isinstance(filename, str) or not isinstance(url, str) or entry.get("yanked"):
        return None
    try:
        _, version, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    size = entry.get("size")
    metadata = entry.get("core-metadata") or entry.get("data-dist-info-metadata")
    metadata_sha256 = metadata.get("sha256") if isinstance(metadata, dict) else None
    return IndexWheel(
        project=str(canonicalize_name(project)),
        version=version,
        filename=filename,
        url=urljoin(base, url).split("#", 1)[0],  # PEP 691 allows URLs relative to the page
        sha256=sha256 if isinstance(sha256, str) else "",
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        tags=tags,
        metadata_sha256=metadata_sha256 if isinstance(metadata_sha256, str) else None,
    )
