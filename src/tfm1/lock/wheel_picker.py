"""One wheel per package for a target, with its sha256 and dependencies, from PyPI's JSON simple API (PEP 691).

The dependencies come from the wheel's own METADATA: the file served beside the wheel (PEP 658), checked against
the sha256 the index gives for it, or, where the index serves none, the member read from the wheel with range
requests (`tfm1.pypi.remote_wheel`), checked against the wheel's RECORD.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tfm1.errors import Tfm1Error
from tfm1.pypi.index import Index, IndexWheel
from tfm1.pypi.once import Once


@dataclass(frozen=True)
class PickedWheel:
    name: str
    version: str
    filename: str
    url: str
    sha256: str
    dependencies: dict[str, str]


def pick_wheels(
    pins: Sequence[tuple[str, str]], tags: Sequence[str], markers: dict[str, str], index: Index
) -> list[PickedWheel]:
    """For each (name, version): the wheel whose best tag ranks highest in `tags`, with its dependencies."""
    rank = {tag: position for position, tag in enumerate(tags)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda pin: _pick(index, pin[0], pin[1], rank, tags, markers), pins))


def _pick(
    index: Index, name: str, version: str, rank: dict[str, int], tags: Sequence[str], markers: dict[str, str]
) -> PickedWheel:
    from packaging.utils import canonicalize_name

    best: tuple[int, IndexWheel] | None = None
    for wheel in index.wheels(name, version):
        score = min((rank[str(tag)] for tag in wheel.tags if str(tag) in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, wheel)
    if best is None:
        raise Tfm1Error(
            f"{name} {version} has no wheel for this target (accepted tags start {', '.join(tags[:3])})",
            "pin a version of it that ships such a wheel",
        )
    wheel = best[1]
    if not wheel.sha256:
        raise Tfm1Error(f"PyPI gives no sha256 for {wheel.filename}", "retry later; a lock needs every hash")
    return PickedWheel(
        name=str(canonicalize_name(name)),
        version=version,
        filename=wheel.filename,
        url=wheel.url,
        sha256=wheel.sha256,
        dependencies=_dependencies(index, wheel, markers),
    )


def _dependencies(index: Index, wheel: IndexWheel, markers: dict[str, str]) -> dict[str, str]:
    """Requires-Dist of the wheel that apply on the target (no extras), as {name: specifier}.

    Profiles locked together share most wheels and targets: the same metadata is read once per target."""
    metadata = _metadata(index, wheel)
    key = (metadata, tuple(sorted(markers.items())))
    return dict(_KNOWN.get(key, lambda: _read_dependencies(metadata, wheel.filename, markers)))


_KNOWN: Once[tuple[bytes, tuple[tuple[str, str], ...]], dict[str, str]] = Once()


def _read_dependencies(metadata: bytes, filename: str, markers: dict[str, str]) -> dict[str, str]:
    from email.parser import HeaderParser

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    message = HeaderParser().parsestr(metadata.decode("utf-8", "replace"))
    found: dict[str, list[str]] = {}
    for line in message.get_all("Requires-Dist") or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise Tfm1Error(
                f"{filename} has a requirement tfm1 cannot read ({line!r}): {str(error).splitlines()[0]}",
                "pin another version",
            ) from None
        if requirement.marker is not None and not requirement.marker.evaluate({**markers, "extra": ""}):
            continue
        specs = found.setdefault(str(canonicalize_name(requirement.name)), [])
        if str(requirement.specifier):
            specs.append(str(requirement.specifier))
    return {name: ",".join(specs) for name, specs in sorted(found.items())}


def _metadata(index: Index, wheel: IndexWheel) -> bytes:
    """The wheel's METADATA: the PEP 658 file checked against the index's sha256 for it, or, from an index
    that serves none, the member read out of the wheel with range requests and checked against the wheel's
    RECORD. Cached by the wheel's sha256, so it is read once."""
    from tfm1.pypi.core_metadata import core_metadata, metadata_path
    from tfm1.pypi.wheel_cache import cache_root, try_write_atomic

    if wheel.metadata_sha256:
        return core_metadata(index, wheel.url, wheel.filename, wheel.sha256, wheel.metadata_sha256)
    cached = metadata_path(wheel.sha256)
    if cached.is_file():
        return cached.read_bytes()
    from tfm1.pypi.remote_wheel import RemoteWheel, WheelRef

    remote = RemoteWheel(index.session, WheelRef(wheel.filename, wheel.url, wheel.sha256, wheel.size), cache_root())
    try:
        names = [n for n in remote.names() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise Tfm1Error(f"{wheel.filename} has no single .dist-info/METADATA", "pin another version")
        body = remote.read(names[0])
    finally:
        remote.close()
    try_write_atomic(cached, body)  # a cache that cannot be written costs a request next time, not the lock
    return body
