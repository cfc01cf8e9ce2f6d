"""How long bootstrap/install.sh takes on the test suite's pretend Mac: first install, re-run, dry run, uninstall.

    .venv/bin/python benchmarks/bench_bootstrap.py [--package probe|tfm1] [--runs N]

Downloads come from a local server (the fake Miniforge installer, and a wheel as TFM1_PACKAGE), so the numbers are
the script's own work plus venv creation and pip. `--package tfm1` installs this repository's wheel with its
dependencies (from PyPI or pip's cache); `probe` (default) a tiny package with no dependencies.
The issue's bar: re-running is safe and quick.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_httpserver import HTTPServer
from tests.support.bootstrap_sandbox import (
    INSTALL_SH,
    REPO,
    UNINSTALL_SH,
    Mac,
    Sandbox,
    build_probe_wheel,
    build_wheel,
)


def timed(mac: Mac, *args: str, script: Path = INSTALL_SH) -> float:
    start = time.perf_counter()
    result = mac.sandbox.run(*args, script=script)
    elapsed = time.perf_counter() - start
    # The real tfm1 is handed an unknown profile so that setup stops at once: reaching it is what counts.
    reached = "==> Running: " in result.stdout if script == INSTALL_SH else result.returncode == 0
    if not reached:
        raise SystemExit(f"{script.name} {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", choices=["probe", "tfm1"], default="probe")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    steps: dict[str, list[float]] = {"install": [], "re-run": [], "dry run": [], "uninstall": []}
    with tempfile.TemporaryDirectory() as work_name:
        work = Path(work_name)
        wheel = build_probe_wheel() if args.package == "probe" else build_wheel(REPO, work / "dist")
        server = HTTPServer()
        server.start()
        try:
            for run in range(args.runs):
                mac = Mac.serve(Sandbox.create(work / f"run{run}"), server, wheel)
                setup_args = ("--profile", "bench-no-such-profile") if args.package == "tfm1" else ()
                steps["install"].append(timed(mac, "--yes", *setup_args))
                steps["re-run"].append(timed(mac, "--yes", *setup_args))
                steps["dry run"].append(timed(mac, "--dry-run", *setup_args))
                steps["uninstall"].append(timed(mac, "--yes", script=UNINSTALL_SH))
                server.clear()
        finally:
            server.stop()
    print(f"bootstrap/install.sh, package={args.package}, {args.runs} runs (seconds)")
    print(f"{'step':<10} {'median':>8} {'min':>8} {'max':>8}")
    for step, seconds in steps.items():
        print(f"{step:<10} {statistics.median(seconds):8.2f} {min(seconds):8.2f} {max(seconds):8.2f}")


if __name__ == "__main__":
    main()
