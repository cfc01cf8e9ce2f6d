"""Command-line entry point: `tfm1.cli:app`, a typer app with one module per command in `tfm1.commands`.

Start-up cost is typer's own plus little: command modules import only typer and `tfm1.commands.common`;
the domain code a command needs is imported inside its function.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from tfm1 import __version__
from tfm1.errors import ExitCode, Tfm1Error

# Order is the order of `tfm1 --help`.
COMMANDS = ("setup", "remove", "bundle", "doctor", "verify", "matrix", "profiles", "lock", "compat")
COMPLETE_VAR = "_TFM1_COMPLETE"


def _version(value: bool) -> None:
    if value:
        print(f"tfm1 {__version__}")
        raise typer.Exit()


def _tfm1(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print tfm1's version and exit")
    ] = False,
) -> None:
    """TensorFlow on Apple silicon: set up from locks, verify, and diagnose broken setups."""


def build_app(only: str | None = None) -> typer.Typer:
    """The whole command line, or with `only` one command's part (enough to run that command)."""
    app = typer.Typer(
        name="tfm1",
        no_args_is_help=True,
        # Plain help and usage errors: typer's rich panels import rich, which triples `tfm1 --help`'s start-up
        # (README, Design notes). A bug's traceback is printed as Python prints it, for the same reason.
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_tfm1)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"tfm1.commands.{name}")
        module.register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    # `tfm1.cli:app`, the complete app, is built when asked for: `main` builds only the command it runs.
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app and return its exit status (the console script's and `python -m tfm1`'s, and in-process
    callers'): usage errors 2 with the failing command's usage, a Tfm1Error its code, Ctrl-C 130."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # `tfm1 doctor ...` needs only doctor's command: typer turns every registered command's signature into a
    # click command at each start, which for all of them costs as much as doctor's own work.
    only = argv[0] if argv and argv[0] in COMMANDS and COMPLETE_VAR not in os.environ else None
    try:
        build_app(only)(args=argv, prog_name="tfm1", complete_var=COMPLETE_VAR)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else int(ExitCode.FAILED)
    except Tfm1Error as error:
        from tfm1.envelope import print_error

        print_error(error)
        return int(error.exit_code)
    except BrokenPipeError:
        # The reader went away (`tfm1 doctor --json | head`): not an error worth a traceback.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again (Python docs, SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.FAILED)
    except KeyboardInterrupt:
        print("tfm1: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except OSError as error:
        # The last line of defence for the file system (permissions, a full disk): one line, never a traceback.
        from tfm1.envelope import file_system_error, print_error

        print_error(file_system_error(error))
        return int(ExitCode.FAILED)
    return int(ExitCode.OK)
