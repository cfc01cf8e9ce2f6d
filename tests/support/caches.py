"""The one cache root the tests use: `$TFM1_TEST_CACHE`, else `~/.cache/tfm1-tests`; never the user's caches.

It is kept between sessions on purpose: the linkage tests read about 1 GB of real wheel members from PyPI, the
TensorFlow test venv is built once, and both are verified by sha256 whenever they are read back.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEST_CACHE = Path(os.environ.get("TFM1_TEST_CACHE") or Path.home() / ".cache" / "tfm1-tests")


@contextmanager
def building(entry: Path) -> Iterator[None]:
    """Hold the lock of the cache entry `entry` while it is checked and built: the suite runs in several processes
    (pytest-xdist), and one must not remove or half-read what another is building. The lock is released when
    the holder exits, however it ends."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with (entry.parent / f".{entry.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# Unset: tfm1's cache is then `$XDG_CACHE_HOME/tfm1`, so a test that sets XDG_CACHE_HOME alone gets its own cache.
UNSET = ("TFM1_CACHE_DIR",)


def cache_environment() -> dict[str, str]:
    """Every cache tfm1 or a tool it runs may write, pointed into TEST_CACHE."""
    return {
        "XDG_CACHE_HOME": str(TEST_CACHE / "xdg"),  # tfm1's own cache: TEST_CACHE/xdg/tfm1
        # rattler's default cache honours RATTLER_CACHE_DIR first (rattler_cache::default_cache_dir,
        # https://github.com/conda/rattler/blob/main/crates/rattler_cache/src/lib.rs), else ~/.cache/rattler.
        "RATTLER_CACHE_DIR": str(TEST_CACHE / "rattler"),
        "UV_CACHE_DIR": str(TEST_CACHE / "uv"),
        "PIP_CACHE_DIR": str(TEST_CACHE / "pip"),
        # Keras writes ~/.keras/keras.json at its first import, in every TensorFlow the tests run; it honours
        # KERAS_HOME first (keras/src/backend/config.py), as verify's check script does for its datasets.
        "KERAS_HOME": str(TEST_CACHE / "keras"),
        # pip (setup's pip installer) runs `rustc --version` for its User-Agent whenever rustc is on PATH
        # (`user_agent` in https://github.com/pypa/pip/blob/main/src/pip/_internal/network/session.py); a rustup
        # proxy then writes its settings to $RUSTUP_HOME, else ~/.rustup, and cargo its registry to $CARGO_HOME,
        # else ~/.cargo (https://rust-lang.github.io/rustup/installation/index.html#choosing-where-to-install).
        "RUSTUP_HOME": str(TEST_CACHE / "rustup"),
        "CARGO_HOME": str(TEST_CACHE / "cargo"),
    }
