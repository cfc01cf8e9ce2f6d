"""`tfm1 verify` (being built)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    subparsers.add_parser("verify", help="(being built)")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError
