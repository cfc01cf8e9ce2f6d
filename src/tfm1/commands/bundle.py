"""`tfm1 bundle`: one file that sets up any number of Macs with no network, and its offline check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tfm1.commands.common import ProfileName, exclusive, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(short_help="pack a lock and every file its setup needs into one file, for offline Macs")(bundle)


def bundle(
    ctx: typer.Context,
    profile: ProfileName = None,
    lockfile: Annotated[
        Path | None,
        typer.Option(metavar="PATH", dir_okay=False, help="a conda-lock v1 file instead of the profile's"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", dir_okay=False, help="the bundle to write")
    ] = None,
    platform: Annotated[
        str, typer.Option(metavar="SUBDIR", help="the conda platform of the Macs it is for")
    ] = "osx-arm64",
    wheels: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            file_okay=False,
            help="tfm1's wheel and its dependencies' for the Macs, for install.sh --bundle (each sha256-pinned)",
        ),
    ] = None,
    check: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", dir_okay=False, help="check a bundle offline (hashes, completeness, platform) and exit"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per step on stdout, then the result's envelope")
    ] = False,
) -> None:
    """Download everything `tfm1 setup` needs for a lock (the pinned Miniforge installer, every conda package and
    wheel, each sha256-checked, reusing the download store) and write it into one reproducible file with a
    manifest. On each Mac: tfm1 setup --bundle FILE, with no network. --check FILE verifies a bundle offline.

    Exit status: 0 done, 1 failed (a damaged or incomplete bundle), 2 bad usage, 130 interrupted.
    """
    exclusive(ctx, check=check, output=output)
    exclusive(ctx, check=check, profile=profile)
    exclusive(ctx, check=check, lockfile=lockfile)
    exclusive(ctx, check=check, wheels=wheels)
    exclusive(ctx, profile=profile, lockfile=lockfile)
    if check is None and output is None:
        ctx.fail("give -o FILE to write a bundle, or --check FILE to check one")

    def run() -> Outcome:
        from tfm1.setup.events import events_for

        events = events_for(as_json)
        if check is not None:
            from tfm1.bundle.offline_check import check_bundle

            return check_bundle(check, events)
        from tfm1.bundle.build import BundleRequest, build_bundle

        assert output is not None
        return build_bundle(BundleRequest(output, profile, lockfile, platform, wheels), events)

    def human(result: Any) -> None:
        from tfm1.bundle.build import BundleResult, show_bundle
        from tfm1.bundle.offline_check import show_check

        show_bundle(result) if isinstance(result, BundleResult) else show_check(result)

    run_command("bundle", run, as_json=as_json, human=human)
