"""The floor for tfm1's start-up: a typer app that does nothing, with `tfm1 doctor`'s options.

    python benchmarks/typer_floor.py doctor --snapshot S --json

tfm1 cannot start faster than typer itself; benchmarks/bench_doctor.py runs this from the same venv and
reports every tfm1 command's time against it, so what is measured is tfm1's own cost on top of typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def _floor() -> None:
    """A do-nothing app."""


@app.command()
def doctor(
    python: Annotated[str | None, typer.Option(metavar="PATH")] = None,
    snapshot: Annotated[Path | None, typer.Option(metavar="FILE", dir_okay=False)] = None,
    save_snapshot: Annotated[Path | None, typer.Option(metavar="FILE", dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    deep: Annotated[bool, typer.Option("--deep")] = False,
) -> None:
    """Parse doctor's options and do nothing."""


if __name__ == "__main__":
    app()
