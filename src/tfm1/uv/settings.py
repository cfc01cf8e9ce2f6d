"""uv's settings read from the environment that change what it resolves or installs from.

Another index or more of them, a folder or page of wheels, or the rules of the resolution
(https://docs.astral.sh/uv/reference/environment/). A lock is its environment.yml resolved against PyPI alone and
setup installs only the files the lock names, so none of them reaches tfm1's uv runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

UV_RESOLUTION_SETTINGS = (
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_NO_INDEX",
    "UV_INDEX_STRATEGY",
    "UV_PRERELEASE",
    "UV_RESOLUTION",
    "UV_EXCLUDE_NEWER",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
    "UV_NO_BINARY",
    "UV_NO_BUILD",
    "UV_TORCH_BACKEND",
    "UV_OFFLINE",
)


def ignored_uv_settings() -> list[str]:
    """The settings of UV_RESOLUTION_SETTINGS set in this environment, which tfm1 does not pass to uv."""
    return [name for name in UV_RESOLUTION_SETTINGS if os.environ.get(name)]


def without_uv_settings(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` less every setting of UV_RESOLUTION_SETTINGS."""
    return {k: v for k, v in environment.items() if k not in UV_RESOLUTION_SETTINGS}


def left_out_note(names: list[str], command: str, why: str) -> str:
    """The line that tells a user which of their settings `command` did not pass on, and why."""
    one = len(names) == 1
    return (
        f"note: {', '.join(names)} {'is' if one else 'are'} set; {command} leaves {'it' if one else 'them'} out: {why}"
    )
