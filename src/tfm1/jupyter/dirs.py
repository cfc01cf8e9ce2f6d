"""Where Jupyter keeps its data (and so its kernelspecs), as jupyter_core decides it, read through a `Host`.

The user data dir is `$JUPYTER_DATA_DIR`, else `~/Library/Jupyter` on macOS and `$XDG_DATA_HOME/jupyter` (default
`~/.local/share/jupyter`) on Linux; the search path is `$JUPYTER_PATH`, the user dir, `{sys.prefix}/share/jupyter`,
then the system dirs (https://docs.jupyter.org/en/latest/use/jupyter-directories.html). Used by doctor's kernel
findings and by setup's and verify's kernelspecs alike.
"""

from __future__ import annotations

import os
import posixpath

from tfm1.host.base import Host

# jupyter_core's defaults when JUPYTER_PLATFORM_DIRS is not set (`SYSTEM_JUPYTER_PATH`), and the values it reads
# as false (`envset`): https://github.com/jupyter/jupyter_core/blob/main/jupyter_core/paths.py
SYSTEM_DIRS = ("/usr/local/share/jupyter", "/usr/share/jupyter")
_FALSE = ("no", "n", "false", "off", "0", "0.0")


def data_dir(host: Host) -> str:
    """The user's Jupyter data dir, where `jupyter kernelspec install --user` (and tfm1) put kernels."""
    configured = host.env("JUPYTER_DATA_DIR")
    if configured:
        return configured
    home = host.home()
    platform_dirs = (host.env("JUPYTER_PLATFORM_DIRS") or "0").lower() not in _FALSE
    if host.system() == "Darwin":
        # With JUPYTER_PLATFORM_DIRS set, jupyter_core asks platformdirs, which answers Application Support.
        if platform_dirs:
            return posixpath.join(home, "Library", "Application Support", "jupyter")
        return posixpath.join(home, "Library", "Jupyter")
    return posixpath.join(host.env("XDG_DATA_HOME") or posixpath.join(home, ".local", "share"), "jupyter")


def data_dirs(host: Host, prefixes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Jupyter's data dirs in its search order; `prefixes` are environments whose `share/jupyter` stands in for the
    Jupyter server's `{sys.prefix}/share/jupyter` (Jupyter searches only its own server's prefix, which tfm1 cannot
    know)."""
    # A relative JUPYTER_PATH entry is relative to the Jupyter server's working directory, unknown here.
    dirs = [p for p in (host.env("JUPYTER_PATH") or "").split(os.pathsep) if p.startswith("/")]
    dirs.append(data_dir(host))
    dirs += [posixpath.join(prefix, "share", "jupyter") for prefix in prefixes]
    dirs += SYSTEM_DIRS
    dirs = list(dict.fromkeys(posixpath.normpath(d) for d in dirs))
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
