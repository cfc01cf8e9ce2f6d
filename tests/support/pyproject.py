"""The repository's pyproject.toml as data, on every Python the project supports (tomllib is 3.11+; on 3.10 the
same parser as tomli, which the dev tools bring there)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pyproject() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return data
