"""`tfm1 doctor`: name the root cause of a broken TensorFlow setup from files and sysctl values alone."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="diagnose this Mac's TensorFlow setup without importing TensorFlow",
        description="Read the machine (sysctl, Mach-O headers, conda and Homebrew prefixes, installed wheels) "
        "without importing TensorFlow, and name the root cause and the fix.",
    )
    parser.add_argument("--python", metavar="PATH", help="the interpreter whose environment to check")
    parser.add_argument("--snapshot", metavar="FILE", help="diagnose from a saved snapshot instead of this machine")
    parser.add_argument("--save-snapshot", metavar="FILE", help="also write what doctor read to FILE")
    parser.add_argument("--json", action="store_true", help="print findings and facts as JSON")


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError
