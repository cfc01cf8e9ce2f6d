"""How long `tfm1 setup` takes on a local channel, the no-op re-run, and uv against pip for the pip layer.

    .venv/bin/python benchmarks/bench_setup.py [--runs N]
    .venv/bin/python benchmarks/bench_setup.py --throttle 20 [--bulk-mb 300] [--runs N]

Builds the test channel (python wrapper, pip, a data package) and a local index holding 12 real wheels of a
TensorFlow environment's pip layer (numpy, h5py, ml-dtypes, protobuf, ...; fetched once from PyPI, sha256-pinned),
serves both on 127.0.0.1 and prints median wall times over N runs:
- `tfm1 setup` end to end, cold (empty package caches) and warm (caches kept, new prefix);
- the re-run with the same lockfile (a no-op);
- the pip layer alone into fresh environments, uv against pip, both with empty caches, and their ratio.

With `--throttle MBPS` both servers share one bandwidth limit (MB/s), the channel gets extra conda packages of
random (incompressible) bytes, `--bulk-mb` in all, so that the transfer dominates (the default, 330 MB with the
wheels, is about half of what a real metal setup downloads; what setup does after the last byte arrives costs
about 2 s here whatever the payload), and it prints instead:
- the pure transfer: every file of the lock fetched through the same throttle, 6 at a time, nothing else;
- `tfm1 setup` end to end with empty caches, and its ratio to the pure transfer;
- the re-run with the same lockfile (a no-op).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import as_user  # noqa: F401  (bytecode cache on, as on a user's machine)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support.conda_channel import (  # noqa: E402
    Channel,
    as_conda_format,
    build_channel,
    build_package,
    index_channel,
    write_conda_lock,
)
from tests.support.http import StaticServer, Throttle  # noqa: E402
from tests.support.pypi_files import fetch_wheel  # noqa: E402
from tests.support.pypi_index import build_index  # noqa: E402

WHEELS = (  # (project, file, sha256)
    (
        "numpy",
        "numpy-2.1.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "bc6f24b3d1ecc1eebfbf5d6051faa49af40b03be1aaa781ebdadcbc090b4539b",
    ),
    (
        "h5py",
        "h5py-3.13.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "782ff0ac39f455f21fd1c8ebc007328f65f43d56718a89327eec76677ebf238a",
    ),
    (
        "ml-dtypes",
        "ml_dtypes-0.5.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "c09526488c3a9e8b7a23a388d4974b670a9a3dd40c5c8a61db5593ce9b725bab",
    ),
    (
        "protobuf",
        "protobuf-5.29.5-py3-none-any.whl",
        "6cf42630262c59b2d8de33954443d94b746c952b01434fc58a417fdbd2e84bd5",
    ),
    (
        "absl-py",
        "absl_py-2.3.1-py3-none-any.whl",
        "eeecf07f0c2a93ace0772c92e596ace6d3d3996c042b2128459aaae2a76de11d",
    ),
    (
        "six",
        "six-1.17.0-py2.py3-none-any.whl",
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    ),
    (
        "wrapt",
        "wrapt-1.17.2-py3-none-any.whl",
        "b18f2d1533a71f069c7f82d524a52599053d4c7166e9dd374ae2136b7f40f7c8",
    ),
    (
        "termcolor",
        "termcolor-3.1.0-py3-none-any.whl",
        "591dd26b5c2ce03b9e43f391264626557873ce1d379019786f99b0c2bee140aa",
    ),
    (
        "opt-einsum",
        "opt_einsum-3.4.0-py3-none-any.whl",
        "69bb92469f86a1565195ece4ac0323943e83477171b91d24c35afe028a90d7cd",
    ),
    (
        "gast",
        "gast-0.6.0-py3-none-any.whl",
        "52b182313f7330389f72b069ba00f174cfe2a06411099547288839c6cbafbd54",
    ),
    (
        "markdown",
        "markdown-3.8-py3-none-any.whl",
        "794a929b79c5af141ef5ab0f2f642d0f7b1872981250230e72682346f7cc90dc",
    ),
    (
        "werkzeug",
        "werkzeug-3.1.3-py3-none-any.whl",
        "54b78bf3716d19a65be4fceccc0d1d7b89e608834989dfae50ea87564639213e",
    ),
)


def environment(caches: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "TFM1_", "PIP_", "UV_"))}
    env.update(
        TFM1_CACHE_DIR=str(caches / "tfm1"),
        UV_CACHE_DIR=str(caches / "uv"),
        PIP_CACHE_DIR=str(caches / "pip"),
        JUPYTER_DATA_DIR=str(caches / "jupyter"),  # the kernelspecs setup registers stay out of the user's
        UV_PYTHON_DOWNLOADS="never",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def setup(lock: Path, prefix: Path, env: dict[str, str]) -> float:
    argv = [sys.executable, "-m", "tfm1", "setup", "--lockfile", str(lock), "--prefix", str(prefix), "--yes"]
    start = time.perf_counter()
    result = subprocess.run([*argv, "--no-verify"], capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"setup failed: {result.stderr}")
    return elapsed


def median(runs: int, once: Callable[[int], float]) -> tuple[float, float, float]:
    times = [once(i) for i in range(runs)]
    return statistics.median(times), min(times), max(times)


BULK_PACKAGES = 4


def bulk_channel(root: Path, megabytes: float) -> Channel:
    """The test channel plus BULK_PACKAGES `.conda` data packages of random bytes, `megabytes` in all."""
    channel = build_channel(root)
    size = int(megabytes * 1e6 / BULK_PACKAGES)
    for number in range(BULK_PACKAGES):
        data = random.Random(number).randbytes(size)  # the same bytes every run; bzip2 cannot shrink them
        files = {f"share/tfm1-bulk-{number}/data.bin": data}
        channel.packages.append(as_conda_format(build_package(root, f"tfm1-bulk-{number}", "1.0", files=files)))
    index_channel(root)
    return channel


def transfer(urls: list[str]) -> float:
    """Seconds to fetch every URL, 6 at a time, into memory: the floor a download-bound setup cannot beat."""
    import requests

    def get(url: str) -> int:
        with requests.get(url, timeout=60) as response:
            response.raise_for_status()
            return len(response.content)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(get, urls))
    return time.perf_counter() - start


def throttled(runs: int, rate: float, bulk: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="tfm1-bench-throttled-"))
    try:
        channel = bulk_channel(work / "channel", bulk)
        index = build_index(work / "pypi", [fetch_wheel(*wheel) for wheel in WHEELS])
        files = [p.path for p in channel.packages] + index.wheels
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        link = Throttle(rate * 1e6)
        with StaticServer(channel.root, link) as conda_server, StaticServer(index.root, link) as pypi_server:
            lock = write_conda_lock(work / "lock.yml", conda_server.url, channel.packages, index.locks(pypi_server.url))
            urls = [p.url(conda_server.url) for p in channel.packages] + [
                index.url_of(w, pypi_server.url) for w in index.wheels
            ]
            pure = median(runs, lambda i: transfer(urls))
            wall = median(runs, lambda i: setup(lock, work / f"env-{i}", environment(work / f"caches-{i}")))
            noop = median(runs, lambda i: setup(lock, work / "env-0", environment(work / "caches-0")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"tfm1 setup through a {rate:g} MB/s link: {len(files)} files, {megabytes:.1f} MB; median of {runs} runs (s)")
    print(f"{'what':<52} {'median':>8} {'min':>8} {'max':>8}")
    for name, (mid, low, high) in (
        ("pure transfer of the same files (6 at a time)", pure),
        ("setup end to end, cold caches", wall),
        ("re-run, same lockfile (no-op)", noop),
    ):
        print(f"{name:<52} {mid:>8.2f} {low:>8.2f} {high:>8.2f}")
    print(f"setup / pure transfer = {wall[0] / pure[0]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--throttle", type=float, metavar="MBPS", help="serve through a link of this many MB/s")
    parser.add_argument("--bulk-mb", type=float, default=300.0, help="with --throttle: extra conda payload in MB")
    arguments = parser.parse_args()
    runs = arguments.runs
    if arguments.throttle:
        throttled(runs, arguments.throttle, arguments.bulk_mb)
        return
    work = Path(tempfile.mkdtemp(prefix="tfm1-bench-setup-"))
    try:
        channel = build_channel(work / "channel")
        index = build_index(work / "pypi", [fetch_wheel(*wheel) for wheel in WHEELS])
        megabytes = sum(w.stat().st_size for w in index.wheels) / 1e6
        with StaticServer(channel.root) as conda_server, StaticServer(index.root) as pypi_server:
            full = write_conda_lock(work / "full.yml", conda_server.url, channel.packages, index.locks(pypi_server.url))
            conda_only = write_conda_lock(work / "conda.yml", conda_server.url, channel.packages)
            rows = []

            def cold(i: int) -> float:
                return setup(full, work / f"cold-{i}", environment(work / f"caches-cold-{i}"))

            rows.append(("setup end to end, cold caches", *median(runs, cold)))
            warm_env = environment(work / "caches-warm")
            setup(full, work / "warm-fill", warm_env)
            rows.append(
                ("setup end to end, warm caches", *median(runs, lambda i: setup(full, work / f"warm-{i}", warm_env)))
            )
            rows.append(
                ("re-run, same lockfile (no-op)", *median(runs, lambda i: setup(full, work / "warm-0", warm_env)))
            )

            from tfm1.host import live_host
            from tfm1.rattler.conda_lock import read_lock
            from tfm1.setup.miniforge import host_platform

            wheels = read_lock(full, host_platform(live_host())).pip
            layer: dict[str, float] = {}
            for installer in ("uv", "pip"):

                def once(i: int, installer: str = installer) -> float:
                    caches = work / f"caches-{installer}-{i}"
                    prefix = work / f"layer-{installer}-{i}"
                    env = environment(caches)
                    setup(conda_only, prefix, env)
                    saved = dict(os.environ)
                    os.environ.update({k: v for k, v in env.items() if k.endswith("CACHE_DIR")})
                    caches.mkdir(parents=True, exist_ok=True)
                    try:
                        from tfm1.setup.pip_layer import install_pip_layer, wheels_wanted
                        from tfm1.setup.store import fetch_all

                        files = fetch_all(wheels_wanted(wheels))  # downloaded and verified before the timing
                        start = time.perf_counter()
                        install_pip_layer(wheels, files, prefix / "bin" / "python", caches, installer)
                        return time.perf_counter() - start
                    finally:
                        os.environ.clear()
                        os.environ.update(saved)

                result = median(runs, once)
                layer[installer] = result[0]
                rows.append((f"pip layer with {installer} ({len(wheels)} wheels, {megabytes:.0f} MB), cold", *result))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"tfm1 setup on a local channel, median of {runs} runs (seconds)")
    print(f"{'what':<52} {'median':>8} {'min':>8} {'max':>8}")
    for name, mid, low, high in rows:
        print(f"{name:<52} {mid:>8.2f} {low:>8.2f} {high:>8.2f}")
    print(f"pip layer: pip / uv = {layer['pip'] / layer['uv']:.1f}x")


if __name__ == "__main__":
    main()
