"""Prove from the binaries whether tensorflow-metal's plugin can load with a TensorFlow release.

Cheap to import (doctor and lock do): LIEF, requests and the checker load on the first call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfm1.linkage.result import PairResult

__all__ = ["PairResult", "check_installed", "check_pair"]


def check_pair(tensorflow: str, metal: str, python: str = "3.11", **options: Any) -> PairResult:
    """Read the plugin from the tensorflow-metal wheel and TensorFlow's libraries from its wheel, on PyPI."""
    from tfm1.linkage.pairs import check_pair as run

    return run(tensorflow, metal, python, **options)


def check_installed(site_packages: Path, **options: Any) -> PairResult | None:
    """The same check on an installed environment; None when it has no plugin or no TensorFlow."""
    from tfm1.linkage.pairs import check_installed as run

    return run(Path(site_packages), **options)
