"""`tfm1 lock`: regenerate the profiles' hash-locked conda-lock.yml files, or check them offline (--check)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tfm1.commands.common import EnvsFolder, JsonFlag, ProfileNames, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


def register(app: typer.Typer) -> None:
    app.command(
        short_help="regenerate the profiles' lockfiles, refusing known-broken pairs (--check: verify them offline)"
    )(lock)


def lock(
    profile: ProfileNames = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="do not resolve: check that every lock parses, matches its environment.yml and passes the gate "
            "(no network needed)",
        ),
    ] = False,
    pip_only: Annotated[
        bool,
        typer.Option(
            "--pip-only",
            help="keep the locked conda layer and re-lock only the pip layer (where the conda channels cannot be "
            "reached)",
        ),
    ] = False,
    envs: EnvsFolder = None,
    no_linkage: Annotated[
        bool,
        typer.Option(
            "--no-linkage",
            help="skip the binary check of the TensorFlow / tensorflow-metal pair (it reads parts of both wheels "
            "from PyPI; without this option a check that cannot run refuses the lock)",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Resolve each profile's environment.yml into envs/<profile>/conda-lock.yml: the conda layer (Python + pip)
    with py-rattler, the pip layer with uv, one wheel per package with its sha256 from PyPI. A lock with a
    known-broken TensorFlow / tensorflow-metal pair is refused. The profiles folder is printed first; the copy
    inside an installed tfm1 may only be checked: to lock, pass a copy of it.

    Exit status: 0 all locks written or current, 1 a lock refused, failed or (with --check) stale or broken,
    2 bad usage.
    """

    def relock() -> Outcome:
        from tfm1.lock.command import lock_command

        return lock_command(profile, envs, check=check, pip_only=pip_only, linkage=not no_linkage, as_json=as_json)

    run_command("lock", relock, as_json=as_json)
