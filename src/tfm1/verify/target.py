"""Which interpreter `tfm1 verify` checks: --python, --prefix, --name, else the tfm1 env or the active one."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass

from tfm1.errors import UsageError
from tfm1.host.base import Host

DEFAULT_ENV = "tfm1"


@dataclass(frozen=True)
class VerifyTarget:
    python: str
    source: str  # --python, --prefix, --name, the tfm1 env, VIRTUAL_ENV, CONDA_PREFIX


def choose_target(host: Host, *, python: str | None, prefix: str | None, name: str | None) -> VerifyTarget:
    if python:
        from tfm1.inspect.python_argument import resolve_python

        # Whatever is wrong with it, the check below says so in verify's words.
        named = resolve_python(host, python, live=True)
        return _checked(VerifyTarget(named.path, "--python"), "give the path of a Python interpreter")
    if prefix:
        return _checked(
            VerifyTarget(_python_in(prefix), "--prefix"), "give the prefix of an environment (it has bin/python)"
        )
    if name:
        from tfm1.inspect.conda import find_env

        found = find_env(host, name)
        if found is None:
            raise UsageError(
                f"--name {name}: no conda environment of that name was found",
                "list them with `conda env list`, or give --prefix PATH",
            )
        return _checked(VerifyTarget(_python_in(found), "--name"), "recreate the environment, or give --python PATH")
    from tfm1.inspect.conda import find_env

    found = find_env(host, DEFAULT_ENV)
    if found is not None:
        return _checked(VerifyTarget(_python_in(found), f"the {DEFAULT_ENV} env"), "recreate it with tfm1 setup")
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = host.env(variable)
        if value:
            return _checked(
                VerifyTarget(_python_in(value), variable), f"deactivate the broken environment in ${variable}"
            )
    raise UsageError(
        f"no environment to verify: no conda env named {DEFAULT_ENV}, and none is active",
        "run tfm1 setup, or pass --python PATH",
    )


def _python_in(prefix: str) -> str:
    return posixpath.join(prefix, "bin", "python")


def _checked(target: VerifyTarget, fix: str) -> VerifyTarget:
    if not os.path.isfile(target.python):  # noqa: PTH113 - follows the venv's symlink, as running it would
        raise UsageError(f"{target.source}: no Python interpreter at {target.python}", fix)
    if not os.access(target.python, os.X_OK):
        raise UsageError(f"{target.source}: {target.python} is not executable", fix)
    return target
