"""The human form of a verify result: a table of checks with timings, the diagnosis if any, one verdict line."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tfm1.verify.result import VerifyResult

STYLES = {"pass": "green", "fail": "bold red", "skip": "yellow"}


def render_result(result: VerifyResult, console: Console) -> None:
    table = Table(title=f"tfm1 verify: {escape(result.python)}", title_justify="left", expand=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Details", overflow="fold")
    table.add_column("Time", justify="right", no_wrap=True)
    for check in result.checks:
        seconds = f"{check.seconds:.2f} s" if check.seconds is not None else ""
        status = f"[{STYLES[check.status]}]{check.status}[/]"
        table.add_row(check.title, status, escape(check.summary), seconds)
    console.print(table)
    diagnosis = result.diagnosis
    if diagnosis is not None:
        console.print(f"[bold red]Diagnosis:[/] {escape(diagnosis.message)}")
        for finding in diagnosis.findings:
            style = "red" if finding.severity == "error" else "yellow" if finding.severity == "warning" else "dim"
            line = f"  [{style}]{finding.severity}[/] {escape(finding.code)}: {escape(finding.title)}"
            if finding.fix:
                line += f"\n      fix: {escape(finding.fix)}"
            console.print(line)
        if diagnosis.output:
            console.print("[dim]Last output of the interpreter:[/]")
            for text in diagnosis.output:
                console.print(f"  [dim]{escape(text)}[/]")
        console.print(f"[bold]Fix:[/] {escape(diagnosis.fix)}")
    for warning in result.warnings:
        console.print(f"[yellow]Warning:[/] {escape(warning)}")
    style = "bold green" if result.ok else "bold red"
    # One line whatever the terminal width: scripts and logs grep for the verdict.
    console.print(f"[{style}]{escape(result.verdict())}[/] [dim]({result.seconds:.1f} s)[/]", soft_wrap=True)
