"""Command-line entry point.

argparse, not typer: importing typer costs ~100 ms, six times the interpreter's own start-up, and
`tfm1 doctor` must start fast. Each command lives in `tfm1.commands.<name>` with `register()` (cheap:
arguments only) and `run()` (imports what the command needs).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from tfm1 import __version__
from tfm1.errors import ExitCode, Tfm1Error

# Order is the order of `tfm1 --help`.
COMMANDS = ("setup", "remove", "doctor", "verify", "matrix", "profiles", "lock")


class CommandModule(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` one command's part (enough to parse that command's arguments)."""
    parser = argparse.ArgumentParser(
        prog="tfm1",
        description="TensorFlow on Apple silicon: set up from locks, verify, and diagnose broken setups.",
    )
    parser.add_argument("--version", action="version", version=f"tfm1 {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        module: CommandModule = importlib.import_module(f"tfm1.commands.{name}")
        module.register(subparsers)
    return parser


def print_error(error: Tfm1Error) -> None:
    line = f"tfm1: error: {error.message}"
    if error.fix:
        line += f" Fix: {error.fix}"
    print(line, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # `tfm1 doctor ...` needs only doctor's parser: importing and registering every command costs ~10 ms,
    # as much as the interpreter's own start-up.
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    module = importlib.import_module(f"tfm1.commands.{args.command}")
    try:
        return int(module.run(args))
    except Tfm1Error as error:
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
        where = f" ({error.filename})" if error.filename else ""
        print_error(Tfm1Error(f"{error.strerror or error}{where}", "check the path's permissions and free space"))
        return int(ExitCode.FAILED)
