"""`tfm1 setup`: from a lockfile to a complete, verified TensorFlow environment, or to nothing at all."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "setup",
        help="create a locked TensorFlow environment (installs Miniforge if needed)",
        description="Check the machine, install Miniforge arm64 if no native conda exists, create the environment "
        "from the profile's lockfile (conda packages with py-rattler, wheels with uv; every file hash-checked), "
        "write a receipt, register it as the Jupyter kernel tfm1-<name> and run tfm1 verify through it. Any "
        "failure or Ctrl-C removes what the run created. Exit status: 0 done (or already up to date), 1 failed, "
        "2 bad usage or an unusable lockfile, 130 interrupted.",
    )
    parser.add_argument("--profile", metavar="P", help="the profile to install (default: metal)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--name", metavar="N", help="environment name under the conda root (default: tfm1)")
    where.add_argument("--prefix", metavar="PATH", help="create the environment at PATH instead")
    parser.add_argument("--lockfile", metavar="PATH", help="a conda-lock v1 file instead of the profile's")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument("--no-verify", action="store_true", help="skip tfm1 verify after installing")
    parser.add_argument(
        "--no-kernel", action="store_true", help="do not register the environment as a Jupyter kernel (tfm1-<name>)"
    )
    parser.add_argument(
        "--update", action="store_true", help="rebuild an environment made by tfm1 from a different lockfile"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing prefix that tfm1 did not make, rebuild an up-to-date one, and go on despite an "
        "x86_64 interpreter (never despite Rosetta, an old macOS or an Intel Mac for Metal)",
    )
    parser.add_argument("--init-shell", action="store_true", help="run `conda init` for your shell afterwards")
    parser.add_argument("--json", action="store_true", help="one JSON object per step on stdout")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tfm1.cli import print_error
    from tfm1.errors import ExitCode, Tfm1Error
    from tfm1.setup import SetupOptions, run_setup
    from tfm1.setup.events import Events

    options = SetupOptions(
        profile=args.profile,
        name=args.name,
        prefix=Path(args.prefix) if args.prefix is not None else None,
        lockfile=Path(args.lockfile) if args.lockfile is not None else None,
        yes=args.yes,
        dry_run=args.dry_run,
        verify=not args.no_verify,
        force=args.force,
        update=args.update,
        init_shell=args.init_shell,
        kernel=not args.no_kernel,
        command_line=sys.argv[2:] if sys.argv[1:2] == ["setup"] else [],
    )
    # Errors are printed here rather than in cli.main, because the process may end below without returning.
    try:
        code = int(run_setup(options, Events(args.json)))
    except Tfm1Error as error:
        print_error(error)
        code = int(error.exit_code)
    except KeyboardInterrupt:
        print("tfm1: interrupted", file=sys.stderr)
        code = int(ExitCode.INTERRUPTED)
    if "rattler" in sys.modules and sys.argv[1:2] == ["setup"]:
        # rattler's Rust runtime threads can still be releasing Python objects while the interpreter finalizes,
        # which now and then aborts a successful run ("Fatal Python error: PyGILState_Release"). Every file setup
        # writes is closed by now, so skipping finalization loses nothing. Only when this process is the `tfm1
        # setup` command itself: a program that calls cli.main() in-process (a test, a script) must get its
        # interpreter back, and pays the finalization risk at its own exit instead.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    return code
