"""`tfm1 lock`: regenerate the profiles' hash-locked conda-lock.yml files, or check them offline (--check)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from tfm1.errors import ExitCode

if TYPE_CHECKING:
    from rich.console import Console

    from tfm1.lock.check import CheckResult
    from tfm1.lock.run import ProfileResult
    from tfm1.profiles import Profile


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "lock",
        help="regenerate the profiles' lockfiles, refusing known-broken pairs (--check: verify them offline)",
        description="Resolve each profile's environment.yml into envs/<profile>/conda-lock.yml: the conda layer "
        "(Python + pip) with py-rattler, the pip layer with uv, one wheel per package with its sha256 from PyPI. "
        "A lock with a known-broken TensorFlow / tensorflow-metal pair is refused. Exit status: 0 all locks written "
        "or current, 1 a lock refused, failed or (with --check) stale or broken, 2 bad usage.",
    )
    parser.add_argument(
        "--profile",
        action="append",
        metavar="P",
        help="lock only this profile (repeatable; default: every profile)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not resolve: check that every lock parses, matches its environment.yml and passes the gate "
        "(no network needed)",
    )
    parser.add_argument(
        "--pip-only",
        action="store_true",
        help="keep the locked conda layer and re-lock only the pip layer (where the conda channels cannot be reached)",
    )
    parser.add_argument(
        "--envs",
        metavar="DIR",
        help="the profiles folder (default: envs/ of the source checkout tfm1 runs from; an installed tfm1 reads "
        "the copy inside its package, which only --check may use: to lock, pass a copy of it)",
    )
    parser.add_argument(
        "--no-linkage",
        action="store_true",
        help="skip the binary check of the TensorFlow / tensorflow-metal pair (it reads parts of both wheels from "
        "PyPI; without this option a check that cannot run refuses the lock)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary of what changed on stdout")


def _profiles(args: argparse.Namespace) -> list[Profile]:
    from pathlib import Path

    from tfm1.profiles import get_profile, list_profiles, writable_envs

    root = Path(args.envs) if args.envs else None
    if not args.check:
        root = writable_envs(root)  # an installed tfm1's own copy is read-only to `tfm1 lock`
    if args.profile:
        return [get_profile(name, root) for name in dict.fromkeys(args.profile)]
    return list_profiles(root)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    profiles = _profiles(args)
    console = Console(stderr=args.json, highlight=False, soft_wrap=True)  # long paths and diffs stay one line
    if args.check:
        from tfm1.lock.check import check_profile

        checks = [check_profile(profile) for profile in profiles]
        if args.json:
            _print_json({"ok": all(c.ok for c in checks), "profiles": [c.to_json() for c in checks]})
        else:
            _render_checks(checks, console)
        return ExitCode.OK if all(c.ok for c in checks) else ExitCode.FAILED
    results = _lock_all(profiles, args, Console(stderr=True, highlight=False, soft_wrap=True))
    if args.json:
        _print_json({"ok": all(r.ok for r in results), "profiles": [r.to_json() for r in results]})
    else:
        _render_results(results, console)
    return ExitCode.OK if all(r.ok for r in results) else ExitCode.FAILED


def _lock_all(profiles: list[Profile], args: argparse.Namespace, console: Console) -> list[ProfileResult]:
    """Lock every profile, with progress on `console` (stderr): a live bar on a terminal, one line per step in a log."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    from tfm1.lock.run import lock_profile
    from tfm1.pypi.index import Index

    index = Index()  # shared by every profile and its linkage check: each project page is fetched once
    total = sum(3 * len(p.platforms) for p in profiles)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("locking", total=total)

        def one(profile: Profile) -> ProfileResult:
            done = 0

            def step(description: str) -> None:
                nonlocal done
                done += 1
                progress.update(task, description=description, advance=1)
                if progress.disable:
                    console.print(f"==> {description}")

            result = lock_profile(
                profile, pip_only=args.pip_only, check_linkage=not args.no_linkage, index=index, step=step
            )
            # A refused or failed profile stops early: count the steps it skipped, so the bar ends full.
            progress.update(task, advance=max(3 * len(profile.platforms) - done, 0))
            return result

        # Profiles are independent and their time is spent waiting on the network and on uv: lock them in parallel
        # (the linkage checks, which can take gigabytes each, still run one at a time: see tfm1.lock.gate).
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(one, profiles))
    return results


def _print_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _render_results(results: list[ProfileResult], console: Console) -> None:
    from rich.markup import escape

    styles = {"created": "green", "updated": "green", "unchanged": "dim", "refused": "red", "failed": "red"}
    for result in results:
        pythons = ", ".join(f"{platform} Python {python}" for platform, python in result.pythons.items())
        console.print(
            f"[bold]{result.profile.name}[/]: [{styles[result.status]}]{result.status}[/]"
            + (f" ({escape(pythons)})" if pythons else "")
        )
        for finding in result.findings:
            style = "red" if finding.severity == "error" else "yellow"
            console.print(f"  [{style}]{finding.severity}[/]: {escape(str(finding))}")
        if result.error:
            console.print(f"  [red]error[/]: {escape(result.error)}")
        for platform, changes in result.changes.items():
            for line in changes.lines():
                console.print(f"  {platform} {escape(line)}")
    refused = [r.profile.name for r in results if not r.ok]
    if refused:
        console.print(f"[red]not written:[/] {', '.join(refused)}")


def _render_checks(checks: list[CheckResult], console: Console) -> None:
    from rich.markup import escape

    for check in checks:
        state = "[green]ok[/]" if check.ok else "[red]FAILED[/]"
        console.print(f"[bold]{check.profile.name}[/]: {state} ({escape(str(check.profile.lockfile))})")
        for problem in check.problems:
            console.print(f"  [red]error[/]: {escape(problem)}")
        for finding in check.findings:
            style = "red" if finding.severity == "error" else "yellow"
            console.print(f"  [{style}]{finding.severity}[/]: {escape(str(finding))}")
        if check.diff:
            console.print("  environment.yml changed since the lock was made (- locked, + now):")
            for line in check.diff.splitlines():
                style = "red" if line.startswith("-") else "green" if line.startswith("+") else "dim"
                console.print(f"    [{style}]{escape(line)}[/]")
    if not all(c.ok for c in checks):
        console.print("Fix: run `tfm1 lock` for the failed profiles (or fix environment.yml) and commit the locks.")
