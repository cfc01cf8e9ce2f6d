"""`tfm1 setup`: from a lockfile to a complete, verified TensorFlow environment, or to nothing at all."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tfm1.commands.common import EnvPrefix, ProfileName, Yes, complete_env_names, exclusive, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(short_help="create a locked TensorFlow environment (installs Miniforge if needed)")(setup)


def setup(
    ctx: typer.Context,
    profile: ProfileName = None,
    name: Annotated[
        str | None,
        typer.Option(
            metavar="N", help="environment name under the conda root (default: tfm1)", autocompletion=complete_env_names
        ),
    ] = None,
    prefix: EnvPrefix = None,
    lockfile: Annotated[
        Path | None,
        typer.Option(metavar="PATH", dir_okay=False, help="a conda-lock v1 file instead of the profile's"),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            dir_okay=False,
            help="install from a file tfm1 bundle made, with no network: its lock and every file, each checked",
        ),
    ] = None,
    yes: Yes = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan and change nothing")] = False,
    no_verify: Annotated[bool, typer.Option("--no-verify", help="skip tfm1 verify after installing")] = False,
    no_kernel: Annotated[
        bool,
        typer.Option("--no-kernel", help="do not register the environment as a Jupyter kernel (tfm1-<name>)"),
    ] = False,
    update: Annotated[
        bool, typer.Option("--update", help="rebuild an environment made by tfm1 from a different lockfile")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="replace an existing prefix that tfm1 did not make, rebuild an up-to-date one, and go on despite "
            "an x86_64 interpreter (never despite Rosetta, an old macOS or an Intel Mac for Metal)",
        ),
    ] = False,
    init_shell: Annotated[
        bool, typer.Option("--init-shell", help="run `conda init` for your shell afterwards")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per step on stdout, then the result's envelope")
    ] = False,
) -> None:
    """Check the machine, install Miniforge arm64 if no native conda exists, create the environment from the
    profile's lockfile (conda packages with py-rattler, wheels with uv; every file hash-checked), write a receipt,
    register it as the Jupyter kernel tfm1-<name> and run tfm1 verify through it. Any failure or Ctrl-C removes
    what the run created.

    Exit status: 0 done (or already up to date), 1 failed, 2 bad usage or an unusable lockfile, 130 interrupted.
    """
    exclusive(ctx, name=name, prefix=prefix)
    exclusive(ctx, bundle=bundle, lockfile=lockfile)
    exclusive(ctx, bundle=bundle, profile=profile)

    def install() -> Outcome:
        from tfm1.setup import SetupOptions, run_setup
        from tfm1.setup.events import events_for

        options = SetupOptions(
            profile=profile,
            name=name,
            prefix=prefix,
            lockfile=lockfile,
            bundle=bundle,
            yes=yes,
            dry_run=dry_run,
            verify=not no_verify,
            force=force,
            update=update,
            init_shell=init_shell,
            kernel=not no_kernel,
            command_line=tuple(sys.argv[2:]) if sys.argv[1:2] == ["setup"] else (),
        )
        return run_setup(options, events_for(as_json))

    from tfm1.setup.result import show_setup

    run_command("setup", install, as_json=as_json, human=show_setup)
