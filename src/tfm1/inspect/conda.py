"""Conda installations in the places people have them, and the platform each environment was made for."""

from __future__ import annotations

import json
import posixpath
from typing import NamedTuple

from tfm1.host.base import Host

# Relative to $HOME, then absolute: where Miniforge, Mambaforge, Miniconda and Anaconda install.
HOME_ROOTS = ("miniforge3", "mambaforge", "miniconda3", "anaconda3", "opt/anaconda3", "opt/miniconda3")
SYSTEM_ROOTS = (
    "/opt/homebrew/Caskroom/miniforge/base",
    "/opt/homebrew/miniforge3",
    "/opt/homebrew/anaconda3",
    "/usr/local/Caskroom/miniforge/base",
    "/usr/local/Caskroom/miniconda/base",
    "/usr/local/anaconda3",
    "/usr/local/miniconda3",
    "/opt/anaconda3",
    "/opt/miniconda3",
    "/opt/miniforge3",
)


class CondaEnv(NamedTuple):
    prefix: str
    subdir: str | None  # "osx-arm64", "osx-64", "linux-64", ... from conda-meta records
    python_archs: tuple[str, ...]  # slices of bin/python; empty when there is none


class CondaRoot(NamedTuple):
    env: CondaEnv
    envs: list[CondaEnv]

    @property
    def prefix(self) -> str:
        return self.env.prefix


def is_conda_prefix(host: Host, prefix: str) -> bool:
    return host.is_dir(posixpath.join(prefix, "conda-meta"))


def record_subdir(host: Host, prefix: str) -> str | None:
    """The platform of an environment: the `subdir` of its python record, else of any non-noarch record."""
    meta = posixpath.join(prefix, "conda-meta")
    names = [n for n in host.list_dir(meta) if n.endswith(".json")]
    names.sort(key=lambda n: not n.startswith("python-"))
    for name in names[:8]:  # a few records suffice; noarch ones do not tell
        try:
            record = json.loads(host.text(posixpath.join(meta, name)) or "")
        except (ValueError, RecursionError):  # untrusted: "[[[[..." nests past the parser's recursion limit
            continue
        subdir = record.get("subdir") if isinstance(record, dict) else None
        if isinstance(subdir, str) and subdir != "noarch":
            return subdir
    return None


def python_record_version(host: Host, prefix: str) -> str | None:
    for name in host.list_dir(posixpath.join(prefix, "conda-meta")):
        parts = name.split("-")
        if len(parts) >= 3 and parts[0] == "python" and name.endswith(".json"):
            return parts[1]
    return None


def inspect_env(host: Host, prefix: str) -> CondaEnv:
    python = posixpath.join(prefix, "bin", "python")
    archs = host.macho(python).archs if host.exists(python) else ()
    return CondaEnv(prefix, record_subdir(host, prefix), archs)


def candidate_roots(host: Host) -> list[str]:
    # The installation the shell has active (or the installer chose, through CONDA_EXE) comes first, wherever it
    # lives; then the usual places.
    roots = [_root_of(value, variable) for variable in ("CONDA_EXE", "CONDA_PREFIX") if (value := host.env(variable))]
    home = host.home()
    roots += [posixpath.join(home, r) for r in HOME_ROOTS] + list(SYSTEM_ROOTS)
    unique: list[str] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def _root_of(value: str, variable: str) -> str:
    path = posixpath.normpath(value)
    if variable == "CONDA_EXE":  # <root>/bin/conda or <root>/condabin/conda
        return posixpath.dirname(posixpath.dirname(path))
    parent = posixpath.dirname(path)
    return posixpath.dirname(parent) if posixpath.basename(parent) == "envs" else path


def find_conda_roots(host: Host) -> list[CondaRoot]:
    roots = []
    for prefix in candidate_roots(host):
        if not is_conda_prefix(host, prefix):
            continue
        envs_dir = posixpath.join(prefix, "envs")
        envs = [
            inspect_env(host, posixpath.join(envs_dir, name))
            for name in host.list_dir(envs_dir)
            if is_conda_prefix(host, posixpath.join(envs_dir, name))
        ]
        roots.append(CondaRoot(inspect_env(host, prefix), envs))
    return roots


def conda_prefixes(host: Host) -> list[str]:
    """The environments whose `share/jupyter` a lookup by name searches: every conda root and its environments
    (Jupyter searches only its server's own prefix, which tfm1 cannot know)."""
    return [env.prefix for root in find_conda_roots(host) for env in (root.env, *root.envs)]


def find_env(host: Host, name: str) -> str | None:
    """The prefix of the conda environment `name`, preferring a native (osx-arm64) root."""
    roots = find_conda_roots(host)
    roots.sort(key=lambda root: root.env.subdir != "osx-arm64")
    for root in roots:
        if name == "base":
            return root.prefix
        for env in root.envs:
            if posixpath.basename(env.prefix) == name:
                return env.prefix
    return None
