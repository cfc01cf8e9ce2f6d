"""Output for people and machines, the same for every command: JSON on stdout, plain lines, and the rich console.

A base module, so that the domain packages that render their own results (doctor, lock, linkage, verify, setup)
reach it without importing the command layer above them. rich is imported only when a console is asked for:
importing it costs about as much as all of `tfm1 setup`'s no-op re-run, which prints only plain lines
(`echo`, through typer's own styling, already loaded with the command line).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def console(*, stderr: bool = False, soft_wrap: bool = False) -> Console:
    """The rich console for people. rich itself honours NO_COLOR, FORCE_COLOR, TERM=dumb and a non-terminal
    stream (https://rich.readthedocs.io/en/stable/console.html#environment-variables); highlighting is off
    so numbers and paths keep the colour the command chose."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=soft_wrap)


def style(text: str, *, color: str | None = None, dim: bool = False, bold: bool = False) -> str:
    """`text` with ANSI styling; `echo` removes it again where colour is not wanted."""
    import typer

    return typer.style(text, fg=color, dim=dim, bold=bold)


def echo(text: str, *, stderr: bool = False) -> None:
    """One plain line for people. Never read as markup, so a path holding `[` prints as it is; `style`d parts
    keep their colour only where `color_wanted` says so."""
    import typer

    typer.echo(text, err=stderr, color=color_wanted(sys.stderr if stderr else sys.stdout))


def color_wanted(stream: Any) -> bool:
    """rich's rules (https://rich.readthedocs.io/en/stable/console.html#environment-variables), so plain lines
    and the rich console agree: NO_COLOR (any non-empty value) turns colour off, then FORCE_COLOR turns it on,
    TERM=dumb turns it off, else colour only on a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM", "").lower() == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
