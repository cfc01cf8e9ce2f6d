"""The receipt tfm1 leaves in every environment it makes: `<prefix>/etc/tfm1/receipt.json`.

It is what tells a tfm1-made environment from anyone else's (setup refuses to overwrite, and remove to delete,
a prefix without one), and what makes a re-run with the same lockfile a no-op. It is written last, so an
environment with a receipt is a complete one.

A receipt records the resolved path it was written for: one copied into another folder (a home folder, say)
does not make that folder tfm1's. The recorded path and the folder are compared as folders (file identity), not as
names: on a Mac's case-insensitive disk `/Users/ana/envs/tf` is also reached as `/users/ana/envs/TF`.
Receipts from before that field are read, but trusted only for the read-only
"already up to date" check; replacing or removing their environment needs `--force` or the user's own hands.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tfm1.atomic import write_atomic
from tfm1.file_identity import same_file

RECEIPT = Path("etc") / "tfm1" / "receipt.json"
FORMAT = 1


@dataclass(frozen=True)
class Receipt:
    profile: str
    lockfile: str  # absolute path of the lockfile the environment was made from
    lockfile_sha256: str
    platform: str  # conda subdir: "osx-arm64", "linux-64", ...
    packages: dict[str, str] = field(default_factory=dict)  # name -> version, conda and pip layers together
    created: str = ""  # ISO-8601, UTC
    # The Jupyter kernelspec setup registered: {"path": its kernel.json, "sha256": of what tfm1 wrote there}.
    # Only a file with that hash is tfm1's to replace or delete; a receipt without it registered none.
    kernel: dict[str, str] | None = None
    prefix: str = ""  # the resolved path it was written for; "" in receipts written before it was recorded

    def to_json(self) -> dict[str, Any]:
        return {
            "tfm1_receipt": FORMAT,
            "profile": self.profile,
            "lockfile": self.lockfile,
            "lockfile_sha256": self.lockfile_sha256,
            "platform": self.platform,
            "packages": dict(sorted(self.packages.items())),
            "created": self.created,
            "kernel": self.kernel,
            "prefix": self.prefix,
        }

    @classmethod
    def from_json(cls, data: object) -> Receipt:
        if not isinstance(data, dict) or data.get("tfm1_receipt") != FORMAT:
            raise ValueError("not a tfm1 receipt (format 1)")
        text = ("profile", "lockfile", "lockfile_sha256", "platform", "created")
        if not all(isinstance(data.get(key), str) for key in text):
            raise ValueError(f"a receipt needs the text fields {', '.join(text)}")
        packages = data.get("packages")
        if not isinstance(packages, dict) or not all(isinstance(v, str) for v in packages.values()):
            raise ValueError("a receipt's packages map names to versions")
        kernel = data.get("kernel")
        if kernel is not None and not (
            isinstance(kernel, dict) and all(isinstance(kernel.get(key), str) for key in ("path", "sha256"))
        ):
            raise ValueError("a receipt's kernel has a path and a sha256")
        prefix = data.get("prefix", "")
        if not isinstance(prefix, str):
            raise ValueError("a receipt's prefix is a path")
        fields = {key: data[key] for key in text}
        kept = {key: kernel[key] for key in ("path", "sha256")} if kernel is not None else None
        return cls(packages=dict(packages), kernel=kept, prefix=prefix, **fields)


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def real_prefix(prefix: str | os.PathLike[str]) -> str:
    """What a receipt records and is checked against: the absolute path with every symbolic link resolved."""
    return os.path.realpath(Path(prefix).expanduser().absolute())


def distrust(receipt: Receipt, prefix: str | os.PathLike[str]) -> str | None:
    """Why `receipt`, found in `prefix`, does not make `prefix` tfm1's; None when it was written for it."""
    if not receipt.prefix:
        return "its receipt was written by an older tfm1 and does not record which folder it belongs to"
    recorded = receipt.prefix
    if recorded != real_prefix(prefix) and not (Path(recorded).is_absolute() and same_file(recorded, prefix)):
        return f"its receipt was written for {recorded}, not for this folder (a copied receipt)"
    return None


def receipt_path(prefix: str | os.PathLike[str]) -> Path:
    return Path(prefix) / RECEIPT


def read_receipt(prefix: str | os.PathLike[str]) -> Receipt | None:
    """The receipt of the environment at `prefix`; None when it has none or an unreadable one."""
    try:
        return Receipt.from_json(json.loads(receipt_path(prefix).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def write_receipt(prefix: str | os.PathLike[str], receipt: Receipt) -> Path:
    """Write the receipt atomically: a reader sees no receipt or a whole one, never half of one."""
    data = (json.dumps(receipt.to_json(), indent=2) + "\n").encode()
    path = receipt_path(prefix)
    write_atomic(path, data)
    return path
