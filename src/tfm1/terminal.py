"""Output for people and machines, the same for every command: JSON on stdout and the rich console.

A base module, so that the domain packages that render their own results (doctor, lock, linkage, verify, setup)
reach it without importing the command layer above them. rich is imported only when a console is asked for.
"""

from __future__ import annotations

import json
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
