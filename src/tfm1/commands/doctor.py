"""`tfm1 doctor`: name the root cause of a broken TensorFlow setup from files and sysctl values alone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tfm1.commands.common import JsonFlag, exclusive, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(short_help="diagnose this Mac's TensorFlow setup without importing TensorFlow")(doctor)


def doctor(
    ctx: typer.Context,
    python: Annotated[
        str | None,
        typer.Option(
            metavar="PATH",
            help="the interpreter to check: a path, a name on PATH (python3.12) or an environment's folder "
            "(default: $VIRTUAL_ENV, $CONDA_PREFIX, then python3 on PATH)",
        ),
    ] = None,
    kernel: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="check the interpreter of this Jupyter kernel (its kernel.json argv[0])"),
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(metavar="FILE", dir_okay=False, help="diagnose from a saved snapshot instead of this machine"),
    ] = None,
    save_snapshot: Annotated[
        Path | None, typer.Option(metavar="FILE", dir_okay=False, help="also write what doctor read to FILE (JSON)")
    ] = None,
    as_json: JsonFlag = False,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="also prove from the installed binaries that tensorflow-metal's plugin can load with the "
            "installed TensorFlow (reads the Mach-O libraries: slower; not with --snapshot)",
        ),
    ] = False,
) -> None:
    """Read the machine (sysctl, Mach-O headers, conda and Homebrew prefixes, installed wheels) without importing
    TensorFlow, and name the root cause and the fix.

    Exit status: 0 no error found, 1 an error found, 2 bad usage or an unreadable snapshot.
    """
    exclusive(ctx, snapshot=snapshot, save_snapshot=save_snapshot)
    exclusive(ctx, python=python, kernel=kernel)

    def diagnose() -> Outcome:
        from tfm1.doctor.command import run_doctor

        return run_doctor(python, snapshot, save_snapshot, deep=deep, kernel=kernel)

    run_command("doctor", diagnose, as_json=as_json)
