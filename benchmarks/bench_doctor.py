"""Start-up cost of tfm1 against the interpreter's own, for the commands that must feel instant.

    .venv/bin/python benchmarks/bench_doctor.py [--runs N]

Prints the median wall time of each command over N runs and its ratio to `python -c pass`.
The issue's bar: `tfm1 doctor` within a few times the interpreter's start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCENARIO = Path(__file__).resolve().parent.parent / "tests" / "scenarios" / "homebrew-venv-tf221-metal120.json"

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "tfm1 --version": [sys.executable, "-m", "tfm1", "--version"],
    "tfm1 --help": [sys.executable, "-m", "tfm1", "--help"],
    "tfm1 doctor --json": [sys.executable, "-m", "tfm1", "doctor", "--json"],
    "tfm1 doctor (rich report)": [sys.executable, "-m", "tfm1", "doctor"],
    "tfm1 doctor --snapshot S --json": [sys.executable, "-m", "tfm1", "doctor", "--snapshot", str(SCENARIO), "--json"],
}


def median_ms(argv: list[str], runs: int) -> float:
    subprocess.run(argv, capture_output=True, check=False)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    baseline = median_ms(COMMANDS["python -c pass"], runs)
    print(f"{'command':<34} {'median ms':>10} {'x python':>9}")
    for name, argv in COMMANDS.items():
        ms = baseline if name == "python -c pass" else median_ms(argv, runs)
        print(f"{name:<34} {ms:>10.1f} {ms / baseline:>9.1f}")


if __name__ == "__main__":
    main()
