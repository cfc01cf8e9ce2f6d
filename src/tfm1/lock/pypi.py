"""One wheel per package for a target, with its sha256 and dependencies, from PyPI's JSON simple API (PEP 691).

The dependencies come from the wheel's own METADATA: the file served beside the wheel (PEP 658), checked against
the sha256 the index gives for it, or, where the index serves none, the member read from the wheel with range
requests (`tfm1.linkage.remote`), checked against the wheel's RECORD.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tfm1.errors import Tfm1Error

if TYPE_CHECKING:
    import requests

SIMPLE_URL = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 60


@dataclass(frozen=True)
class PickedWheel:
    name: str
    version: str
    filename: str
    url: str
    sha256: str
    dependencies: dict[str, str]


class _Index:
    def __init__(self, index_url: str) -> None:
        self.index_url = index_url.rstrip("/") + "/"
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        # One session per thread: requests does not promise that a Session is thread-safe.
        import requests

        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = "tfm1-lock"
        return session

    def get(self, url: str, **headers: str) -> requests.Response:
        import requests

        try:
            response = self.session.get(url, headers=headers, timeout=TIMEOUT)
            response.raise_for_status()
        except requests.RequestException as error:
            raise Tfm1Error(
                f"cannot read {url}: {error}", "check the network connection to PyPI, or use `tfm1 lock --check`"
            ) from None
        return response

    def files(self, name: str) -> list[dict[str, Any]]:
        response = self.get(f"{self.index_url}{name}/", Accept=ACCEPT)
        files: list[dict[str, Any]] = response.json()["files"]
        return files


def pick_wheels(
    pins: Sequence[tuple[str, str]], tags: Sequence[str], markers: dict[str, str], index_url: str = SIMPLE_URL
) -> list[PickedWheel]:
    """For each (name, version): the wheel whose best tag ranks highest in `tags`, with its dependencies."""
    index = _Index(index_url)
    rank = {tag: position for position, tag in enumerate(tags)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda pin: _pick(index, pin[0], pin[1], rank, tags, markers), pins))


def _pick(
    index: _Index, name: str, version: str, rank: dict[str, int], tags: Sequence[str], markers: dict[str, str]
) -> PickedWheel:
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
    from packaging.version import Version

    wanted = Version(version)
    best: tuple[int, dict[str, Any]] | None = None
    for entry in index.files(canonicalize_name(name)):
        filename = entry["filename"]
        if not filename.endswith(".whl") or entry.get("yanked"):
            continue
        try:
            _, wheel_version, _, wheel_tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        if wheel_version != wanted:
            continue
        score = min((rank[str(tag)] for tag in wheel_tags if str(tag) in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, entry)
    if best is None:
        raise Tfm1Error(
            f"{name} {version} has no wheel for this target (accepted tags start {', '.join(tags[:3])})",
            "pin a version of it that ships such a wheel",
        )
    entry = best[1]
    sha256 = entry.get("hashes", {}).get("sha256")
    if not sha256:
        raise Tfm1Error(f"PyPI gives no sha256 for {entry['filename']}", "retry later; a lock needs every hash")
    return PickedWheel(
        name=str(canonicalize_name(name)),
        version=version,
        filename=entry["filename"],
        url=entry["url"].split("#", 1)[0],
        sha256=sha256,
        dependencies=_dependencies(index, entry, markers),
    )


def _dependencies(index: _Index, entry: dict[str, Any], markers: dict[str, str]) -> dict[str, str]:
    """Requires-Dist of the wheel that apply on the target (no extras), as {name: specifier}."""
    from email.parser import HeaderParser

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    message = HeaderParser().parsestr(_metadata(index, entry).decode("utf-8", "replace"))
    found: dict[str, list[str]] = {}
    for line in message.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({**markers, "extra": ""}):
            continue
        specs = found.setdefault(str(canonicalize_name(requirement.name)), [])
        if str(requirement.specifier):
            specs.append(str(requirement.specifier))
    return {name: ",".join(specs) for name, specs in sorted(found.items())}


def _metadata(index: _Index, entry: dict[str, Any]) -> bytes:
    """The wheel's METADATA: the PEP 658 file checked against the index's sha256 for it, or, from an index
    that serves none, the member read out of the wheel with range requests and checked against the wheel's
    RECORD. Cached by the wheel's sha256, so it is read once."""
    from tfm1.linkage.cache import cache_root, member_path, write_atomic

    url = entry["url"].split("#", 1)[0]
    sha256 = entry["hashes"]["sha256"]
    cached = member_path(cache_root(), sha256, "metadata", "METADATA")
    if cached.is_file():
        return cached.read_bytes()
    metadata_hash = entry.get("core-metadata") or entry.get("data-dist-info-metadata")
    if isinstance(metadata_hash, dict) and "sha256" in metadata_hash:
        body = index.get(url + ".metadata").content
        if hashlib.sha256(body).hexdigest() != metadata_hash["sha256"]:
            raise Tfm1Error(f"the metadata of {entry['filename']} does not match its sha256", "retry later")
    else:
        from tfm1.linkage.remote import RemoteWheel, WheelRef

        wheel = RemoteWheel(index.session, WheelRef(entry["filename"], url, sha256, entry.get("size")), cache_root())
        try:
            names = [n for n in wheel.names() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise Tfm1Error(f"{entry['filename']} has no single .dist-info/METADATA", "pin another version")
            body = wheel.read(names[0])
        finally:
            wheel.close()
    write_atomic(cached, body)
    return body
