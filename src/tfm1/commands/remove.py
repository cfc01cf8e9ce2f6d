"""`tfm1 remove`: delete an environment that tfm1 made, and nothing else."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "remove",
        help="delete an environment made by tfm1 setup",
        description="Delete an environment that carries a tfm1 receipt. Anything else (conda roots, environments "
        "made by other tools) is refused. Exit status: 0 removed, 1 refused or failed, 2 bad usage.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--name", metavar="N", help="the environment's name under a conda root")
    where.add_argument("--prefix", metavar="PATH", help="the environment's path")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tfm1.setup.events import Events
    from tfm1.setup.remove import remove

    return remove(args.name, Path(args.prefix) if args.prefix is not None else None, args.yes, Events(args.json))
