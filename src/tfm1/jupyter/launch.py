"""What Jupyter starts for a kernelspec: its interpreter and the environment it runs in, as jupyter_client does it
(for `tfm1 verify --kernel` and setup's smoke test through the kernel it registered)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from tfm1.errors import UsageError
from tfm1.host.base import Host
from tfm1.jupyter.dirs import kernel_dirs
from tfm1.jupyter.kernelspecs import KERNEL_FILE, find_kernel


@dataclass(frozen=True)
class KernelLaunch:
    """What Jupyter would start for a kernelspec: its interpreter and the environment it runs in."""

    spec: Path  # the kernel.json
    python: str
    env: dict[str, str]


def find_spec(host: Host, name: str, prefixes: list[str]) -> Path:
    """The kernel.json of the kernelspec `name` (found as doctor finds it, `prefixes` standing in for the Jupyter
    server's own), or at the path `name`."""
    if os.sep in name:
        given = Path(name).expanduser()
        spec = given / KERNEL_FILE if given.is_dir() else given
        if spec.is_file():
            return spec.absolute()
        raise UsageError(f"--kernel {name}: no {KERNEL_FILE} there", "give a kernelspec's name or its folder's path")
    dirs = kernel_dirs(host, prefixes)
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
