"""`uv pip install` of files already downloaded and verified: hashes required, no index, no resolving, no builds,
through the cache of one run (an unpacked wheel in a cache kept between runs could have been edited, and uv would
install the edit)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tfm1.uv.binary import uv_binary


def cache_dir(scratch: Path) -> Path:
    """The uv cache of the run whose private folder is `scratch` (filled ahead by `unpacking`)."""
    return scratch / "uv-cache"


def find_links(files: Sequence[Path]) -> list[str]:
    """`--find-links FOLDER` for the folders of `files`, in order (pip reads them the same way)."""
    folders = dict.fromkeys(str(f.parent.absolute()) for f in files)  # one folder per sha256, in order
    return [argument for folder in folders for argument in ("--find-links", folder)]


def install_command(destination: list[str], requirements_file: Path, scratch: Path, find_links: list[str]) -> list[str]:
    """uv installing what `requirements_file` pins, found only through `find_links` (`--find-links FOLDER` pairs),
    into `destination` (its `--python` or `--target` arguments), through the run's own cache: the real install and
    the unpacking ahead must ask the same of the same files, or the cache would not serve the one with what the
    other put there."""
    return [
        uv_binary(),
        "pip",
        "install",
        *destination,
        "--cache-dir",
        str(cache_dir(scratch)),
        "--require-hashes",
        "--no-deps",
        "--no-build",
        "--no-config",
        "--no-index",
        *find_links,
        "--quiet",
        "-r",
        str(requirements_file),
    ]
