"""Bytes fetched and time taken to check one tensorflow-metal / TensorFlow pair from PyPI, against the full wheel sizes.

Usage: .venv/bin/python benchmarks/bench_linkage.py [TF] [METAL] [PYTHON]   (default 2.19.1 1.2.0 3.11)

Each mode starts from an empty cache (a temporary directory), then runs again on the cache it filled.
The last line is the peak resident set of the whole run: its largest step is the cold check that follows re-exports.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from tfm1.linkage.arm64_wheels import arm64_wheels
from tfm1.linkage.pairs import LinkageSession


def run(cache: Path, tf: str, metal: str, python: str, follow: bool) -> tuple[float, int, int, bool, dict[str, str]]:
    start = time.perf_counter()
    with LinkageSession(cache=cache, follow_reexports=follow) as session:
        result = session.check_pair(tf, metal, python)
        return time.perf_counter() - start, session.bytes_fetched, session.requests, result.loads, result.sources


def main() -> None:
    tf, metal, python = (sys.argv[1:] + ["2.19.1", "1.2.0", "3.11"][len(sys.argv) - 1 :])[:3]
    rows = []
    sources: dict[str, str] = {}
    for follow in (True, False):
        with tempfile.TemporaryDirectory() as cache:
            for run_name in ("cold", "cached"):
                seconds, fetched, requests, loads, sources = run(Path(cache), tf, metal, python, follow)
                mode = "follow re-exports" if follow else "trust trie re-exports"
                rows.append((mode, run_name, seconds, fetched, requests, loads))
    with LinkageSession() as session:
        sizes = {
            name: next(
                w.size
                for p in ("tensorflow", "tensorflow-macos", "tensorflow-metal")
                for w in arm64_wheels(session.index, p, version)
                if w.filename == sources[name]
            )
            for name, version in (("tensorflow", tf), ("tensorflow_metal", metal))
        }
    total = sum(sizes.values())
    print(f"pair: TensorFlow {tf} + tensorflow-metal {metal}, Python {python}")
    for name, size in sizes.items():
        print(f"  {sources[name]}: {size / 1e6:.1f} MB")
    print(f"  both wheels: {total / 1e6:.1f} MB\n")
    print(f"{'mode':<24}{'run':<8}{'seconds':>9}{'MB fetched':>12}{'% of wheels':>13}{'requests':>10}  loads")
    for mode, run_name, seconds, fetched, requests, loads in rows:
        share = 100 * fetched / total
        print(f"{mode:<24}{run_name:<8}{seconds:>9.1f}{fetched / 1e6:>12.1f}{share:>12.1f}%{requests:>10}  {loads}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    print(f"\npeak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
