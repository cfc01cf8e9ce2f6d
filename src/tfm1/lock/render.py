"""`tfm1 lock` for people: what each profile's lock became, or what `--check` found wrong with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from tfm1.lock.check import CheckResult
    from tfm1.lock.run import ProfileResult


def render_results(results: list[ProfileResult], console: Console) -> None:
    """What `tfm1 lock` did to each profile: created, updated, unchanged, refused (with the findings) or failed."""
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


def render_checks(checks: list[CheckResult], console: Console) -> None:
    """`tfm1 lock --check` for people: each lock ok or what is wrong with it, with the diff of a stale one."""
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
