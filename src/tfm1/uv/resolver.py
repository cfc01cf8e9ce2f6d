"""`uv pip compile`: the pins uv resolves for requirements on a target platform and Python, through one index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from tfm1.errors import Tfm1Error
from tfm1.pypi.index import SIMPLE_URL
from tfm1.uv.binary import uv_binary
from tfm1.uv.settings import without_uv_settings

_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


class UvTarget(Protocol):
    """What uv needs to know of a target platform (`tfm1.lock.targets.LockTarget` is one)."""

    @property
    def platform(self) -> str: ...  # the conda subdir, for messages

    @property
    def uv_platform(self) -> str: ...  # uv's --python-platform

    @property
    def uv_env(self) -> tuple[tuple[str, str], ...]: ...  # extra environment for uv


def resolve(
    specs: Sequence[str], target: UvTarget, python: str, provided: dict[str, str], index_url: str = SIMPLE_URL
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
        env = {
            **without_uv_settings(os.environ),
            "UV_PYTHON_DOWNLOADS": "never",
            **dict(target.uv_env),
            **_no_proxy_for_loopback(),
        }
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
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
