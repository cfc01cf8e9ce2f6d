"""`tfm1 setup`: from a lockfile to a complete, verified TensorFlow environment, or to nothing at all."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "setup",
        help="create a locked TensorFlow environment (installs Miniforge if needed)",
        description="Check the machine, install Miniforge arm64 if no native conda exists, create the environment "
        "from the profile's lockfile (conda packages with py-rattler, wheels with uv; every file hash-checked), "
        "write a receipt and run tfm1 verify. Any failure or Ctrl-C removes what the run created. Exit status: "
        "0 done (or already up to date), 1 failed, 2 bad usage or an unusable lockfile, 130 interrupted.",
    )
    parser.add_argument("--profile", metavar="P", help="the profile to install (default: metal)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--name", metavar="N", help="environment name under the conda root (default: tfm1)")
    where.add_argument("--prefix", metavar="PATH", type=Path, help="create the environment at PATH instead")
    parser.add_argument("--lockfile", metavar="PATH", type=Path, help="a conda-lock v1 file instead of the profile's")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument("--no-verify", action="store_true", help="skip tfm1 verify after installing")
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
    from tfm1.errors import Tfm1Error
    from tfm1.setup import SetupOptions, run_setup
    from tfm1.setup.events import Events

    options = SetupOptions(
        profile=args.profile,
        name=args.name,
        prefix=args.prefix,
        lockfile=args.lockfile,
        yes=args.yes,
        dry_run=args.dry_run,
        verify=not args.no_verify,
        force=args.force,
        update=args.update,
        init_shell=args.init_shell,
        command_line=sys.argv[2:] if len(sys.argv) > 1 and sys.argv[1] == "setup" else [],
    )
    try:
        code = run_setup(options, Events(args.json))
    except Tfm1Error as error:
        if "rattler" not in sys.modules:
            raise
        from tfm1.cli import print_error

        print_error(error)
        code = int(error.exit_code)
    except KeyboardInterrupt:
        if "rattler" not in sys.modules:
            raise
        print("tfm1: interrupted", file=sys.stderr)
        code = 130
    if "rattler" in sys.modules and sys.argv[1:2] == ["setup"]:
        _exit_without_finalizing(code)
    return code


def _exit_without_finalizing(code: int) -> None:
    """End the process now, everything flushed, skipping interpreter finalization.

    rattler's Rust runtime threads can still be releasing Python objects when the interpreter finalizes,
    which aborts the process ("Fatal Python error: PyGILState_Release ... finalizing") after a successful
    run, now and then. Every file setup writes is closed (and the receipt renamed into place) before this.
    Only when run as the `tfm1 setup` command: a program calling `cli.main()` in-process keeps its interpreter.
    """
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
