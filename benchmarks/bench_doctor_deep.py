"""`tfm1 doctor --deep`'s linkage check on a real installed TensorFlow, first run and cached.

    .venv/bin/python benchmarks/bench_doctor_deep.py [TF] [METAL] [PYTHON]   (default 2.19.1 1.2.0 3.11)

Downloads the two macOS arm64 wheels (sha256-checked, kept in a temporary directory), unpacks them into a
site-packages as an installer would, then times the check with an empty summary cache and again with the
cache the first run filled, each in a fresh process (peak memory is that process's maximum resident set).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from tfm1.download import download
from tfm1.linkage.arm64_wheels import best_wheel
from tfm1.linkage.pairs import check_installed, tensorflow_project
from tfm1.pypi.index import Index, new_session


def install(index: Index, project: str, version: str, python: str, site: Path, scratch: Path) -> str:
    wheel, _ = best_wheel(index, project, version, python)
    path = download(wheel.url, scratch / wheel.filename, wheel.sha256)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(site)
    return f"{wheel.filename} ({wheel.size / 1e6:.1f} MB)"


def measure(site: Path, cache: Path) -> None:
    start = time.perf_counter()
    result = check_installed(site, cache=cache)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "loads": result.loads if result else None}))


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:
        measure(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    tf, metal, python = (sys.argv[1:] + ["2.19.1", "1.2.0", "3.11"][len(sys.argv) - 1 :])[:3]
    index = Index(session=new_session("tfm1-bench"))
    with tempfile.TemporaryDirectory(prefix="tfm1-bench-deep-") as temp:
        root = Path(temp)
        site = root / "site-packages"
        for project, version in ((tensorflow_project(index, tf), tf), ("tensorflow-metal", metal)):
            print("installed", install(index, project, version, python, site, root))
        cache = root / "cache"
        print(f"{'run':<8}{'seconds':>9}{'peak RSS MB':>13}  loads")
        for run in ("first", "cached"):
            argv = [sys.executable, __file__, "--measure", str(site), str(cache)]
            row = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
            print(f"{run:<8}{row['seconds']:>9.1f}{row['peak_mb']:>13.0f}  {row['loads']}")


if __name__ == "__main__":
    main()
