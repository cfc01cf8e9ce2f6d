"""`tfm1 profiles`: the known-good environments tfm1 can set up, with their locked versions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from tfm1.errors import ExitCode

if TYPE_CHECKING:
    from tfm1.profiles import Profile


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "profiles",
        help="list the environments tfm1 can set up (TensorFlow, tensorflow-metal, Python, platforms)",
        description="List the profiles in envs/: what each is for, its Python, its TensorFlow and "
        "tensorflow-metal versions (as locked) and the platforms it is locked for.",
    )
    parser.add_argument(
        "--envs",
        metavar="DIR",
        help="the profiles folder (default: envs/ of the source checkout tfm1 runs from, else the copy inside the "
        "installed package)",
    )
    parser.add_argument("--json", action="store_true", help="print the profiles as JSON")


def _row(profile: Profile) -> dict[str, Any]:
    """A profile with the versions its lock holds (those tfm1 setup installs), or its pins when unlocked."""
    from tfm1.errors import Tfm1Error
    from tfm1.lockfile import read_lockfile

    row = profile.to_json()
    locked: dict[str, dict[str, str]] = {}
    if profile.lockfile.is_file():
        try:
            lock = read_lockfile(profile.lockfile)
            locked = {platform: lock.versions(platform) for platform in profile.platforms}
        except Tfm1Error:
            locked = {}
    versions = next(iter(locked.values()), profile.pins)
    row["locked"] = bool(locked)
    row["python_locked"] = versions.get("python", "")
    # tensorflow-macos up to 2.15.0 is TensorFlow itself; 2.16 is a shim beside `tensorflow`.
    row["tensorflow_package"] = next((n for n in ("tensorflow", "tensorflow-macos") if n in versions), "")
    row["tensorflow"] = versions.get(row["tensorflow_package"], "")
    row["tensorflow_macos"] = versions.get("tensorflow-macos", "")
    row["tensorflow_metal"] = versions.get("tensorflow-metal", "")
    return row


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tfm1.profiles import list_profiles

    rows = [_row(profile) for profile in list_profiles(Path(args.envs) if args.envs else None)]
    if args.json:
        json.dump({"profiles": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title="tfm1 profiles (install one with `tfm1 setup --profile NAME`)", title_justify="left")
    for column in ("profile", "TensorFlow", "tensorflow-metal", "Python", "platforms", "for"):
        table.add_column(column, overflow="fold")
    for row in rows:
        tensorflow = row["tensorflow"]
        if row["tensorflow_package"] == "tensorflow-macos":
            tensorflow += " (tensorflow-macos)"
        elif row["tensorflow_macos"]:
            tensorflow += f" (via tensorflow-macos {row['tensorflow_macos']})"
        table.add_row(
            row["name"] + (" (default)" if row["default"] else ""),
            tensorflow or "-",
            row["tensorflow_metal"] or "- (CPU only)",
            row["python_locked"] or row["python"],
            ", ".join(row["platforms"]),
            row["description"],
        )
    Console(highlight=False).print(table)
    return ExitCode.OK
