"""`tfm1 lock --pip-only` against the real PyPI: it reproduces the committed locks, and refuses what cannot work."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.version import Version

from tests.support.cli import tfm1
from tfm1.lockfile import read_lockfile
from tfm1.profiles import envs_dir, list_profiles

pytestmark = pytest.mark.network


def _run(*args: str, timeout: float = 900) -> tuple[int, str, str]:
    result = tfm1(*args, timeout=timeout)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout, result.stderr


@pytest.mark.slow
def test_pip_only_reproduces_the_committed_pip_layers(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    shutil.copytree(envs_dir(), envs)
    code, out, err = _run("lock", "--pip-only", "--envs", str(envs))
    assert code == 0, out + err
    for profile in list_profiles(envs):
        committed = read_lockfile(envs_dir() / profile.name / "conda-lock.yml")
        relocked = read_lockfile(profile.lockfile)
        assert relocked.content_hash == committed.content_hash
        for platform in profile.platforms:
            old = {p.name: p for p in committed.for_platform(platform, "pip")}
            new = {p.name: p for p in relocked.for_platform(platform, "pip")}
            assert relocked.for_platform(platform, "conda") == committed.for_platform(platform, "conda")
            for name, pin in profile.pins.items():
                assert new[name].version == pin == old[name].version
            moved = False
            for name in old.keys() & new.keys():
                if old[name].version == new[name].version:
                    assert (new[name].url, new[name].sha256) == (old[name].url, old[name].sha256), name
                else:
                    # Only a newer release that the ranges allow may differ.
                    assert Version(new[name].version) > Version(old[name].version), name
                    moved = True
            if not moved:
                assert old.keys() == new.keys(), (profile.name, platform)


@pytest.mark.slow
def test_a_second_run_reports_nothing_changed(tmp_path: Path) -> None:
    import json

    envs = tmp_path / "envs"
    shutil.copytree(envs_dir() / "keras2", envs / "keras2")
    first, _, _ = _run("lock", "--pip-only", "--no-linkage", "--envs", str(envs))
    code, out, _ = _run("lock", "--pip-only", "--no-linkage", "--envs", str(envs), "--json")
    assert (first, code) == (0, 0)
    (profile,) = json.loads(out)["profiles"]
    assert profile["status"] == "unchanged"
    assert profile["changes"] == {"osx-arm64": {"added": {}, "removed": {}, "changed": {}, "rehashed": []}}
    assert profile["python"] == {"osx-arm64": "3.11.15"}


def _broken(tmp_path: Path, *pip: str) -> Path:
    """A profile with the metal profile's locked conda layer (Python 3.12) and the given pip layer."""
    envs = tmp_path / "envs"
    shutil.copytree(envs_dir() / "metal", envs / "broken")
    environment = envs / "broken" / "environment.yml"
    text = environment.read_text(encoding="utf-8")
    head = text[: text.index("  - pip:\n")]
    environment.write_text(head + "  - pip:\n" + "".join(f"      - {spec}\n" for spec in pip), encoding="utf-8")
    return envs


def test_apples_unpinned_steps_are_refused_after_resolution(tmp_path: Path) -> None:
    """`pip install tensorflow tensorflow-metal` resolves today to TF 2.21 + metal 1.2.0, a pair that cannot load."""
    envs = _broken(tmp_path, "tensorflow", "tensorflow-metal")
    before = (envs / "broken" / "conda-lock.yml").read_bytes()
    code, out, _ = _run("lock", "--pip-only", "--envs", str(envs), "--no-linkage")
    assert code == 1
    assert "broken: refused" in out
    assert "+ tensorflow-metal 1.2.0: tensorflow-metal 1.2.0 cannot load with TensorFlow 2.2" in out
    assert "Library not loaded: @rpath/_pywrap_tensorflow_internal.so" in out
    assert (envs / "broken" / "conda-lock.yml").read_bytes() == before


def test_a_package_without_a_wheel_for_the_target_fails_with_uvs_message(tmp_path: Path) -> None:
    envs = _broken(tmp_path, "tensorflow==2.12.0")  # no macOS arm64 wheel up to 2.12
    before = (envs / "broken" / "conda-lock.yml").read_bytes()
    code, out, _ = _run("lock", "--pip-only", "--envs", str(envs))
    assert code == 1
    assert "broken: failed" in out
    assert "uv cannot resolve the pip layer for osx-arm64, Python 3.12.13: No solution found" in out
    assert "Because tensorflow==2.12.0 has no wheels with a matching Python ABI tag" in out
    assert (envs / "broken" / "conda-lock.yml").read_bytes() == before


@pytest.mark.slow
def test_the_binary_linkage_check_runs_in_the_gate(tmp_path: Path) -> None:
    """With the linkage check on, a lock of the known-good pair passes it (a failing check would refuse)."""
    import json

    envs = tmp_path / "envs"
    shutil.copytree(envs_dir() / "metal", envs / "metal")
    code, out, err = _run("lock", "--pip-only", "--envs", str(envs), "--json")
    assert code == 0, out + err
    (profile,) = json.loads(out)["profiles"]
    assert profile["findings"] == []


def _python312() -> str:
    for candidate in ("/root/.pyenv/versions/3.12.1/bin/python3.12", shutil.which("python3.12")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise AssertionError("this test needs a CPython 3.12 (the cpu profile's Python) on the machine")


def test_the_cpu_linux_pip_layer_installs_here_hash_checked(tmp_path: Path) -> None:
    """uv, asked to install the locked wheels with --require-hashes into a real Python 3.12, accepts every one."""
    import os
    import subprocess

    from tfm1.uv.binary import uv_binary

    lock = read_lockfile(envs_dir() / "cpu" / "conda-lock.yml")
    pip = lock.for_platform("linux-64", "pip")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{p.name} @ {p.url} --hash=sha256:{p.sha256}\n" for p in pip))
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    venv = tmp_path / "venv"
    subprocess.run([uv_binary(), "venv", "-q", "-p", _python312(), str(venv)], check=True, env=env)
    python = str(venv / "bin" / "python")
    install = ["pip", "install", "--dry-run", "--no-deps", "--require-hashes", "-p", python, "-r", str(requirements)]
    result = subprocess.run(
        [uv_binary(), *install],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n + ") == len(pip) and len(pip) > 20
