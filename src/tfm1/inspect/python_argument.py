"""What `--python X` names on a host, for doctor and verify: a path, a folder holding bin/python, or a bare name
(the one a shell would run, else the environment `conda activate X` would use). Each command words its own error
from the `problem` this returns."""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Literal, NamedTuple

from tfm1.host.base import Host

Problem = Literal["not found", "not absolute", "folder without bin/python", "no such file"]


class PythonArgument(NamedTuple):
    path: str  # the interpreter's path on the host; `given` itself when nothing of that name was found
    problem: Problem | None  # why `path` is not an interpreter, None when it exists


def resolve_python(host: Host, given: str, *, live: bool) -> PythonArgument:
    """`live`: a relative path is taken from the current directory; a snapshot's paths are absolute only."""
    if "/" not in given:
        found = host.which(given) or env_python(host, given)
        return PythonArgument(given, "not found") if found is None else PythonArgument(found, None)
    path = given
    if not path.startswith("/"):
        if not live:
            return PythonArgument(given, "not absolute")
        path = str(Path(path).absolute())  # not resolved: a venv's bin/python is a symlink to keep
    if host.is_dir(path):
        inside = posixpath.join(path, "bin", "python")
        return PythonArgument(inside, None if host.exists(inside) else "folder without bin/python")
    return PythonArgument(path, None if host.exists(path) else "no such file")


def env_python(host: Host, name: str) -> str | None:
    """bin/python of the environment `name` (conda, mamba, pixi, environments.txt), as `conda activate NAME` means."""
    from tfm1.inspect.conda import find_conda_roots
    from tfm1.inspect.places import env_named, find_other_envs

    roots = find_conda_roots(host)
    prefix = env_named(host, name, roots, find_other_envs(host, roots))
    python = posixpath.join(prefix, "bin", "python") if prefix else None
    return python if python and host.exists(python) else None
