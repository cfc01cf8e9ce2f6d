"""`tfm1 compat`: keep the compatibility data current from the releases on PyPI (update), record the Apple-silicon
workflow's pass (confirm), and write the table people read (page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tfm1.commands.common import JsonFlag, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome

MAX_PAIRS = 64  # a new tensorflow-metal or TensorFlow minor brings about 20 pairs


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="compat",
        no_args_is_help=True,
        rich_markup_mode=None,
        help="Keep tfm1's compatibility data current: find new releases on PyPI, prove their pairs from the binaries.",
        short_help="find new TensorFlow / tensorflow-metal releases and prove their pairs (update, confirm, page)",
    )
    group.command(short_help="find what the data does not cover on PyPI, prove it, write it")(update)
    group.command(short_help="record that the Apple-silicon workflow passed with a profile's pair")(confirm)
    group.command(short_help="write docs/compatibility.md from the data (--check: is it current?)")(page)
    app.add_typer(group)


def update(
    index_url: Annotated[
        str | None,
        typer.Option("--index-url", metavar="URL", help="the simple index to read (default: PyPI's)"),
    ] = None,
    max_pairs: Annotated[
        int,
        typer.Option(
            "--max-pairs",
            metavar="N",
            min=0,
            help="prove at most N pairs this run, newest TensorFlow first; the rest are listed and left for the next",
        ),
    ] = MAX_PAIRS,
    no_bump: Annotated[
        bool, typer.Option("--no-bump", help="do not propose the default profile's bump to a newer pair")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """List the TensorFlow, tensorflow-macos and tensorflow-metal releases on the index, find every pair (and new
    release or Python tag) tfm1's data does not cover, prove each pair from the wheels' binaries, one at a time,
    and write the rows with their evidence into src/tfm1/compat_found.py and docs/compatibility.md of this
    checkout. When a newer pair loads, the default profile (envs/metal) is bumped to it and locked. Nothing new:
    nothing is written.

    Exit status: 0 written or nothing new, 1 a wheel or the index could not be read or the bump failed, 2 bad
    usage (or tfm1 not run from a checkout).
    """

    def work() -> Outcome:
        from tfm1.compat_update.command import update_command

        return update_command(index_url, max_pairs, bump=not no_bump)

    run_command("compat update", work, as_json=as_json)


def confirm(
    run_url: Annotated[str, typer.Option("--run", metavar="URL", help="the Apple-silicon workflow run that passed")],
    commit: Annotated[str, typer.Option("--commit", metavar="SHA", help="the commit that run tested")],
    profile: Annotated[
        str | None, typer.Option("--profile", metavar="P", help="the profile whose pair it set up (default: metal)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Record that the Apple-silicon workflow passed with the profile's TensorFlow / tensorflow-metal pair: its
    evidence moves from the binaries to that run. A pair a report decides is left alone.

    Exit status: 0 recorded or nothing to record, 1 the pair was never proven, 2 bad usage.
    """

    def work() -> Outcome:
        from tfm1.compat_update.command import confirm_command

        return confirm_command(profile, run_url, commit)

    run_command("compat confirm", work, as_json=as_json)


def page(
    check: Annotated[bool, typer.Option("--check", help="do not write: fail when the page is not current")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Write docs/compatibility.md, the TensorFlow × tensorflow-metal table with each cell's evidence, from the data.

    Exit status: 0 written or current, 1 (--check) not current, 2 bad usage.
    """

    def work() -> Outcome:
        from tfm1.compat_update.command import page_command

        return page_command(check)

    run_command("compat page", work, as_json=as_json)
