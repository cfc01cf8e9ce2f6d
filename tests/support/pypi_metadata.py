"""Real files out of PyPI wheels for doctor's tests: METADATA, WHEEL, the member list and Mach-O heads.

PyPI serves no PEP 658 metadata for the TensorFlow projects' wheels (their index entries carry no `core-metadata`),
so members are read out of the wheels with range requests (`tfm1.pypi.remote_wheel`), checked against the sha256
the wheel's RECORD gives for them, and kept under the test cache by the wheel's sha256:

    wheel = release_wheel(index, "tensorflow-macos", "2.11.0", python="3.10")   # the macOS arm64 wheel
    text = member_text(index, wheel, "WHEEL")                                   # its .dist-info/WHEEL
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from tests.support.caches import TEST_CACHE
from tfm1.pypi.index import Index, IndexWheel
from tfm1.pypi.remote_wheel import RemoteWheel, WheelRef

WHEELS = TEST_CACHE / "xdg" / "tfm1" / "wheels"  # shared with the linkage tests' members
MEMBERS = TEST_CACHE / "members"
HEAD = 32 * 1024  # tfm1.macho.HEAD_SIZE: the header and load commands of the binaries doctor reads

_INDEX: list[Index] = []
_GUARD = threading.Lock()


def index() -> Index:
    """One index client for the test session: it fetches each project page once, for any number of threads, and
    lends each thread its own session."""
    with _GUARD:
        if not _INDEX:
            _INDEX.append(Index())
        return _INDEX[0]


def _rank(wheel: IndexWheel, python: str) -> tuple[int, int, str]:
    """Lower is better: a macOS arm64 wheel for `python`, then any macOS arm64, macOS x86_64, manylinux x86_64."""
    platforms = {t.platform for t in wheel.tags}
    interpreters = {t.interpreter for t in wheel.tags}
    if any(p.startswith("macosx_") and p.endswith(("_arm64", "_universal2")) for p in platforms):
        kind = 0
    elif any(p.startswith("macosx_") for p in platforms):
        kind = 1
    elif any("linux" in p and p.endswith("x86_64") for p in platforms):
        kind = 2
    else:
        kind = 3
    wanted = "cp" + python.replace(".", "")
    return kind, 0 if wanted in interpreters or "py3" in interpreters else 1, wheel.filename


def release_wheel(project: str, version: str, python: str = "3.11") -> IndexWheel:
    """The wheel of a release a Mac with Apple silicon would install for `python`, else the nearest there is."""
    wheels = [w for w in index().wheels(project, version) if w.sha256]
    assert wheels, f"{project} {version} has no wheel with a sha256 on PyPI"
    return min(wheels, key=lambda w: _rank(w, python))


def _remote(wheel: IndexWheel) -> RemoteWheel:
    return RemoteWheel(index().session, WheelRef(wheel.filename, wheel.url, wheel.sha256, wheel.size), WHEELS)


def _dist_info_member(wheel: IndexWheel, remote: RemoteWheel, name: str) -> str:
    found = [n for n in remote.names() if n.count("/") == 1 and n.endswith(f".dist-info/{name}")]
    assert len(found) == 1, f"{wheel.filename}: expected one .dist-info/{name}, found {found}"
    return found[0]


def member_text(wheel: IndexWheel, name: str) -> str:
    """The wheel's `.dist-info/<name>`, checked against RECORD when read, kept with its sha256 in the cache."""
    cached = MEMBERS / wheel.sha256 / f"{name}.json"
    try:
        entry = json.loads(cached.read_text(encoding="utf-8"))
        text = entry["text"]
        if hashlib.sha256(text.encode("utf-8")).hexdigest() == entry["sha256"]:
            return str(text)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    remote = _remote(wheel)
    try:
        data = remote.read(_dist_info_member(wheel, remote, name))  # raises unless RECORD's sha256 matches
    finally:
        remote.close()
    text = data.decode("utf-8")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")  # each test worker its own
    partial.write_text(json.dumps({"sha256": hashlib.sha256(data).hexdigest(), "text": text}), encoding="utf-8")
    partial.replace(cached)
    return text


def member_names(wheel: IndexWheel) -> list[str]:
    remote = _remote(wheel)
    try:
        return remote.names()
    finally:
        remote.close()


def member_head(wheel: IndexWheel, member: str) -> bytes:
    """The first bytes of a member (a Mach-O's header and load commands); cached by the remote-wheel reader."""
    remote = _remote(wheel)
    try:
        return remote.head(member, HEAD)
    finally:
        remote.close()


def every_release_metadata(project: str, workers: int = 6) -> dict[str, str]:
    """version -> METADATA of one wheel of every release of `project` that has a wheel, pre-releases included."""
    versions = sorted({str(w.version) for w in index().all_wheels(project) if w.sha256})

    def one(version: str) -> tuple[str, str]:
        return version, member_text(release_wheel(project, version), "METADATA")

    with ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(one, versions))
