"""`tfm1 matrix`: which TensorFlow loads with which tensorflow-metal, from the data or proven from the binaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tfm1.commands.common import JsonFlag, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(short_help="which TensorFlow works with which tensorflow-metal (--verify: proven from the wheels)")(
        matrix
    )


def matrix(
    verify: Annotated[bool, typer.Option("--verify", help="check every pair from the wheels' binaries")] = False,
    tf: Annotated[
        str | None,
        typer.Option(
            metavar="V1,V2", help="TensorFlow versions (default: the newest patch of each release from 2.15 on)"
        ),
    ] = None,
    metal: Annotated[
        str | None, typer.Option(metavar="V1,V2", help="tensorflow-metal versions (default: 1.0.1,1.1.0,1.2.0)")
    ] = None,
    python: Annotated[str, typer.Option(metavar="X.Y", help="the Python whose wheels to read")] = "3.11",
    as_json: JsonFlag = False,
) -> None:
    """Print which TensorFlow releases load with which tensorflow-metal releases on macOS arm64. Without --verify
    the grid comes from tfm1's compatibility data; with --verify each pair is checked from the binaries: the
    plugin's imports against TensorFlow's exports, read from the wheels on PyPI with range requests (no install, no
    Mac needed).

    Exit status: 0 the grid was made, 1 a wheel could not be read, 2 bad usage.
    """

    def grid() -> Outcome:
        from tfm1.linkage.command import matrix

        return matrix(tf, metal, python, verify=verify)

    run_command("matrix", grid, as_json=as_json)
