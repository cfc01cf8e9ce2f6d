"""The human-readable doctor report (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from tfm1.doctor.report import Report

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MARK = {"error": "✗", "warning": "!", "info": "i"}


def _summary(facts: dict[str, Any]) -> list[str]:
    machine = facts["machine"]
    lines = []
    if machine["system"] == "Darwin":
        hardware = {True: "Apple silicon", False: "Intel"}.get(machine["apple_silicon"], "unknown hardware")
        chip = f" ({machine['chip']})" if machine["chip"] else ""
        process = "translated by Rosetta" if machine["translated"] else "native"
        lines.append(f"Mac: {hardware}{chip}, macOS {machine['macos'] or '?'}, this process {process}")
    else:
        lines.append(f"Host: {machine['system']} {machine['process_arch']}")
    python = facts["python"]
    if python and python["exists"]:
        archs = "+".join(python["archs"]) or "not a Mach-O"
        lines.append(
            f"Python: {python['path']} ({python['kind']}, {python['version'] or 'version ?'}, {archs}; "
            f"from {python['source']})"
        )
        dists = python["distributions"]
        wanted = ["tensorflow", "tensorflow-macos", "tensorflow-metal", "numpy", "keras"]
        installed = [f"{n} {dists[n]['version']}" for n in wanted if n in dists]
        lines.append("Installed: " + (", ".join(installed) if installed else "no TensorFlow packages"))
    for root in facts["conda_roots"]:
        envs = len(root["envs"])
        lines.append(f"Conda: {root['prefix']} ({root['subdir'] or '?'}, {envs} env{'s' * (envs != 1)})")
    return lines


def render_report(report: Report, console: Console) -> None:
    for line in _summary(report.facts):
        console.print(escape(line), style="dim")
    console.print()
    if not report.findings:
        console.print("[green]✓ No problems found.[/]")
    for finding in report.findings:
        style = STYLE[finding.severity]
        console.print(
            f"[{style}]{MARK[finding.severity]} {finding.severity}[/] [bold]{finding.code}[/]: {escape(finding.title)}"
        )
        if finding.detail:
            console.print(f"    {escape(finding.detail)}", style="dim")
        for key, value in finding.evidence.items():
            if value not in (None, "", []):
                console.print(f"    {escape(str(key))}: {escape(str(value))}", style="dim")
        # Commands are copied and pasted: never wrap them.
        for line in finding.fix:
            console.print(
                f"    [green]$[/] {escape(line)}" if not line.startswith("#") else f"    {escape(line)}",
                soft_wrap=True,
            )
        console.print()
    console.print(f"[bold]Next step:[/] {escape(report.next_step())}", soft_wrap=True)
