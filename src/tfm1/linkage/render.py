"""`tfm1 matrix` for people: the TensorFlow × tensorflow-metal grid, with a legend and the reasons behind it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from tfm1.linkage.result import PairResult

STATUS_STYLES = {"works": "green", "degraded": "yellow", "broken": "red", "unverified": "dim"}
# What decided a verdict (tfm1.compat.Evidence): a report wins over the Mac job, which wins over the binaries.
MARKS = {"report": "R", "mac-job": "M", "binaries": "B"}
EVIDENCE = {
    "report": "a report cited in tfm1's data",
    "mac-job": "the Apple-silicon workflow",
    "binaries": "the wheels' binaries, which prove it loads, not that it runs",
}
LEGEND = {
    "works": "known to load and run correctly",
    "degraded": "loads, with a known problem",
    "broken": "does not load, or gives wrong results",
    "unverified": "not in tfm1's data either way",
}


def render_data_grid(rows: list[dict[str, Any]], tensorflow: list[str], metal: list[str], console: Console) -> None:
    """The grid from the compatibility data, its legend, and the reason for every pair that does not simply work."""
    from rich.markup import escape
    from rich.table import Table

    console.print("tensorflow-metal × TensorFlow (macOS arm64), from tfm1's compatibility data:")
    table = Table()
    table.add_column("TensorFlow")
    for m in metal:
        table.add_column(f"metal {m}")
    for tf in tensorflow:
        cells = [r for r in rows if r["tensorflow"] == tf]
        table.add_row(tf, *(f"[{STATUS_STYLES[str(r['status'])]}]{r['status']}[/]{_mark(r)}" for r in cells))
    console.print(table)
    console.print("Legend:")
    for status, text in LEGEND.items():
        console.print(f"  [{STATUS_STYLES[status]}]{status:<10}[/] {text}")
    why = Table.grid(padding=(0, 1))
    why.add_column(no_wrap=True)
    why.add_column()
    for row in rows:
        if row["status"] != "works":
            style = STATUS_STYLES[str(row["status"])]
            pair = f"  {row['tensorflow']} + metal {row['tensorflow_metal']}:"
            source = f" [dim]({EVIDENCE[str(row['evidence'])]})[/]" if row["evidence"] in EVIDENCE else ""
            why.add_row(pair, f"[{style}]{row['status']}[/]: " + escape(str(row["reason"])) + source)
    if why.row_count:
        console.print("Why:")
        console.print(why)
    console.print(
        "Evidence: " + ", ".join(f"{mark} {EVIDENCE[kind]}" for kind, mark in MARKS.items()) + " (tfm1 compat update)"
    )
    console.print("Prove it from the binaries: tfm1 matrix --verify")


def _mark(row: dict[str, Any]) -> str:
    """The evidence that decided a cell, as one letter (see EVIDENCE)."""
    mark = MARKS.get(str(row["evidence"]))
    return f" [dim]{mark}[/]" if mark else ""


def render_verified(
    results: list[PairResult], tensorflow: list[str], metal: list[str], python: str, console: Console
) -> None:
    """The grid `tfm1 matrix --verify` proved, then why each pair that does not load fails."""
    from rich.table import Table

    from tfm1.compat import load

    compat = load()
    console.print(f"tensorflow-metal × TensorFlow, proven from the macOS arm64 wheels (Python {python}):")
    table = Table()
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


class PairProgress:
    """The progress of a run that checks pairs: a bar for the pairs, one for the wheel member being read."""

    def __init__(self, progress: Progress, console: Console) -> None:
        self._progress = progress
        self._console = console
        self._pairs: TaskID = progress.add_task("pairs", total=None)
        self._reading: TaskID = progress.add_task("", total=None)

    def read(self, what: str, done: int, total: int) -> None:
        """A `ReadProgress` for the wheels' reader."""
        self._progress.update(self._reading, description=f"  {what}", completed=done, total=total or None)

    def pair(self, what: str, number: int, total: int) -> None:
        """Pair `number` of `total` starts; where no bar is drawn (a log), it gets a line."""
        description = f"{what} ({number}/{total})"
        self._progress.update(self._pairs, description=description, completed=number - 1, total=total)
        if self._progress.disable:
            self._console.print(f"==> {description}", markup=False)


@contextmanager
def pair_progress(console: Console, *, log: bool = False) -> Iterator[PairProgress]:
    """Bars on a terminal; with `log`, one line per pair where `console` is not one (a CI log)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=log and not console.is_terminal) as progress:
        yield PairProgress(progress, console)
