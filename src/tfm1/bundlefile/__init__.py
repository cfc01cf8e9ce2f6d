"""The bundle file: one uncompressed tar holding a lock and every file its setup needs, with a manifest naming
each member's size and sha256 (`manifest`), written reproducibly and read back verified (`archive`).
Import from `tfm1.bundlefile`."""

from tfm1.bundlefile.archive import read_head, read_members, write_bundle
from tfm1.bundlefile.manifest import LOCKFILE, MANIFEST, BundleError, Manifest, Member, member_name

__all__ = [
    "LOCKFILE",
    "MANIFEST",
    "BundleError",
    "Manifest",
    "Member",
    "member_name",
    "read_head",
    "read_members",
    "write_bundle",
]
