"""The pip layer: resolve the profile's `pip:` section with uv for one target, then pick one wheel per package.

Python distributions that the conda layer already installs (pip, setuptools, wheel, packaging) are passed to uv
as constraints at their conda versions and left out of the pip layer, as conda-lock does: pip must not replace
files that conda owns.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.lock.targets import LockTarget
from tfm1.lock.wheel_picker import PickedWheel, pick_wheels
from tfm1.lockfile import LockedPackage
from tfm1.pypi.index import SIMPLE_URL, Index

_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


_UV_LOOKUP = threading.Lock()


@functools.cache
def _find_uv() -> str:
    import uv

    try:
        return str(uv.find_uv_bin())
    except FileNotFoundError:
        raise Tfm1Error("the uv executable is missing", "reinstall tfm1 (it depends on uv)") from None


def uv_binary() -> str:
    # find_uv_bin reads sysconfig, whose first use is not thread-safe: profiles are locked from several threads.
    with _UV_LOOKUP:
        return _find_uv()


# uv settings read from the environment that change what `uv pip compile` resolves: another index or more of them, a
# folder or page of wheels, or the rules of the resolution (https://docs.astral.sh/uv/reference/environment/). A lock
# is its environment.yml resolved against PyPI alone, so none of them reaches `tfm1 lock`'s uv runs; the command names
# those it left out.
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
    """The settings of UV_RESOLUTION_SETTINGS set in this environment, which `tfm1 lock` does not pass to uv."""
    return [name for name in UV_RESOLUTION_SETTINGS if os.environ.get(name)]


def uv_environment(target: LockTarget) -> dict[str, str]:
    """The environment of a uv resolution for `target`: this one, less every setting that would change its answer."""
    environment = {k: v for k, v in os.environ.items() if k not in UV_RESOLUTION_SETTINGS}
    return {**environment, "UV_PYTHON_DOWNLOADS": "never", **dict(target.uv_env), **_no_proxy_for_loopback()}


def resolve(
    specs: Sequence[str], target: LockTarget, python: str, provided: dict[str, str], index_url: str = SIMPLE_URL
) -> list[tuple[str, str]]:
    """uv's resolution of `specs` for `target` and CPython `python`, as sorted (name, version) pairs.

    `provided` maps the Python distributions the conda layer installs to their versions.
    """
    with tempfile.TemporaryDirectory(prefix="tfm1-lock-") as folder:
        requirements = Path(folder) / "requirements.in"
        requirements.write_text("".join(f"{spec}\n" for spec in specs), encoding="utf-8")
        constraints = Path(folder) / "constraints.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(provided.items())), encoding="utf-8")
        command = [
            uv_binary(),
            "pip",
            "compile",
            str(requirements),
            "--constraint",
            str(constraints),
            "--no-config",  # a user's or project's uv.toml must not change what a lock holds
            # With --python-version given and no source build allowed, the interpreter decides nothing; naming one
            # spares uv's search of PATH (seconds where pyenv shims answer):
            # https://docs.astral.sh/uv/reference/cli/#uv-pip-compile--python
            "--python",
            sys.executable,
            # The index is a mirror on a new port each run: what uv cached under its URL would never be read again.
            "--no-cache",
            "--python-platform",
            target.uv_platform,
            "--python-version",
            python,
            "--only-binary",
            ":all:",
            "--index-url",
            index_url,
            "--no-header",
            "--no-annotate",
            "--quiet",
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, env=uv_environment(target), timeout=600, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Tfm1Error(f"cannot run uv: {error}", "reinstall tfm1 (it depends on uv)") from None
    if result.returncode != 0:
        message = " ".join(line.strip() for line in result.stderr.splitlines() if line.strip())
        message = message.removeprefix("error: ")
        raise Tfm1Error(
            f"uv cannot resolve the pip layer for {target.platform}, Python {python}: {message}",
            "change the pins in environment.yml to versions that ship wheels for this platform and Python",
        )
    pins = []
    for line in result.stdout.splitlines():
        match = _PINNED.match(line.strip())
        if match:
            pins.append((match.group(1), match.group(2)))
    return sorted(pins)


def _no_proxy_for_loopback() -> dict[str, str]:
    """NO_PROXY (both spellings) with 127.0.0.1 added: a proxy cannot reach the local mirror uv reads."""
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    value = ",".join(part for part in (current, "127.0.0.1") if part)
    return {"NO_PROXY": value, "no_proxy": value}


def lock_pip_layer(
    specs: Sequence[str],
    target: LockTarget,
    python: str,
    provided: dict[str, str],
    index: Index,
    resolver_url: str | None = None,
) -> list[LockedPackage]:
    """The pip layer for `target`: uv resolves through `resolver_url` (by default the index itself, else a local
    mirror of it), then each wheel is picked from `index`, with the index's own URLs."""
    if not specs:
        return []
    from packaging.utils import canonicalize_name

    provided_names = {str(canonicalize_name(name)) for name in provided}
    pins = [
        pin
        for pin in resolve(specs, target, python, provided, resolver_url or index.index_url)
        if canonicalize_name(pin[0]) not in provided_names
    ]
    wheels = pick_wheels(pins, target.tags(python), target.markers(python), index)
    return [_entry(wheel, target.platform) for wheel in wheels]


def _entry(wheel: PickedWheel, platform: str) -> LockedPackage:
    return LockedPackage(
        name=wheel.name,
        version=wheel.version,
        manager="pip",
        platform=platform,
        url=wheel.url,
        sha256=wheel.sha256,
        dependencies=wheel.dependencies,
    )
