"""Jupyter kernels: the interpreter a notebook really runs ("works in Terminal, crashes in the notebook").

A kernelspec is `<data dir>/kernels/<name>/kernel.json`; its `argv[0]` is the interpreter. Data dirs are searched in
Jupyter's order, the first kernel of a name wins (https://docs.jupyter.org/en/latest/use/jupyter-directories.html):
`JUPYTER_PATH` entries, then the user dir (`JUPYTER_DATA_DIR`, by default `~/Library/Jupyter` on macOS and
`~/.local/share/jupyter` elsewhere), then `{sys.prefix}/share/jupyter`, `/usr/local/share/jupyter`,
`/usr/share/jupyter`. VS Code's Jupyter extension lists the same kernelspecs.
"""

from __future__ import annotations

import json
import posixpath
from typing import NamedTuple

from tfm1.host.base import Host

SYSTEM_DATA_DIRS = ("/usr/local/share/jupyter", "/usr/share/jupyter")
MAX_KERNELS = 16  # a hostile or cluttered machine must not make doctor inspect hundreds of environments


class Kernel(NamedTuple):
    name: str
    spec: str  # the kernel.json path
    display_name: str
    python: str  # argv[0], found on PATH when it is a bare name
    exists: bool


def data_dirs(host: Host, prefixes: list[str]) -> list[str]:
    home = host.home()
    dirs = [d for d in (host.env("JUPYTER_PATH") or "").split(":") if d.startswith("/")]
    user = host.env("JUPYTER_DATA_DIR")
    if user:
        dirs.append(user)
    else:
        # The macOS default, then ~/.local/share/jupyter, where tools written for Linux put kernels on a Mac too.
        dirs += [f"{home}/Library/Jupyter"] if host.system() == "Darwin" else []
        dirs.append(f"{home}/.local/share/jupyter")
    dirs += [posixpath.join(prefix, "share", "jupyter") for prefix in prefixes]
    dirs += SYSTEM_DATA_DIRS
    return list(dict.fromkeys(posixpath.normpath(d) for d in dirs))


def _read_spec(host: Host, path: str) -> dict[str, object] | None:
    try:
        data = json.loads(host.text(path) or "")
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def find_kernels(host: Host, prefixes: list[str]) -> list[Kernel]:
    """Python kernels by name, the first in search order winning, as Jupyter lists them."""
    kernels: dict[str, Kernel] = {}
    for data_dir in data_dirs(host, prefixes):
        directory = posixpath.join(data_dir, "kernels")
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
