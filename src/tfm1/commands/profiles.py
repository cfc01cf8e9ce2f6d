"""`tfm1 profiles`: the known-good environments tfm1 can set up, with their locked versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tfm1.commands.common import EnvsFolder, JsonFlag, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(short_help="list the environments tfm1 can set up (TensorFlow, tensorflow-metal, Python, platforms)")(
        profiles
    )


def profiles(envs: EnvsFolder = None, as_json: JsonFlag = False) -> None:
    """List the profiles in envs/: what each is for, its Python, its TensorFlow and tensorflow-metal versions (as
    locked) and the platforms it is locked for."""

    def show() -> Outcome:
        from tfm1.profiles_render import show_profiles

        return show_profiles(envs)

    run_command("profiles", show, as_json=as_json)
