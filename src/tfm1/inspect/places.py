"""Python environments outside the conda roots tfm1 knows: what `conda env list` shows from
`~/.conda/environments.txt`, `~/.conda/envs`, micromamba and mamba roots, pixi's `.pixi/envs/*` and a uv or virtualenv
`.venv` in the current directory.

Only doctor reads these (to judge and to resolve `--python NAME`); setup picks its conda root from
`tfm1.inspect.conda.find_conda_roots` alone, so a standalone environment is never taken for a root.
"""

from __future__ import annotations

import posixpath

from tfm1.host.base import Host
from tfm1.inspect.conda import CondaEnv, CondaRoot, inspect_env, is_conda_prefix

# micromamba's default root prefix, and mamba 2's; MAMBA_ROOT_PREFIX overrides both.
MAMBA_ROOTS = ("micromamba", ".local/share/mamba")
MAX_ENVS = 64  # environments.txt is untrusted and may list thousands


def _listed(host: Host, home: str) -> list[str]:
    text = host.text(posixpath.join(home, ".conda", "environments.txt")) or ""
    return [posixpath.normpath(line.strip()) for line in text.splitlines() if line.strip().startswith("/")]


def _envs_in(host: Host, directory: str) -> list[str]:
    return [posixpath.join(directory, name) for name in host.list_dir(directory)]


def find_other_envs(host: Host, roots: list[CondaRoot]) -> list[CondaEnv]:
    home = host.home()
    known = {env.prefix for root in roots for env in (root.env, *root.envs)}
    candidates = _listed(host, home) + _envs_in(host, posixpath.join(home, ".conda", "envs"))
    mamba_roots = [posixpath.join(home, r) for r in MAMBA_ROOTS]
    if host.env("MAMBA_ROOT_PREFIX"):
        mamba_roots.insert(0, host.env("MAMBA_ROOT_PREFIX") or "")
    for root in mamba_roots:
        candidates += [root, *_envs_in(host, posixpath.join(root, "envs"))]
    cwd = host.env("PWD") or ""
    if cwd.startswith("/"):
        candidates += _envs_in(host, posixpath.join(cwd, ".pixi", "envs"))
        candidates.append(posixpath.join(cwd, ".venv"))
    found: list[CondaEnv] = []
    for prefix in dict.fromkeys(posixpath.normpath(c) for c in candidates if c.startswith("/")):
        if prefix in known or len(found) >= MAX_ENVS:
            continue
        if is_conda_prefix(host, prefix) or host.is_file(posixpath.join(prefix, "pyvenv.cfg")):
            found.append(inspect_env(host, prefix))
    return found


def env_named(host: Host, name: str, roots: list[CondaRoot], others: list[CondaEnv]) -> str | None:
    """The prefix of the environment called `name` (as `conda activate NAME` or a folder name would say)."""
    for env in [*(e for root in roots for e in root.envs), *others]:
        if posixpath.basename(env.prefix) == name:
            return env.prefix
    return None
