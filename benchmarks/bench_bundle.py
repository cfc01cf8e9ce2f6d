"""How long `tfm1 setup --bundle` takes against a plain `tar -x` of the same bundle, and that a second bundle of
an already-downloaded lock is built without the network.

    .venv/bin/python benchmarks/bench_bundle.py [--runs N] [--bulk-mb MB] [--json]

The test payload is bench_setup.py's: the test channel (python wrapper, pip, a data package) plus `--bulk-mb` MB of
conda packages of random bytes, and a local index of 12 real wheels of a TensorFlow environment's pip layer
(~26 MB), both served on 127.0.0.1; a stand-in Miniforge installer is pinned by URL and sha256 as the tests do.
The default, `--bulk-mb 60`, makes a bundle of 88 MB: big enough that reading, checking and extracting the bytes
counts, where the bare test channel (~1.8 MB) would measure only the fixed cost of starting Python and planning.

It builds the bundle once with empty caches (cold), then again into another file (warm) and requires that the
servers saw no request and that the two bundles are byte-identical. Then, with both servers stopped and every
proxy and index pointing at 127.0.0.1:9 (nothing listens there), it times N runs each, fresh caches and a fresh
folder every run, of:
- `tar -xf BUNDLE -C DIR`: what reading the file and writing its members costs;
- `tar -x`, then every package in it unpacked with `unzip`, `tar -xj` and `tar --zstd`, one after another: the
  decompression and file writes any installer does besides checking hashes (needs `unzip` and `zstd`);
- `tfm1 setup --bundle BUNDLE --yes --no-verify --no-kernel --prefix DIR`: every member checked against the
  manifest and the lock, then the environment made from them;
and prints the median and best of each, the ratios of the medians (the target against `tar -x`: at most 1.3x) and
when each of setup's steps ended.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import as_user  # noqa: F401  (bytecode cache on, as on a user's machine)
from bench_setup import WHEELS, bulk_channel, environment
from tests.support.conda_channel import write_conda_lock
from tests.support.http import StaticServer
from tests.support.pypi_files import fetch_wheel
from tests.support.pypi_index import build_index

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused
PROXIES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
TARGET = 1.3
# tar -x, then every file in the bundle unpacked with the usual tools, one after another: the work any installer
# must do besides checking hashes (decompressing every package), without Python's start or any planning.
UNPACK_ALL = """
set -e
tar -xf "$1" -C "$2"
cd "$2/files"
for f in */*.whl; do unzip -qo "$f" -d "${f%.whl}"; done
for f in */*.tar.bz2; do mkdir "${f%.tar.bz2}"; tar -xjf "$f" -C "${f%.tar.bz2}"; done
for f in */*.conda; do
    d="${f%.conda}"; unzip -qo "$f" -d "$d"
    for t in "$d"/*.tar.zst; do tar --zstd -xf "$t" -C "$d"; done
done
"""


def tfm1(argv: list[str], env: dict[str, str], steps: dict[str, float] | None = None) -> float:
    """Seconds `tfm1 ARGV` takes; with `steps`, run with --json and note when each step's last event arrived."""
    command = [sys.executable, "-m", "tfm1", *argv, *(["--json"] if steps is not None else [])]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if steps is not None and line.startswith('{"step"'):
                    steps[json.loads(line)["step"]] = time.perf_counter() - start
        elapsed = time.perf_counter() - start
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"tfm1 {argv[0]} failed ({process.returncode}): {errors.read()}")
    return elapsed


def offline(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        **dict.fromkeys(PROXIES, UNREACHABLE),
        "PIP_INDEX_URL": f"{UNREACHABLE}/simple",
        "UV_INDEX_URL": f"{UNREACHABLE}/simple",
    }


def timed(runs: int, once: Callable[[int], float]) -> list[float]:
    once(-1)  # a warm-up run, not counted: the page cache holds the bundle and the bytecode cache is written
    return [once(i) for i in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bulk-mb", type=float, default=60.0, help="conda payload of random bytes, in MB")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    arguments = parser.parse_args()
    runs = arguments.runs
    work = Path(tempfile.mkdtemp(prefix="tfm1-bench-bundle-"))
    try:
        channel = bulk_channel(work / "channel", arguments.bulk_mb)
        index = build_index(work / "pypi", [fetch_wheel(*wheel) for wheel in WHEELS])
        installer = work / "Miniforge3-test-Linux-x86_64.sh"
        installer.write_text("#!/bin/sh\necho a stand-in for the Miniforge installer\n")
        pinned = {
            "TFM1_MINIFORGE_URL": installer.as_uri(),
            "TFM1_MINIFORGE_SHA256": hashlib.sha256(installer.read_bytes()).hexdigest(),
        }
        builder = {**environment(work / "caches-bundle"), **pinned}
        with StaticServer(channel.root) as conda_server, StaticServer(index.root) as pypi_server:
            lock = write_conda_lock(work / "lock.yml", conda_server.url, channel.packages, index.locks(pypi_server.url))
            platform = platform_of(lock)

            def bundle(name: str) -> float:
                argv = ["bundle", "--lockfile", str(lock), "--platform", platform, "-o", str(work / name)]
                return tfm1(argv, builder)

            cold = bundle("cold.tar")
            served = len(conda_server.requests) + len(pypi_server.requests)
            warm = bundle("warm.tar")
            warm_requests = len(conda_server.requests) + len(pypi_server.requests) - served
        if warm_requests:
            raise SystemExit(f"the second bundle of the same lock made {warm_requests} requests to the servers")
        file = work / "cold.tar"
        if file.read_bytes() != (work / "warm.tar").read_bytes():
            raise SystemExit("two bundles of one lock are not byte-identical")
        size = file.stat().st_size
        shutil.rmtree(channel.root)  # the servers are stopped; nothing of the channel or index is left to find
        shutil.rmtree(index.root)

        def extraction(argv: list[str]) -> Callable[[int], float]:
            def once(i: int) -> float:
                target = work / f"extracted-{i}"
                target.mkdir()
                start = time.perf_counter()
                subprocess.run([*argv, str(file), str(target)], check=True)
                elapsed = time.perf_counter() - start
                shutil.rmtree(target)
                return elapsed

            return once

        steps: list[dict[str, float]] = []

        def setup(i: int) -> float:
            prefix, caches = work / f"env-{i}", work / f"caches-{i}"
            env = offline({**environment(caches), **pinned})
            argv = ["setup", "--bundle", str(file), "--yes", "--no-verify", "--no-kernel", "--prefix", str(prefix)]
            steps.append({})
            elapsed = tfm1(argv, env, steps[-1])
            shutil.rmtree(prefix)
            shutil.rmtree(caches)
            return elapsed

        tar_times = timed(runs, extraction(["sh", "-c", 'tar -xf "$0" -C "$1"']))
        missing = [tool for tool in ("unzip", "zstd") if shutil.which(tool) is None]
        if missing:
            print(f"not timing tar -x with every package unpacked: no {', '.join(missing)} here", file=sys.stderr)
        all_times = timed(runs, extraction(["sh", "-c", UNPACK_ALL, "unpack"])) if not missing else []
        setup_times = timed(runs, setup)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = statistics.median(setup_times) / statistics.median(tar_times)
    # When each step ended, from the start of the process (its median over the counted runs): where the time goes.
    ends = {step: statistics.median(run[step] for run in steps[1:] if step in run) for step in steps[-1]}
    report = {
        "bundle_bytes": size,
        "bulk_mb": arguments.bulk_mb,
        "runs": runs,
        "bundle_cold_s": cold,
        "bundle_warm_s": warm,
        "bundle_warm_requests": warm_requests,
        "bundles_identical": True,
        "tar_x_s": {"median": statistics.median(tar_times), "best": min(tar_times), "all": tar_times},
        "tar_x_and_unpack_all_s": {"median": statistics.median(all_times), "best": min(all_times), "all": all_times}
        if all_times
        else None,
        "setup_bundle_s": {"median": statistics.median(setup_times), "best": min(setup_times), "all": setup_times},
        "setup_bundle_step_ends_s": ends,
        "ratio": ratio,
        "ratio_to_unpack_all": statistics.median(setup_times) / statistics.median(all_times) if all_times else None,
        "target": TARGET,
        "met": ratio <= TARGET,
    }
    if arguments.json:
        print(json.dumps(report, indent=1))
        return
    print(f"tfm1 setup --bundle of a {size / 1e6:.1f} MB bundle, offline; {runs} runs after one warm-up (seconds)")
    print(f"{'what':<52} {'median':>8} {'best':>8}")
    print(f"{'tfm1 bundle, empty caches':<52} {cold:>8.2f}")
    print(f"{'tfm1 bundle again (0 requests, identical bytes)':<52} {warm:>8.2f}")
    for name, times in (
        ("tar -xf BUNDLE -C DIR", tar_times),
        ("tar -x, then every package in it unpacked", all_times),
        ("tfm1 setup --bundle BUNDLE", setup_times),
    ):
        if times:
            print(f"{name:<52} {statistics.median(times):>8.2f} {min(times):>8.2f}")
    print(f"setup --bundle / tar -x = {ratio:.2f}x (target at most {TARGET}x)")
    if all_times:
        print(f"setup --bundle / tar -x with every package unpacked = {report['ratio_to_unpack_all']:.2f}x")
    print("setup --bundle, each step's end from the start of the process (median, s):")
    print("  " + ", ".join(f"{step} {end:.2f}" for step, end in ends.items()))


def platform_of(lock: Path) -> str:
    import yaml

    (platform,) = yaml.safe_load(lock.read_text())["metadata"]["platforms"]
    return str(platform)


if __name__ == "__main__":
    main()
