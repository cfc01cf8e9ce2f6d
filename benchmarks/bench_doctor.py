"""Start-up cost of tfm1 against the interpreter's own, for the commands that must feel instant.

    .venv/bin/python benchmarks/bench_doctor.py [--runs N]

Runs every command once per round, N rounds interleaved (so that a noisy neighbour slows all of them alike),
and prints each one's median wall time, its ratio to `python -c pass` and to the floor: a do-nothing typer
app with doctor's options (benchmarks/typer_floor.py), run by the same interpreter. Commands run through the
`tfm1` console script, as users run them; `python -m tfm1` (which also imports runpy) is shown for comparison.
The bar: `tfm1 doctor --snapshot S --json` within 1.3x the floor and 20x `python -c pass`; `tfm1 --help`
within 1.5x the floor.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import as_user  # noqa: F401  (bytecode cache on, as on a user's machine)

FLOOR = Path(__file__).resolve().parent / "typer_floor.py"
SCENARIO = Path(__file__).resolve().parent.parent / "tests" / "scenarios" / "homebrew-venv-tf221-metal120.json"


def commands() -> dict[str, list[str]]:
    script = Path(sys.executable).parent / "tfm1"
    tfm1 = [str(script)] if script.exists() else [sys.executable, "-m", "tfm1"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        # Imported as the console script imports tfm1.cli (from bytecode), not run as a script (compiled each run).
        "floor: typer app, doctor's options": [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(FLOOR.parent)!r}); from typer_floor import app; app()",
            *("doctor", "--snapshot", str(SCENARIO), "--json"),
        ],
        "tfm1 --version": [*tfm1, "--version"],
        "tfm1 --help": [*tfm1, "--help"],
        "tfm1 doctor --json": [*tfm1, "doctor", "--json"],
        "tfm1 doctor (report)": [*tfm1, "doctor"],
        "tfm1 doctor --snapshot S --json": [*tfm1, "doctor", "--snapshot", str(SCENARIO), "--json"],
        "python -m tfm1 doctor --json": [sys.executable, "-m", "tfm1", "doctor", "--json"],
    }


def run_ms(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    table = commands()
    for argv in table.values():
        run_ms(argv)  # warm the file cache and the bytecode cache
    times: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(runs):
        for name, argv in table.items():
            times[name].append(run_ms(argv))
    baseline = statistics.median(times["python -c pass"])
    floor = statistics.median(times["floor: typer app, doctor's options"])
    print(f"{'command':<36} {'median ms':>10} {'x python':>9} {'x floor':>8}")
    for name in table:
        ms = statistics.median(times[name])
        print(f"{name:<36} {ms:>10.1f} {ms / baseline:>9.1f} {ms / floor:>8.2f}")


if __name__ == "__main__":
    main()
