"""Jupyter kernels: the interpreter a notebook really runs ("works in Terminal, crashes in the notebook").

A kernelspec is a folder `<kernel dir>/<name>/` holding `kernel.json`: the `argv` that starts the kernel (`argv[0]` is
the interpreter), a `display_name`, `language`, an optional `env` added to the launching environment, and `metadata`
namespaced per tool (https://jupyter-client.readthedocs.io/en/latest/kernels.html#kernel-specs). `find_kernel` is the
one lookup of a kernel by name (doctor's `--kernel`, `tfm1 verify --kernel`, setup's smoke test) and `find_kernels`
lists them all for doctor: both read `kernel_specs`, so a name means the same kernelspec everywhere. VS Code's
Jupyter extension lists the same kernelspecs. Every OS fact is read through a `Host`, so a test can ask for the
macOS answer on Linux. Doctor imports this module: it stays free of pathlib and dataclasses.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from typing import NamedTuple

from tfm1.host.base import Host
from tfm1.jupyter.dirs import kernel_dirs

# The name of every kernel `tfm1 setup` registers starts so (tfm1-<environment name>).
TFM1_KERNEL_PREFIX = "tfm1-"
KERNEL_FILE = "kernel.json"
MAX_KERNELS = 16  # a hostile or cluttered machine must not make doctor inspect hundreds of environments


class Kernel(NamedTuple):
    name: str
    spec: str  # the kernel.json path
    display_name: str
    python: str  # argv[0], found on PATH when it is a bare name
    exists: bool


def kernel_specs(host: Host, dirs: list[str]) -> Iterator[tuple[str, str]]:
    """(name, kernel.json path) of every kernelspec, as jupyter_client finds them: a folder holding `kernel.json`,
    named by its folder's name lower-cased, the first of a name in search order winning (`_list_kernels_in`,
    `find_kernel_specs`, and `get_kernel_spec`, which looks up `kernel_name.lower()`, in
    https://github.com/jupyter/jupyter_client/blob/main/jupyter_client/kernelspec.py)."""
    seen: set[str] = set()
    for directory in dirs:
        for entry in host.list_dir(directory):
            name = entry.lower()
            spec = posixpath.join(directory, entry, KERNEL_FILE)
            if name not in seen and host.is_file(spec):
                seen.add(name)
                yield name, spec


def find_kernel(host: Host, name: str, dirs: list[str]) -> str | None:
    """The kernel.json Jupyter starts for kernel `name` (any case), searching `dirs` (`kernel_dirs`)."""
    return next((spec for found, spec in kernel_specs(host, dirs) if found == name.lower()), None)


def read_kernel(host: Host, name: str, spec_path: str) -> Kernel | None:
    """The Python kernel `spec_path` describes; None for a damaged kernelspec or another language's kernel."""
    spec = _read_spec(host, spec_path)
    argv = spec.get("argv") if spec else None
    if not spec or not isinstance(argv, list) or not argv or not isinstance(argv[0], str) or not argv[0]:
        return None
    if str(spec.get("language", "python")).lower() != "python":
        return None  # an R or Julia kernel runs no TensorFlow
    python = argv[0] if "/" in argv[0] else (host.which(argv[0]) or argv[0])
    display = spec.get("display_name")
    return Kernel(name, spec_path, display if isinstance(display, str) else name, python, host.exists(python))


def _read_spec(host: Host, path: str) -> dict[str, object] | None:
    try:
        data = json.loads(host.text(path) or "")
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def find_kernels(host: Host, prefixes: list[str]) -> list[Kernel]:
    """Python kernels by name, the first in search order winning, as Jupyter lists them."""
    kernels = []
    for name, spec_path in kernel_specs(host, kernel_dirs(host, prefixes)):
        kernel = read_kernel(host, name, spec_path)
        if kernel is not None:
            kernels.append(kernel)
            if len(kernels) >= MAX_KERNELS:
                break
    return kernels
