"""Where tfm1 keeps what it downloads (Miniforge installer, conda packages, wheel members): nothing is fetched twice."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$TFM1_CACHE_DIR`, else `$XDG_CACHE_HOME/tfm1`, else `~/.cache/tfm1`."""
    if os.environ.get("TFM1_CACHE_DIR"):
        return Path(os.environ["TFM1_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "tfm1"
    return Path.home() / ".cache" / "tfm1"
