"""The canonical form of a profile's environment.yml, and the content hash that says a lock is stale.

conda-lock's `content_hash` is, per platform, a sha256 of the lock's inputs (channels and the specs that apply to
that platform), so editing environment.yml changes it and `conda-lock --check-input-hash` re-locks. tfm1 keeps
that meaning with its own, documented input: the sha256 of the JSON object

    {"tfm1_lock": 1, "platform": P, "target": <what wheels P accepts>, "channels": [...],
     "conda": sorted(conda specs), "pip": sorted(pip specs)}

(keys sorted, no whitespace). The description and comments are not inputs: editing them does not stale a lock.
The target is an input because changing it (e.g. the macOS version wheels must fit) changes the wheels picked.
The lock also stores the canonical text below, so `tfm1 lock --check` can show what changed, as a diff.
"""

from __future__ import annotations

import hashlib
import json

from tfm1.lock.targets import target
from tfm1.profiles import Profile

SCHEMA = 1


def content_hash(profile: Profile, platform: str) -> str:
    data = {
        "tfm1_lock": SCHEMA,
        "platform": platform,
        "target": target(platform).label,
        "channels": list(profile.channels),
        "conda": sorted(profile.conda_specs),
        "pip": sorted(profile.pip_specs),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def content_hashes(profile: Profile) -> dict[str, str]:
    return {platform: content_hash(profile, platform) for platform in profile.platforms}


def canonical_text(profile: Profile) -> str:
    """The lock's inputs, one per line, in an order that makes a diff of two versions readable."""
    lines = [f"channel: {c}" for c in profile.channels]
    lines += [f"platform: {p} ({target(p).label})" for p in profile.platforms]
    lines += [f"conda: {s}" for s in sorted(profile.conda_specs)]
    lines += [f"pip: {s}" for s in sorted(profile.pip_specs)]
    return "\n".join(lines) + "\n"
