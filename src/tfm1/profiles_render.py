"""`tfm1 profiles` as data and for people: each profile with the versions its lock holds, in 80 columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfm1.compat_data import TENSORFLOW_FAMILY

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from tfm1.envelope import Outcome
    from tfm1.profiles import Profile


def show_profiles(envs: Path | None) -> Outcome:
    """`tfm1 profiles`: the profiles in `envs` (default: the folder tfm1 reads); the outcome (its result:
    `{"envs", "profiles"}`, also the envelope's own keys), for people a table."""
    from tfm1.envelope import Outcome
    from tfm1.errors import ExitCode
    from tfm1.profiles import envs_dir, list_profiles
    from tfm1.terminal import console

    rows = [profile_row(profile) for profile in list_profiles(envs)]
    folder = (envs or envs_dir()).absolute()
    document = {"envs": str(folder), "profiles": rows}

    def show() -> None:
        render_profiles(rows, folder, console())

    return Outcome("profiles", ExitCode.OK, document, fields=document, show=show)


def profile_row(profile: Profile) -> dict[str, Any]:
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
    row["tensorflow_package"] = next((n for n in TENSORFLOW_FAMILY if n in versions), "")
    row["tensorflow"] = versions.get(row["tensorflow_package"], "")
    row["tensorflow_macos"] = versions.get("tensorflow-macos", "")
    row["tensorflow_metal"] = versions.get("tensorflow-metal", "")
    return row


def render_profiles(rows: list[dict[str, Any]], folder: Path, console: Console) -> None:
    """A table narrow enough for 80 columns (the descriptions follow it, one paragraph per profile), headed by
    the folder the profiles were read from."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    # The folder has a line of its own, never broken (soft_wrap), so it can be copied whole however long it is;
    # every other line fits in 80 columns.
    console.print(f"Profiles in {escape(str(folder))}", soft_wrap=True)
    console.print("Install one with `tfm1 setup --profile NAME`:")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("profile", no_wrap=True)
    table.add_column("TensorFlow", no_wrap=True)
    table.add_column("metal", no_wrap=True)
    table.add_column("Python", no_wrap=True)
    table.add_column("platforms", min_width=len("osx-arm64,"))
    for row in rows:
        tensorflow = row["tensorflow"]
        # Short enough for 80 columns: each profile's paragraph below names the packages in full.
        if row["tensorflow_package"] == "tensorflow-macos":
            tensorflow += " (macos)"
        elif row["tensorflow_macos"]:
            tensorflow += " (macos shim)"
        table.add_row(
            row["name"] + (" (default)" if row["default"] else ""),
            escape(tensorflow) or "-",
            row["tensorflow_metal"] or "- (CPU only)",
            row["python_locked"] or row["python"],
            ", ".join(row["platforms"]),
        )
    console.print(table)
    for row in rows:
        console.print(f"[bold]{escape(row['name'])}[/]: {escape(row['description'])}")
