"""`tfm1 matrix`: which TensorFlow loads with which tensorflow-metal, from the data or proven from the binaries."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from tfm1.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from tfm1.linkage.result import PairResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "matrix",
        help="which TensorFlow works with which tensorflow-metal (--verify: proven from the wheels)",
        description="Print which TensorFlow releases load with which tensorflow-metal releases on macOS arm64. "
        "Without --verify the grid comes from tfm1's compatibility data; with --verify each pair is checked from "
        "the binaries: the plugin's imports against TensorFlow's exports, read from the wheels on PyPI with range "
        "requests (no install, no Mac needed). Exit status: 0 the grid was made, 1 a wheel could not be read, "
        "2 bad usage.",
    )
    parser.add_argument("--verify", action="store_true", help="check every pair from the wheels' binaries")
    parser.add_argument(
        "--tf", metavar="V1,V2", help="TensorFlow versions (default: the newest patch of each release from 2.15 on)"
    )
    parser.add_argument("--metal", metavar="V1,V2", help="tensorflow-metal versions (default: 1.0.1,1.1.0,1.2.0)")
    parser.add_argument("--python", default="3.11", metavar="X.Y", help="the Python whose wheels to read (3.11)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of pairs")


def _versions(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    from packaging.version import InvalidVersion, Version

    versions = [v.strip() for v in text.split(",") if v.strip()]
    for version in versions:
        try:
            Version(version)
        except InvalidVersion:
            raise UsageError(f"{option} {text}: {version!r} is not a version", f"e.g. {option} 2.18.1,2.19.1") from None
    if not versions:
        raise UsageError(f"{option}: no versions given", f"e.g. {option} 2.18.1,2.19.1")
    return versions


def run(args: argparse.Namespace) -> int:
    from tfm1.linkage.arm64_wheels import python_tag
    from tfm1.linkage.grid import DEFAULT_METAL, DEFAULT_TENSORFLOW

    tensorflow = _versions(args.tf, "--tf")
    metal = _versions(args.metal, "--metal") or list(DEFAULT_METAL)
    python_tag(args.python)  # a bad --python is a usage error before any network access
    if not args.verify:
        return _from_data(tensorflow or list(DEFAULT_TENSORFLOW), metal, args.json)
    return _verify(tensorflow, metal, args.python, args.json)


def _from_data(tensorflow: list[str], metal: list[str], as_json: bool) -> int:
    from tfm1.compat import load

    compat = load()
    rows = []
    for tf in tensorflow:
        for m in metal:
            verdict = compat.pair(tf, m)
            rows.append({"tensorflow": tf, "tensorflow_metal": m, "status": verdict.status, "reason": verdict.reason})
    if as_json:
        _dump(rows)
        return ExitCode.OK
    from rich.console import Console
    from rich.table import Table

    styles = {"works": "green", "degraded": "yellow", "broken": "red", "unverified": "dim"}
    table = Table(title="tensorflow-metal × TensorFlow (macOS arm64), from tfm1's compatibility data")
    table.add_column("TensorFlow")
    for m in metal:
        table.add_column(f"metal {m}")
    for tf in tensorflow:
        cells = [r for r in rows if r["tensorflow"] == tf]
        table.add_row(tf, *(f"[{styles[str(r['status'])]}]{r['status']}[/]" for r in cells))
    console = Console(highlight=False)
    console.print(table)
    console.print("Prove it from the binaries: tfm1 matrix --verify")
    return ExitCode.OK


def _verify(tensorflow: list[str] | None, metal: list[str], python: str, as_json: bool) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from tfm1.compat import load
    from tfm1.linkage.grid import default_tensorflow
    from tfm1.linkage.pairs import LinkageSession

    stderr = Console(stderr=True, highlight=False)
    results: list[PairResult] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as progress:
        overall = progress.add_task("pairs", total=None)
        step = progress.add_task("", total=None)

        def report(what: str, done: int, total: int) -> None:
            progress.update(step, description=f"  {what}", completed=done, total=total or None)

        with LinkageSession(progress=report) as session:
            tensorflow = tensorflow or default_tensorflow(session.index)
            pairs = [(tf, m) for tf in tensorflow for m in metal]
            progress.update(overall, total=len(pairs))
            for number, (tf, m) in enumerate(pairs, 1):
                progress.update(overall, description=f"TensorFlow {tf} × tensorflow-metal {m} ({number}/{len(pairs)})")
                results.append(session.check_pair(tf, m, python))
                progress.advance(overall)
    compat = load()
    if as_json:
        _dump([_with_data(r.to_json(), compat.pair(r.tensorflow, r.tensorflow_metal).status) for r in results])
        return ExitCode.OK
    _render(Console(highlight=False), results, tensorflow, metal, python)
    return ExitCode.OK


def _with_data(row: dict[str, Any], status: str) -> dict[str, Any]:
    row["data_status"] = status
    return row


def _render(console: Console, results: list[PairResult], tensorflow: list[str], metal: list[str], python: str) -> None:
    from rich.table import Table

    from tfm1.compat import load

    compat = load()
    table = Table(title=f"tensorflow-metal × TensorFlow, proven from the macOS arm64 wheels (Python {python})")
    table.add_column("TensorFlow")
    for m in metal:
        table.add_column(f"metal {m}")
    by_pair = {(r.tensorflow, r.tensorflow_metal): r for r in results}
    disagreements = []
    for tf in tensorflow:
        cells = []
        for m in metal:
            result = by_pair[(tf, m)]
            status = compat.pair(tf, m).status
            cell = "[green]loads[/]" if result.loads else "[red]does not load[/]"
            if (status in ("works", "degraded")) != result.loads and status != "unverified":
                cell += " [yellow](data: " + status + ")[/]"
                disagreements.append(result)
            cells.append(cell)
        table.add_row(tf, *cells)
    console.print(table)
    for result in results:
        if not result.loads:
            first = result.missing[0] if result.missing else "?"
            kind = "Library not loaded" if result.missing_libraries else "Symbol not found"
            more = f" (+{len(result.missing) - 1} more)" if len(result.missing) > 1 else ""
            console.print(f"{result.tensorflow} + metal {result.tensorflow_metal}: {kind}: {first}{more}")
    for note in sorted({n for r in results for n in r.notes if "no wheel for Python" in n}):
        console.print(f"[dim]note: {note}[/]")
    if disagreements:
        console.print(f"[yellow]{len(disagreements)} pair(s) disagree with tfm1's compatibility data.[/]")
    console.print("[dim]Details per pair: tfm1 matrix --verify --json[/]")


def _dump(rows: list[dict[str, Any]]) -> None:
    json.dump(rows, sys.stdout, indent=2)
    sys.stdout.write("\n")
