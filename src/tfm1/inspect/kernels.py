"""Jupyter kernels: the interpreter a notebook really runs ("works in Terminal, crashes in the notebook").

A kernelspec is `<kernel dir>/<name>/kernel.json`; its `argv[0]` is the interpreter. `find_kernel` is the one
lookup of a kernel by name (doctor's `--kernel`, `tfm1 verify --kernel`, setup's smoke test) and `find_kernels`
lists them all for doctor: both read `kernel_specs`, so a name means the same kernelspec everywhere.
VS Code's Jupyter extension lists the same kernelspecs.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from typing import NamedTuple

from tfm1.host.base import Host
from tfm1.inspect.jupyter_dirs import data_dir
from tfm1.inspect.jupyter_dirs import data_dirs as jupyter_data_dirs

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


def data_dirs(host: Host, prefixes: list[str]) -> list[str]:
    """Jupyter's data dirs in its order (`jupyter_dirs`), each environment's `share/jupyter` standing in for the
    Jupyter server's `{sys.prefix}/share/jupyter` (https://docs.jupyter.org/en/latest/use/jupyter-directories.html)."""
    dirs = jupyter_data_dirs(host, prefixes)
    if host.system() == "Darwin" and not host.env("JUPYTER_DATA_DIR"):
        # Right after the user dir: ~/.local/share/jupyter, where tools written for Linux put kernels on a Mac too.
        # Jupyter itself does not search it there; it is the one folder searched beyond Jupyter's.
        dirs.insert(dirs.index(posixpath.normpath(data_dir(host))) + 1, f"{host.home()}/.local/share/jupyter")
    return list(dict.fromkeys(dirs))


def kernel_dirs(host: Host, prefixes: list[str]) -> list[str]:
    """The folders searched for kernelspecs, in jupyter_client's order: `kernels` in each data dir, then IPython's
    (`$IPYTHONDIR`, else `~/.ipython`), searched last (`KernelSpecManager._kernel_dirs_default` in
    https://github.com/jupyter/jupyter_client/blob/main/jupyter_client/kernelspec.py)."""
    ipython = host.env("IPYTHONDIR") or posixpath.join(host.home(), ".ipython")
    dirs = [posixpath.join(d, "kernels") for d in data_dirs(host, prefixes)]
    return list(dict.fromkeys([*dirs, posixpath.join(posixpath.normpath(ipython), "kernels")]))


def conda_prefixes(host: Host) -> list[str]:
    """The environments whose `share/jupyter` a lookup by name searches: every conda root and its environments
    (Jupyter searches only its server's own prefix, which tfm1 cannot know)."""
    from tfm1.inspect.conda import find_conda_roots

    return [env.prefix for root in find_conda_roots(host) for env in (root.env, *root.envs)]


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
