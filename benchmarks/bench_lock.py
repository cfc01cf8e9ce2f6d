"""`tfm1 lock --pip-only` for every profile against the same resolution done by pip.

    .venv/bin/python benchmarks/bench_lock.py [--runs N] [--linkage]

For each profile and platform, pip resolves the same `pip:` section for the same target:
`pip --isolated install --dry-run --report R --ignore-installed --only-binary=:all: --platform P ... --python-version
X.Y --implementation cp --abi cpXY -r requirements -c constraints`, with the platform tags tfm1 accepts for the
target (macOS 12.0 arm64, manylinux_2_28 x86_64) and as constraints the Python packages the conda layer provides,
as tfm1 passes them to uv. pip is the newest release, in a throw-away virtual environment.
Each tool runs with empty caches first (cold), then N more times with the caches it filled (warm, median).
tfm1 runs with --no-linkage unless --linkage is given: the binary check is extra work pip does not do.
Needs the network (PyPI). Prints a table, the ratio, and whether both tools chose the same versions.
They do not, where markers matter: pip evaluates environment markers for the machine it runs on, not for the
--platform / --python-version it is given (on Linux it drops tensorflow-macos 2.16.2's
`tensorflow==2.16.2; platform_system == "Darwin"`), while uv evaluates them for the target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tfm1.lock.conda_layer import python_distributions  # noqa: E402
from tfm1.lock.targets import target  # noqa: E402
from tfm1.lockfile import read_lockfile  # noqa: E402
from tfm1.profiles import list_profiles  # noqa: E402


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{result.stdout}\n{result.stderr}")
    return elapsed


def pip_jobs(work: Path) -> list[tuple[str, str, list[str]]]:
    """(profile, platform, pip arguments) for every profile and platform."""
    jobs = []
    for profile in list_profiles(ROOT / "envs"):
        lock = read_lockfile(profile.lockfile)
        for platform in profile.platforms:
            conda = lock.for_platform(platform, "conda")
            (python,) = [p.version for p in conda if p.name == "python"]
            minor = "".join(python.split(".")[:2])
            folder = work / "pip-inputs" / f"{profile.name}-{platform}"
            folder.mkdir(parents=True)
            (folder / "requirements.txt").write_text("\n".join(profile.pip_specs) + "\n")
            provided = python_distributions(conda)
            (folder / "constraints.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(provided.items())))
            jobs.append(
                (
                    profile.name,
                    platform,
                    [
                        "--isolated",  # this machine's pip.conf must not change the resolution
                        "install",
                        "--dry-run",
                        "--quiet",
                        "--ignore-installed",
                        "--disable-pip-version-check",
                        "--only-binary=:all:",
                        # The same platform tags tfm1 accepts: pip does not widen manylinux_2_28 to older glibc.
                        *(f"--platform={tag}" for tag in target(platform).platform_tags),
                        "--python-version",
                        ".".join(python.split(".")[:2]),
                        "--implementation",
                        "cp",
                        "--abi",
                        f"cp{minor}",
                        "--report",
                        str(folder / "report.json"),
                        "-r",
                        str(folder / "requirements.txt"),
                        "-c",
                        str(folder / "constraints.txt"),
                    ],
                )
            )
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="warm runs per tool (default: 3)")
    parser.add_argument("--linkage", action="store_true", help="let tfm1 run its binary linkage check too")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tfm1-bench-lock-"))
    try:
        run(work, args.runs, args.linkage)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, runs: int, linkage: bool) -> None:
    shutil.copytree(ROOT / "envs", work / "envs")
    base = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    tfm1_env = {**base, "XDG_CACHE_HOME": str(work / "cache-tfm1"), "UV_CACHE_DIR": str(work / "cache-uv")}
    tfm1 = [sys.executable, "-m", "tfm1", "lock", "--pip-only", "--envs", str(work / "envs"), "--json"]
    if not linkage:
        tfm1.append("--no-linkage")

    subprocess.run([sys.executable, "-m", "venv", str(work / "pip-venv")], check=True)
    pip = [str(work / "pip-venv" / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    pip_version = subprocess.run([*pip, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    pip_env = {**base, "PIP_CACHE_DIR": str(work / "cache-pip")}
    jobs = pip_jobs(work)

    tfm1_times = [timed(tfm1, tfm1_env) for _ in range(runs + 1)]
    pip_times = [sum(timed([*pip, *job], pip_env) for _, _, job in jobs) for _ in range(runs + 1)]
    # `--check` must stay offline and instant: no cache, and a proxy that refuses every connection.
    offline = {**base, "XDG_CACHE_HOME": str(work / "cache-none"), "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
    check_times = [timed([*tfm1[:3], "lock", "--check", "--envs", str(work / "envs")], offline) for _ in range(runs)]

    same = compare(work, jobs)
    rows = [
        (f"tfm1 lock --pip-only{'' if linkage else ' --no-linkage'}", tfm1_times),
        (f"pip {pip_version} install --dry-run --report (x{len(jobs)})", pip_times),
    ]
    print(f"{len(jobs)} profile/platform resolutions ({', '.join(f'{p}/{q}' for p, q, _ in jobs)})")
    print(f"{'':48} {'cold s':>8} {'warm s':>8}")
    for name, times in rows:
        print(f"{name:48} {times[0]:8.1f} {statistics.median(times[1:]):8.1f}")
    print(
        f"ratio pip / tfm1: cold {pip_times[0] / tfm1_times[0]:.1f}x, "
        f"warm {statistics.median(pip_times[1:]) / statistics.median(tfm1_times[1:]):.1f}x"
    )
    print(f"same versions chosen: {same}")
    print(f"tfm1 lock --check (offline, median of {runs}): {statistics.median(check_times):.2f} s")


def compare(work: Path, jobs: list[tuple[str, str, list[str]]]) -> str:
    differences = []
    for profile, platform, _ in jobs:
        report = json.loads((work / "pip-inputs" / f"{profile}-{platform}" / "report.json").read_text())
        by_pip = {
            item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
            for item in report["install"]
        }
        lock = read_lockfile(work / "envs" / profile / "conda-lock.yml")
        by_tfm1 = {p.name: p.version for p in lock.for_platform(platform, "pip")}
        provided = set(python_distributions(lock.for_platform(platform, "conda")))
        by_pip = {n: v for n, v in by_pip.items() if n not in provided}
        for name in sorted(by_pip.keys() | by_tfm1.keys()):
            if by_pip.get(name) != by_tfm1.get(name):
                differences.append(f"{profile}/{platform} {name}: pip {by_pip.get(name)}, tfm1 {by_tfm1.get(name)}")
    return "yes" if not differences else "no: " + "; ".join(differences)


if __name__ == "__main__":
    main()
