"""`tfm1 lock` end to end: choose the profiles, lock them in parallel with progress on stderr, report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.errors import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from tfm1.envelope import Outcome
    from tfm1.lock.check import CheckResult
    from tfm1.lock.run import ProfileResult
    from tfm1.profiles import Profile


def _profiles(names: list[str] | None, envs: Path | None, *, check: bool) -> tuple[Path, list[Profile]]:
    """The profiles folder and the chosen profiles in it."""
    from tfm1.profiles import envs_dir, get_profile, list_profiles, writable_envs

    root = envs if check else writable_envs(envs)  # an installed tfm1's own copy is read-only to `tfm1 lock`
    folder = (root or envs_dir()).absolute()
    if names:
        return folder, [get_profile(name, root) for name in dict.fromkeys(names)]
    return folder, list_profiles(root)


def lock_command(
    names: list[str] | None, envs: Path | None, *, check: bool, pip_only: bool, linkage: bool, as_json: bool
) -> Outcome:
    """`tfm1 lock` end to end: re-lock the chosen profiles (or `check` them offline); the outcome (its result:
    `{"envs", "ok", "profiles"}`, also the envelope's own keys). With `as_json` the folder read goes to stderr."""
    from tfm1.lock.render import render_checks, render_results
    from tfm1.terminal import console

    folder, profiles = _profiles(names, envs, check=check)
    out = console(stderr=as_json, soft_wrap=True)  # long paths and diffs stay one line
    # Which envs/ was read is never left to guess: an installed tfm1 run from a checkout may read either.
    out.print(f"[dim]profiles: {folder}[/]")
    if check:
        from tfm1.lock.check import check_profile

        checks = [check_profile(profile) for profile in profiles]
        return _outcome(folder, checks, lambda: render_checks(checks, out))
    from tfm1.uv.settings import ignored_uv_settings, left_out_note

    ignored = ignored_uv_settings()
    if ignored:
        # As setup does with pip's and uv's index settings: the lock's inputs are its profile and PyPI, nothing else.
        note = left_out_note(ignored, "tfm1 lock", "a lock resolves against PyPI alone")
        console(stderr=True, soft_wrap=True).print(note, markup=False)
    results = _lock_all(profiles, console(stderr=True, soft_wrap=True), pip_only=pip_only, linkage=linkage)
    return _outcome(folder, results, lambda: render_results(results, out))


def _outcome(folder: Path, profiles: Sequence[CheckResult | ProfileResult], show: Callable[[], None]) -> Outcome:
    from tfm1.envelope import Outcome

    ok = all(profile.ok for profile in profiles)
    document = {"envs": str(folder), "ok": ok, "profiles": [profile.to_json() for profile in profiles]}
    return Outcome("lock", ExitCode.OK if ok else ExitCode.FAILED, document, fields=document, show=show)


def _lock_all(profiles: list[Profile], console: Console, *, pip_only: bool, linkage: bool) -> list[ProfileResult]:
    """Lock every profile, with progress on `console` (stderr): a live bar on a terminal, one line per step in a log."""
    from concurrent.futures import ThreadPoolExecutor
    from itertools import zip_longest

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    from tfm1.lock.run import expected_projects, lock_profile
    from tfm1.pypi.index import Index
    from tfm1.pypi.index_mirror import IndexMirror

    index = Index()  # shared by every profile, its uv runs and its linkage check: each project page is fetched once
    total = sum(3 * len(p.platforms) for p in profiles)
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress,
        IndexMirror(index) as mirror,
    ):
        task = progress.add_task("locking", total=total)
        # Round robin over the profiles: each one's own `pip:` projects come first, and are read first.
        wanted: dict[str, list[str]] = {}
        for row in zip_longest(*(expected_projects(profile).items() for profile in profiles)):
            for name, wheels in filter(None, row):
                wanted.setdefault(name, []).extend(wheels)
        mirror.prefetch(wanted)

        def one(profile: Profile) -> ProfileResult:
            done = 0

            def step(description: str) -> None:
                nonlocal done
                done += 1
                progress.update(task, description=description, advance=1)
                if progress.disable:
                    console.print(f"==> {description}")

            result = lock_profile(
                profile, pip_only=pip_only, check_linkage=linkage, index=index, resolver_url=mirror.url, step=step
            )
            # A refused or failed profile stops early: count the steps it skipped, so the bar ends full.
            progress.update(task, advance=max(3 * len(profile.platforms) - done, 0))
            return result

        # Profiles are independent and their time is spent waiting on the network and on uv: lock them in parallel
        # (the linkage checks, which can take gigabytes each, still run one at a time: see tfm1.lock.gate).
        with ThreadPoolExecutor(max_workers=len(profiles) or 1) as pool:
            results = list(pool.map(one, profiles))
    return results
