"""How long `tfm1 verify` takes on CPU: wall time of the command and each check's own time.

    .venv/bin/python benchmarks/bench_verify.py [--python PATH] [--runs N]

Without --python it uses the test suite's cached venv with the pinned tensorflow-cpu (built on first use).
The issue's bar: the full check well under a minute on CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHECKS = ("build", "devices", "math", "keras", "gpu")


def run_once(python: str, quick: bool) -> tuple[float, dict[str, float], int]:
    command = [sys.executable, "-m", "tfm1", "verify", "--python", python, "--json"] + (["--quick"] if quick else [])
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    result = json.loads(done.stdout)
    seconds = {c["key"]: c["seconds"] or 0.0 for c in result["checks"]}
    return wall, seconds, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", help="the interpreter to verify (default: the test suite's TF venv)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.python:
        python = args.python
    else:
        from tests.support.tf_venv import tf_venv

        python = str(tf_venv())
    print(f"tfm1 verify --python {python}  ({args.runs} runs each, median seconds)")
    header = f"{'mode':<6} {'exit':>4} {'wall':>7} " + " ".join(f"{c:>8}" for c in CHECKS)
    print(header)
    print("-" * len(header))
    for quick in (False, True):
        walls, per_check, codes = [], {c: [] for c in CHECKS}, set()
        for _ in range(args.runs):
            wall, seconds, code = run_once(python, quick)
            walls.append(wall)
            codes.add(code)
            for check in CHECKS:
                per_check[check].append(seconds.get(check, 0.0))
        cells = " ".join(f"{statistics.median(per_check[c]):8.2f}" for c in CHECKS)
        exits = ",".join(str(c) for c in sorted(codes))
        print(f"{'quick' if quick else 'full':<6} {exits:>4} {statistics.median(walls):7.2f} {cells}")
    print("build includes `import tensorflow`; wall includes tfm1's own start and the interpreter's start.")


if __name__ == "__main__":
    main()
