"""Run what a benchmark times the way a user's machine runs it: with Python's bytecode cache.

Some machines (this project's CI among them) set PYTHONDONTWRITEBYTECODE=1, and `uv sync` does not compile
bytecode at install (https://docs.astral.sh/uv/reference/settings/#compile-bytecode), so every start-up would
compile typer, rich and tfm1 from source again: a few hundred milliseconds that no user pays after their first run.
Importing this module drops the variable for the benchmark and every process it starts; the benchmarks' own warm-up
runs then write the cache.
"""

from __future__ import annotations

import os

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
