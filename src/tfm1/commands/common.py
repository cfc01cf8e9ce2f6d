"""What every command shares, and the only place for it: option types, the mutual-exclusion check, errors.

A command module holds its option signature and the call into its domain package; everything the commands
have in common is here, so a new option is one `Annotated` line and a new command one function.
Importing this module must stay cheap (typer only): `tfm1 doctor` starts through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from tfm1.errors import ExitCode, Tfm1Error

if TYPE_CHECKING:
    from tfm1.envelope import Outcome

# --- shared option types -------------------------------------------------------------------------------------


def complete_env_names(incomplete: str) -> Iterator[str]:
    """`--name` candidates: the conda environments doctor can see (every arm64 or x86 root's envs)."""
    from tfm1.host import live_host
    from tfm1.inspect.conda import find_conda_roots

    seen = set()
    for root in find_conda_roots(live_host()):
        for env in root.envs:
            name = Path(env.prefix).name
            if name.startswith(incomplete) and name not in seen:
                seen.add(name)
                yield name


def complete_profiles(incomplete: str) -> Iterator[str]:
    """`--profile` candidates: the profiles in the envs/ folder tfm1 would read."""
    from tfm1.profiles import profile_names

    try:
        names = profile_names(None)
    except Tfm1Error:
        return
    yield from (name for name in names if name.startswith(incomplete))


Yes = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print the result as JSON on stdout")]
EnvName = Annotated[
    str | None,
    typer.Option("--name", metavar="N", help="the conda environment named N", autocompletion=complete_env_names),
]
EnvPrefix = Annotated[Path | None, typer.Option("--prefix", metavar="PATH", help="the environment at PATH")]
ProfileName = Annotated[
    str | None,
    typer.Option(
        "--profile", metavar="P", help="the profile to install (default: metal)", autocompletion=complete_profiles
    ),
]
ProfileNames = Annotated[
    list[str] | None,
    typer.Option(
        "--profile",
        metavar="P",
        help="only this profile (repeatable; default: every profile)",
        autocompletion=complete_profiles,
    ),
]
EnvsFolder = Annotated[
    Path | None,
    typer.Option(
        "--envs",
        metavar="DIR",
        file_okay=False,
        help="the profiles folder (default: ./envs when it holds profiles, else envs/ of the checkout tfm1 runs "
        "from, else the copy inside the installed package)",
    ),
]


def exclusive(ctx: typer.Context, **given: object) -> None:
    """Fail as a usage error (exit 2, with the command's usage) when more than one of these options is given.

    Keys are option names without the dashes (`save_snapshot` for `--save-snapshot`).
    """
    used = ["--" + name.replace("_", "-") for name, value in given.items() if value not in (None, False)]
    if len(used) > 1:
        ctx.fail(f"{used[0]} and {used[1]} cannot be used together: give one of them")


# --- errors --------------------------------------------------------------------------------------------------


def run_command(
    command: str, call: Callable[[], Outcome], *, as_json: bool, human: Callable[[Any], None] | None = None
) -> NoReturn:
    """Run a command's domain call and print its `Outcome` (`envelope.emit`): for people with `human`, or as the
    JSON envelope; a Tfm1Error, an OSError or Ctrl-C becomes a failed outcome with its exit code. Raises typer.Exit."""
    from tfm1.envelope import emit, failed, file_system_error

    try:
        outcome = call()
    except Tfm1Error as error:
        outcome = failed(command, error)
    except BrokenPipeError:
        raise  # the reader went away: cli.main ends quietly
    except OSError as error:
        outcome = failed(command, file_system_error(error))
    except KeyboardInterrupt:
        outcome = failed(command, Tfm1Error("interrupted", f"run tfm1 {command} again", ExitCode.INTERRUPTED))
    raise typer.Exit(emit(outcome, as_json=as_json, human=human))
