"""`tfm1 remove`: delete an environment that tfm1 made, and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tfm1.commands.common import EnvName, EnvPrefix, JsonFlag, Yes, exclusive, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(short_help="delete an environment made by tfm1 setup")(remove)


def remove(
    ctx: typer.Context, name: EnvName = None, prefix: EnvPrefix = None, yes: Yes = False, as_json: JsonFlag = False
) -> None:
    """Delete an environment that carries a tfm1 receipt. Anything else (conda roots, environments made by other
    tools) is refused.

    Exit status: 0 removed, 1 refused or failed, 2 bad usage, or no environment by that name or path.
    """
    exclusive(ctx, name=name, prefix=prefix)
    if name is None and prefix is None:
        ctx.fail("give the environment to remove: --name N or --prefix PATH")

    def delete() -> Outcome:
        from tfm1.setup.events import events_for
        from tfm1.setup.remove import remove

        return remove(name, prefix, yes, events_for(as_json))

    run_command("remove", delete, as_json=as_json)
