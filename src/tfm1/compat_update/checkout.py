"""The source checkout `tfm1 compat` writes to: the found data beside compat_data.py, the page, the profiles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tfm1.errors import UsageError

_PACKAGE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Checkout:
    root: Path

    @property
    def found_file(self) -> Path:
        return self.root / "src" / "tfm1" / "compat_found.py"

    @property
    def pairs_file(self) -> Path:
        return self.root / "src" / "tfm1" / "compat_found_pairs.py"

    @property
    def page(self) -> Path:
        return self.root / "docs" / "compatibility.md"

    @property
    def envs(self) -> Path:
        return self.root / "envs"


def checkout() -> Checkout:
    """The checkout this tfm1 runs from (`src/tfm1` beside a pyproject.toml); an installed copy is refused: what it
    would write belongs in the repository, where a pull request can carry it."""
    root = _PACKAGE.parents[1]
    if _PACKAGE.parent.name != "src" or not (root / "pyproject.toml").is_file() or not (root / "envs").is_dir():
        raise UsageError(
            f"tfm1 runs from {_PACKAGE}, not from a source checkout; `tfm1 compat` writes the checkout's data",
            "run it from a clone of tfm1's repository: `uv run tfm1 compat ...`",
        )
    return Checkout(root)
