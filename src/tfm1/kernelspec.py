"""Jupyter kernelspecs: where Jupyter looks for them, and what tfm1 writes into one.

A kernelspec is a folder `<data dir>/kernels/<name>/` holding `kernel.json`: the `argv` that starts the kernel,
a `display_name`, `language`, an optional `env` added to the launching environment, and `metadata` namespaced per
tool (https://jupyter-client.readthedocs.io/en/latest/kernels.html#kernel-specs). Where those folders are, and which
one a name means, is `tfm1.inspect.kernels` (doctor's lookup too). Every OS fact is read through a `Host`, so a
test can ask for the macOS answer on Linux.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from tfm1.compat_data import TENSORFLOW_NAMES
from tfm1.errors import UsageError
from tfm1.host.base import Host
from tfm1.inspect.kernels import KERNEL_FILE, TFM1_KERNEL_PREFIX, conda_prefixes, find_kernel, kernel_dirs

# Jupyter lists a kernel under its folder's name, lower-cased, and allows only these characters in it
# (`_is_valid_kernel_name`, `_list_kernels_in` in
# https://github.com/jupyter/jupyter_client/blob/main/jupyter_client/kernelspec.py).
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def kernel_name(prefix: Path) -> str:
    """`tfm1-<environment name>`: the prefix's folder name, made into a name Jupyter accepts."""
    return TFM1_KERNEL_PREFIX + (_UNSAFE.sub("-", prefix.name.lower()).strip("-.") or "env")


def display_name(packages: dict[str, str], profile: str) -> str:
    for distribution in TENSORFLOW_NAMES:
        if distribution in packages:
            return f"TensorFlow {packages[distribution]} (tfm1 {profile})"
    return f"Python {packages.get('python', '3')} (tfm1 {profile})"


def spec_document(python: Path, display: str, prefix: Path) -> bytes:
    """kernel.json for the environment's own interpreter, by absolute path: never a `python` found on PATH.

    TensorFlow on Metal needs no environment variable, so there is no `env`. The `tfm1` metadata names the
    environment: for people reading the file, and for setup when the environment's receipt is gone (deleted by
    hand); otherwise whether the file is tfm1's is decided by the sha256 recorded in the receipt.
    """
    document = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display,
        "language": "python",
        "metadata": {"debugger": True, "tfm1": {"prefix": str(prefix)}},
    }
    return (json.dumps(document, indent=1) + "\n").encode()


@dataclass(frozen=True)
class KernelLaunch:
    """What Jupyter would start for a kernelspec: its interpreter and the environment it runs in."""

    spec: Path  # the kernel.json
    python: str
    env: dict[str, str]


def find_spec(host: Host, name: str) -> Path:
    """The kernel.json of the kernelspec `name` (found as doctor finds it), or at the path `name`."""
    if os.sep in name:
        given = Path(name).expanduser()
        spec = given / KERNEL_FILE if given.is_dir() else given
        if spec.is_file():
            return spec.absolute()
        raise UsageError(f"--kernel {name}: no {KERNEL_FILE} there", "give a kernelspec's name or its folder's path")
    dirs = kernel_dirs(host, conda_prefixes(host))
    found = find_kernel(host, name, dirs)
    if found is not None:
        return Path(found)
    raise UsageError(
        f"--kernel {name}: no kernelspec of that name in {', '.join(dirs)}", "list them with `jupyter kernelspec list`"
    )


def launch(spec: Path, environ: dict[str, str]) -> KernelLaunch:
    """argv[0] and the environment of kernelspec `spec`, as jupyter_client starts it.

    jupyter_client adds the spec's `env` to its own environment, filling `${VAR}` from it (`__apply_env_substitutions`
    in https://github.com/jupyter/jupyter_client/blob/main/jupyter_client/provisioning/provisioner_base.py).
    """
    try:
        document: Any = json.loads(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(f"cannot read the kernelspec {spec}: {error}", "reinstall the kernel") from None
    argv = document.get("argv") if isinstance(document, dict) else None
    extra = document.get("env", {}) if isinstance(document, dict) else None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise UsageError(f"the kernelspec {spec} has no argv", "reinstall the kernel")
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise UsageError(f"the kernelspec {spec} has an env that is not a map of strings", "fix or reinstall it")
    env = dict(environ)
    env.update({key: Template(value).safe_substitute(environ) for key, value in extra.items()})
    return KernelLaunch(spec, argv[0], env)
