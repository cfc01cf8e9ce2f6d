"""A throw-away virtual environment with the real Linux TensorFlow CPU wheel, built once with uv and cached.

Everything installed comes from `tf_venv.requirements.txt`, pinned with sha256 hashes (uv refuses any file that
does not match). The cache key holds the interpreter version and the lock's own hash, so changing a pin builds a
new environment instead of reusing a stale one. A `.complete` marker is written last: an interrupted build is
never mistaken for a finished one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.caches import TEST_CACHE, building

# tensorflow-cpu 2.21.0 is the newest CPU-only Linux wheel on PyPI, with cp310–cp313 wheels; the lock pins it.
TF_DISTRIBUTION = "tensorflow-cpu"
TF_VERSION = "2.21.0"
REQUIREMENTS = Path(__file__).with_name("tf_venv.requirements.txt")
PYTHON_CANDIDATES = (
    "/root/.pyenv/versions/3.11.7/bin/python3.11",
    "/root/.pyenv/versions/3.12.1/bin/python3.12",
)
CACHE = TEST_CACHE / "tf-venvs"


def base_python() -> str:
    """A CPython 3.11–3.13 to build the environment from: a pinned pyenv one, else one on PATH."""
    for candidate in PYTHON_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    for name in ("python3.11", "python3.12", "python3.13"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Python 3.11, 3.12 or 3.13 found to build the TensorFlow test environment from")


def _version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _uv(*args: str) -> None:
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
    subprocess.run([sys.executable, "-m", "uv", *args], check=True, env=env, stdout=subprocess.DEVNULL)


def tf_venv() -> Path:
    """The interpreter of a venv holding the pinned TensorFlow CPU wheel (built on first use, then reused)."""
    with building(CACHE):
        return _tf_venv()


def _tf_venv() -> Path:
    python = base_python()
    lock = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    prefix = CACHE / f"py{_version(python)}-{TF_DISTRIBUTION}-{TF_VERSION}-{lock}"
    interpreter = prefix / "bin" / "python"
    marker = prefix / ".complete"
    if marker.is_file() and interpreter.exists():
        return interpreter
    if prefix.exists():
        shutil.rmtree(prefix)
    CACHE.mkdir(parents=True, exist_ok=True)
    _uv("venv", "--quiet", "--python", python, str(prefix))
    _uv(
        "pip",
        "install",
        "--quiet",
        "--require-hashes",
        "--only-binary",
        ":all:",
        "--python",
        str(interpreter),
        "-r",
        str(REQUIREMENTS),
    )
    marker.write_text(f"{TF_DISTRIBUTION}=={TF_VERSION}\n", encoding="utf-8")
    return interpreter


if __name__ == "__main__":
    print(tf_venv())
