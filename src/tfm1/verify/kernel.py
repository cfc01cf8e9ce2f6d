"""`tfm1 verify --kernel NAME`: check the interpreter and environment Jupyter would start for a kernelspec.

"It works in the terminal but not in the notebook" is a kernelspec whose argv[0] is another Python (often an
x86_64 one) or whose `env` changes what gets imported; running the smoke test through the spec itself checks
what the notebook gets, not what the shell gets.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from tfm1.errors import UsageError
from tfm1.host.base import Host
from tfm1.inspect.conda import conda_prefixes
from tfm1.jupyter.launch import KernelLaunch, find_spec, launch


def kernel_target(host: Host, name: str, environ: Mapping[str, str] | None = None) -> KernelLaunch:
    """The kernelspec `name` (found as Jupyter finds it), with argv[0] as an interpreter path to run."""
    started = launch(find_spec(host, name, conda_prefixes(host)), dict(os.environ if environ is None else environ))
    python = started.python
    if os.sep not in python:
        # A bare name (no slash) is looked up on the kernel's own PATH, as spawning it with that environment would.
        python = shutil.which(python, path=started.env.get("PATH")) or python
    if not os.path.isfile(python) or not os.access(python, os.X_OK):  # noqa: PTH113 - follows symlinks, as exec does
        raise UsageError(
            f"--kernel {name}: its interpreter {started.python} (argv[0] of {started.spec}) cannot be run",
            "re-register the kernel (tfm1 setup registers tfm1's environments) or fix argv in that kernel.json",
        )
    return KernelLaunch(started.spec, python, started.env)
