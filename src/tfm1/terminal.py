"""Output for people and machines, the same for every command: JSON on stdout, plain lines, and the rich console.

A base module, so that the domain packages that render their own results (doctor, lock, linkage, verify, setup)
reach it without importing the command layer above them. rich is imported only when a console is asked for:
importing it costs about as much as all of `tfm1 setup`'s no-op re-run, which prints only plain lines
(`echo`, through typer's own styling, already loaded with the command line).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def write_stdout(text: str) -> None:
    """Write `text` to stdout now. A reader that goes away (`tfm1 setup --json | head -3`) must not stop the command:
    an install interrupted by a failed write would be rolled back. Output is dropped from then on; the work and the
    exit code stay."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        drop_stdout()


def drop_stdout() -> None:
    """Point stdout at /dev/null: the buffered remainder and the interpreter's final flush then succeed too."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def console(*, stderr: bool = False, soft_wrap: bool = False) -> Console:
    """The rich console for people. rich itself honours NO_COLOR, FORCE_COLOR, TERM=dumb and a non-terminal
    stream (https://rich.readthedocs.io/en/stable/console.html#environment-variables); highlighting is off
    so numbers and paths keep the colour the command chose."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=soft_wrap)


def style(text: str, *, color: str | None = None, dim: bool = False, bold: bool = False) -> str:
    """`text` with ANSI styling; `echo` removes it again where colour is not wanted."""
    import typer

    return typer.style(text, fg=color, dim=dim or None, bold=bold or None)  # False would print "not bold" codes


def echo(text: str, *, stderr: bool = False) -> None:
    """One plain line for people. Never read as markup, so a path holding `[` prints as it is; `style`d parts
    keep their colour only where `use_colour` says so."""
    import typer

    typer.echo(text, err=stderr, color=use_colour(sys.stderr if stderr else sys.stdout))


def use_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """The usual conventions, as rich applies them to its console
    (https://rich.readthedocs.io/en/stable/console.html#environment-variables): never with `NO_COLOR`
    (no-color.org: a non-empty value) or `TERM=dumb`, always with `FORCE_COLOR`, else only on a terminal."""
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()
