"""A bundle's manifest: what tfm1 made it, for which profile and platform, the lock it carries and every member
with its size and sha256. It is the first member of the bundle, so a plan can be made from the bundle's first few
kilobytes; every other member is checked against it, and the lock's files also against the lock's own hashes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from tfm1.errors import Tfm1Error

FORMAT = 1
MANIFEST = "manifest.json"
LOCKFILE = "conda-lock.yml"
MAX_MANIFEST_BYTES = 16 * 2**20  # a lock of 10 000 files has a manifest of ~2 MB
Kind = Literal["lockfile", "conda", "wheel", "miniforge", "tfm1"]
FIX_BUNDLE = "build the bundle again with tfm1 bundle, or copy it again from where it was built"


class BundleError(Tfm1Error):
    """A bundle that is damaged, tampered with or not one: nothing from it may be used."""

    def __init__(self, where: Path | str, reason: str) -> None:
        super().__init__(f"the bundle {where} cannot be used: {reason}; nothing was installed from it", FIX_BUNDLE)


@dataclass(frozen=True)
class Member:
    name: str  # its path inside the bundle
    kind: Kind
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]


def member_name(kind: Kind, sha256: str, file_name: str) -> str:
    """Where a file lives in a bundle: the lock at the top, tfm1's own wheels by name, every other file by its
    sha256, as in the download store, so that two packages of one name cannot collide."""
    if kind == "lockfile":
        return LOCKFILE
    if kind == "tfm1":
        return f"tfm1/{file_name}"
    return f"files/{sha256}/{file_name}"


@dataclass(frozen=True)
class Manifest:
    tfm1_version: str
    profile: str
    platform: str
    lockfile_sha256: str
    members: tuple[Member, ...]  # the lock first, then by name

    def to_bytes(self) -> bytes:
        data = {
            "tfm1_bundle": FORMAT,
            "tfm1_version": self.tfm1_version,
            "profile": self.profile,
            "platform": self.platform,
            "lockfile_sha256": self.lockfile_sha256,
            "members": [{"name": m.name, "kind": m.kind, "size": m.size, "sha256": m.sha256} for m in self.members],
        }
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()

    @property
    def size(self) -> int:
        return sum(member.size for member in self.members)

    def of_kind(self, kind: Kind) -> tuple[Member, ...]:
        return tuple(member for member in self.members if member.kind == kind)

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Manifest:
        def bad(reason: str) -> BundleError:
            return BundleError(where, f"its manifest {reason}")

        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise bad("is not JSON") from None
        if not isinstance(raw, dict) or raw.get("tfm1_bundle") != FORMAT:
            found = raw.get("tfm1_bundle") if isinstance(raw, dict) else None
            raise bad(f"has format {found!r}; this tfm1 reads format {FORMAT}")
        texts = {key: raw.get(key) for key in ("tfm1_version", "profile", "platform", "lockfile_sha256")}
        if not all(isinstance(value, str) and value for value in texts.values()):
            raise bad("lacks tfm1_version, profile, platform or lockfile_sha256")
        entries = raw.get("members")
        if not isinstance(entries, list):
            raise bad("has no list of members")
        members = tuple(_member(entry, bad) for entry in entries)
        if len({m.name for m in members}) != len(members):
            raise bad("names a member twice")
        locks = [m for m in members if m.kind == "lockfile"]
        if len(locks) != 1 or locks[0].sha256 != texts["lockfile_sha256"]:
            raise bad("does not name its lockfile once, with the lockfile's sha256")
        return cls(
            str(texts["tfm1_version"]),
            str(texts["profile"]),
            str(texts["platform"]),
            str(texts["lockfile_sha256"]),
            members,
        )


def _member(entry: Any, bad: Any) -> Member:
    if not isinstance(entry, dict):
        raise bad("has a member that is not an object")
    name, kind, size, sha256 = (entry.get(k) for k in ("name", "kind", "size", "sha256"))
    if kind not in get_args(Kind) or not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise bad(f"has a member with kind {kind!r} and size {size!r}")
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise bad(f"has a member without a sha256 ({name!r})")
    file_name = name.rsplit("/", 1)[-1] if isinstance(name, str) else ""
    if (
        not isinstance(name, str)
        or name != member_name(cast(Kind, kind), sha256, file_name)
        or file_name.startswith(".")
    ):
        raise bad(f"names a member {name!r} that is not where a {kind} file belongs")
    if "\\" in name or "\0" in name or not file_name:
        raise bad(f"names a member {name!r} that is not a plain file name")
    return Member(name, cast(Kind, kind), size, sha256)
