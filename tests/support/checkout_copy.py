"""A copy of this checkout in a temp dir, and `tfm1` run from it: what `tfm1 compat` writes lands in the copy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.cli import tfm1

ROOT = Path(__file__).resolve().parents[2]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def copy_checkout(target: Path) -> Path:
    """src/tfm1, envs/, docs/ and pyproject.toml: what `tfm1 compat` reads and writes."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "src" / "tfm1", target / "src" / "tfm1", ignore=IGNORE)
    shutil.copytree(ROOT / "envs", target / "envs")
    if (ROOT / "docs").is_dir():
        shutil.copytree(ROOT / "docs", target / "docs")
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def run_from(
    checkout: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m tfm1 ARGS` importing tfm1 from `checkout/src`, run in `checkout` (its envs/ is ./envs)."""
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(checkout / "src")}
    return tfm1(*args, env=environment, timeout=timeout, cwd=checkout)


def snapshot(checkout: Path) -> dict[str, bytes]:
    """Every file of the copy that `tfm1 compat` may write, by path: to see what a run changed."""
    paths = [*(checkout / "src" / "tfm1").glob("compat_found*.py"), *(checkout / "envs").rglob("*.yml")]
    paths += list((checkout / "docs").glob("*.md"))
    return {str(p.relative_to(checkout)): p.read_bytes() for p in sorted(paths)}
