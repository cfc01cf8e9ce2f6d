"""`tfm1 doctor --deep`'s linkage check on a real installed TensorFlow, first run and cached.

    .venv/bin/python benchmarks/bench_doctor_deep.py [TF] [METAL] [PYTHON] [--runs N] [--site DIR] [--against SRC]

Defaults: 2.19.1 1.2.0 3.11, 3 runs. Downloads the two macOS arm64 wheels (sha256-checked) and unpacks them into a
site-packages as an installer would (`--site DIR`: into DIR, kept, and reused when it is already there), then times
the check with an empty summary cache ("first") and again with the cache the first run filled ("cached"), each in a
fresh process. Peak memory is that process's maximum resident set (its getrusage ru_maxrss); CPU is its user +
system time (RUSAGE_CHILDREN in the parent), steadier than wall time on a shared machine. Each figure is the median
of N runs.
`--against SRC` also runs the same check from another source tree (e.g. `git archive main src | tar -x -C /tmp/main`,
then `--against /tmp/main/src`), alternating with this one, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def install(project: str, version: str, python: str, site: Path, scratch: Path) -> str:
    from tfm1.download import download
    from tfm1.linkage.arm64_wheels import best_wheel
    from tfm1.pypi.index import Index, new_session

    index = Index(session=new_session("tfm1-bench"))
    wheel, _ = best_wheel(index, project, version, python)
    path = download(wheel.url, scratch / wheel.filename, wheel.sha256)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(site)
    path.unlink()
    return f"{wheel.filename} ({wheel.size / 1e6:.1f} MB)"


def measure(site: Path, cache: Path) -> None:
    from tfm1.linkage.pairs import check_installed

    result = check_installed(site, cache=cache)
    import tfm1

    verdict = {"loads": result.loads if result else None, "reason": result.reason if result else None}
    print(json.dumps({**verdict, "source": str(Path(tfm1.__file__).parent.parent)}))


def child(src: Path, site: Path, cache: Path) -> dict[str, float | str | None]:
    """One check in a fresh process: wall and CPU seconds, peak resident set, verdict."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(src)}
    argv = [sys.executable, __file__, "--measure", str(site), str(cache)]
    completed = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row = json.loads(completed.stdout)
    # RUSAGE_CHILDREN's ru_maxrss is the largest child so far, not this one: each child reports its own peak.
    return {
        "seconds": seconds,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_mb": _peak_mb(completed.stderr),
        "loads": row["loads"],
        "reason": row["reason"],
        "source": row["source"],
    }


def _peak_mb(stderr: str) -> float:
    return next(int(line[8:]) for line in stderr.splitlines() if line.startswith("peak_kb=")) / 1024


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        measure(Path(sys.argv[2]), Path(sys.argv[3]))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak_kb={peak // 1024 if sys.platform == 'darwin' else peak}", file=sys.stderr)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pair", nargs="*", help="TF METAL PYTHON (default 2.19.1 1.2.0 3.11)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--site", type=Path, help="unpack the wheels here and keep them (reused when present)")
    parser.add_argument("--against", type=Path, help="another source tree's src/ to run alternately")
    args = parser.parse_args()
    tf, metal, python = (args.pair + ["2.19.1", "1.2.0", "3.11"][len(args.pair) :])[:3]
    with tempfile.TemporaryDirectory(prefix="tfm1-bench-deep-") as temp:
        root = Path(temp)
        site = args.site or root / "site-packages"
        if not (site / "tensorflow").is_dir():
            from tfm1.linkage.pairs import tensorflow_project
            from tfm1.pypi.index import Index, new_session

            project = tensorflow_project(Index(session=new_session("tfm1-bench")), tf)
            for name, version in ((project, tf), ("tensorflow-metal", metal)):
                print("installed", install(name, version, python, site, root))
        trees = {"this tree": SRC, **({f"{args.against}": args.against} if args.against else {})}
        rows: dict[tuple[str, str], list[dict[str, float | str | None]]] = {}
        for attempt in range(args.runs):
            for number, (label, src) in enumerate(trees.items()):
                cache = root / f"cache-{attempt}-{number}"  # empty for "first", filled by it for "cached"
                for run in ("first", "cached"):
                    rows.setdefault((label, run), []).append(child(src, site, cache))
        print(f"TensorFlow {tf} + tensorflow-metal {metal}, Python {python}; median of {args.runs}")
        print(f"{'source':<28}{'run':<8}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}  loads")
        for (label, run), results in rows.items():
            median = {k: statistics.median(float(r[k]) for r in results) for k in ("seconds", "cpu", "peak_mb")}  # type: ignore[arg-type]
            verdicts = {(r["loads"], r["reason"]) for r in results}
            print(
                f"{label[-28:]:<28}{run:<8}{median['seconds']:>8.1f}{median['cpu']:>8.1f}{median['peak_mb']:>13.0f}"
                f"  {'/'.join(str(v[0]) for v in verdicts)}"
            )
        sources = {label: {r["source"] for r in results} for (label, _), results in rows.items()}
        assert all(len(s) == 1 for s in sources.values()), f"a tree ran another's code: {sources}"
        reasons = {r["reason"] for results in rows.values() for r in results}
        print(f"same verdict in every run: {len(reasons) == 1}")


if __name__ == "__main__":
    main()
