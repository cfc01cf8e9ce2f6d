"""Jupyter kernels: the interpreter a notebook really runs ("works in Terminal, crashes in the notebook").

A kernelspec is `<data dir>/kernels/<name>/kernel.json`; its `argv[0]` is the interpreter. Data dirs are searched in
Jupyter's order (`jupyter_dirs`), each environment's `share/jupyter` standing in for `{sys.prefix}/share/jupyter`;
the first kernel of a name wins (https://docs.jupyter.org/en/latest/use/jupyter-directories.html).
VS Code's Jupyter extension lists the same kernelspecs.
"""

from __future__ import annotations

import json
import posixpath
from typing import NamedTuple

from tfm1.host.base import Host
from tfm1.inspect.jupyter_dirs import data_dir
from tfm1.inspect.jupyter_dirs import data_dirs as jupyter_data_dirs

# The name of every kernel `tfm1 setup` registers starts so (tfm1-<environment name>).
TFM1_KERNEL_PREFIX = "tfm1-"
MAX_KERNELS = 16  # a hostile or cluttered machine must not make doctor inspect hundreds of environments


class Kernel(NamedTuple):
    name: str
    spec: str  # the kernel.json path
    display_name: str
    python: str  # argv[0], found on PATH when it is a bare name
    exists: bool


def data_dirs(host: Host, prefixes: list[str]) -> list[str]:
    dirs = jupyter_data_dirs(host, prefixes)
    if host.system() == "Darwin" and not host.env("JUPYTER_DATA_DIR"):
        # Right after the user dir: ~/.local/share/jupyter, where tools written for Linux put kernels on a Mac too.
        dirs.insert(dirs.index(posixpath.normpath(data_dir(host))) + 1, f"{host.home()}/.local/share/jupyter")
    return list(dict.fromkeys(dirs))


def _read_spec(host: Host, path: str) -> dict[str, object] | None:
    try:
        data = json.loads(host.text(path) or "")
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def find_kernels(host: Host, prefixes: list[str]) -> list[Kernel]:
    """Python kernels by name, the first in search order winning, as Jupyter lists them."""
    kernels: dict[str, Kernel] = {}
    for folder in data_dirs(host, prefixes):
        directory = posixpath.join(folder, "kernels")
        for name in host.list_dir(directory):
            if name in kernels or len(kernels) >= MAX_KERNELS:
                continue
            spec_path = posixpath.join(directory, name, "kernel.json")
            spec = _read_spec(host, spec_path)
            argv = spec.get("argv") if spec else None
            if not spec or not isinstance(argv, list) or not argv or not isinstance(argv[0], str) or not argv[0]:
                continue
            if str(spec.get("language", "python")).lower() != "python":
                continue  # an R or Julia kernel runs no TensorFlow
            python = argv[0] if "/" in argv[0] else (host.which(argv[0]) or argv[0])
            display = spec.get("display_name")
            kernels[name] = Kernel(
                name, spec_path, display if isinstance(display, str) else name, python, host.exists(python)
            )
    return list(kernels.values())
