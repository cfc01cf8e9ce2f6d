"""`tfm1 lock --check` on altered copies of envs/: stale inputs, damaged entries, missing platforms, broken pairs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.cli import tfm1, tfm1_json
from tfm1.lock.spec import content_hashes
from tfm1.lockfile import LockedPackage, read_lockfile, write_lockfile
from tfm1.profiles import envs_dir, get_profile


def _copy(tmp_path: Path, *names: str) -> Path:
    envs = tmp_path / "envs"
    for name in names:
        shutil.copytree(envs_dir() / name, envs / name)
    return envs


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _check(envs: Path, *extra: str) -> tuple[int, str]:
    env = {**os.environ, "TFM1_CACHE_DIR": str(envs.parent / "cache")}
    result = tfm1("lock", "--check", "--envs", str(envs), *extra, env=env)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stdout + result.stderr


def test_a_copy_of_the_committed_envs_passes(tmp_path: Path) -> None:
    code, out = _check(_copy(tmp_path, "metal", "cpu"))
    assert code == 0, out


def test_a_changed_pin_makes_the_lock_stale_and_shows_a_diff(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "metal")
    _edit(envs / "metal" / "environment.yml", "tensorflow==2.19.1", "tensorflow==2.19.0")
    code, out = _check(envs)
    assert code == 1
    assert "stale: environment.yml changed since the lock was made" in out
    assert "-pip: tensorflow==2.19.1" in out and "+pip: tensorflow==2.19.0" in out
    assert "environment.yml wants tensorflow==2.19.0, the lock has tensorflow 2.19.1" in out


def test_json_check_carries_the_diff(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "metal")
    _edit(envs / "metal" / "environment.yml", "python=3.12", "python=3.11")
    code, data = tfm1_json("lock", "--check", "--envs", str(envs))
    assert code == 1 and data["ok"] is False
    (profile,) = data["profiles"]
    assert "-conda: python=3.12\n+conda: python=3.11\n" in profile["diff"]
    assert any("locked Python 3.12.13, environment.yml asks for 3.11" in p for p in profile["problems"])


def test_description_and_comments_are_not_inputs(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "metal")
    environment = envs / "metal" / "environment.yml"
    _edit(environment, "description: GPU", "description: A GPU")
    environment.write_text("# another comment\n" + environment.read_text(encoding="utf-8"), encoding="utf-8")
    code, out = _check(envs)
    assert code == 0, out


def test_a_new_platform_is_stale_and_missing(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "metal")
    _edit(envs / "metal" / "environment.yml", "  - osx-arm64\n", "  - osx-arm64\n  - linux-64\n")
    code, out = _check(envs)
    assert code == 1
    assert "no linux-64 packages in the lock" in out and "+platform: linux-64" in out


def test_a_conda_entry_without_md5_fails_the_parsers_and_the_check(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "keras2")
    lock = envs / "keras2" / "conda-lock.yml"
    text = lock.read_text(encoding="utf-8")
    text, count = re.subn(r"\n    md5: [0-9a-f]{32}", "", text, count=1)
    assert count == 1
    lock.write_text(text, encoding="utf-8")
    code, out = _check(envs)
    assert code == 1
    assert "conda-lock cannot parse the lock" in out and "missing or malformed md5" in out


def test_a_wheel_for_another_platform_fails(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "metal")
    _edit(
        envs / "metal" / "conda-lock.yml", "cp312-cp312-macosx_12_0_arm64.whl", "cp312-cp312-manylinux_2_27_x86_64.whl"
    )
    code, out = _check(envs)
    assert code == 1
    assert re.search(
        r"pip entry [a-z-]+: \S+manylinux_2_27_x86_64\.whl does not install on osx-arm64, Python 3\.12", out
    )


def test_a_wheel_for_another_python_fails(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "keras2")
    _edit(
        envs / "keras2" / "conda-lock.yml", "tensorflow_macos-2.15.0-cp311-cp311", "tensorflow_macos-2.15.0-cp310-cp310"
    )
    code, out = _check(envs)
    assert code == 1 and "does not install on osx-arm64, Python 3.11.15" in out


def test_a_lock_with_a_broken_pair_fails_even_when_current(tmp_path: Path) -> None:
    """A lock edited by hand to TF 2.21 + metal 1.2.0, hashes made consistent: --check still refuses it."""
    envs = _copy(tmp_path, "metal")
    _edit(envs / "metal" / "environment.yml", "tensorflow==2.19.1", "tensorflow==2.21.0")
    profile = get_profile("metal", envs)
    lock = read_lockfile(profile.lockfile)
    lock.packages = [
        LockedPackage(
            name=p.name,
            version="2.21.0",
            manager="pip",
            platform=p.platform,
            url=p.url.replace("2.19.1", "2.21.0"),
            sha256=p.sha256,
        )
        if p.name == "tensorflow"
        else p
        for p in lock.packages
    ]
    lock.content_hash = content_hashes(profile)
    write_lockfile(lock, profile.lockfile)
    code, out = _check(envs)
    assert code == 1
    assert "stale" not in out
    assert (
        "tensorflow 2.21.0 + tensorflow-metal 1.2.0: tensorflow-metal 1.2.0 cannot load with TensorFlow 2.21.0" in out
    )
    assert "Library not loaded: @rpath/_pywrap_tensorflow_internal.so" in out


def test_a_missing_lockfile_fails(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "cpu")
    (envs / "cpu" / "conda-lock.yml").unlink()
    code, out = _check(envs)
    assert code == 1 and "no lockfile at" in out


def test_an_unreadable_lockfile_fails_in_one_line(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "cpu")
    (envs / "cpu" / "conda-lock.yml").write_text("version: 1\nmetadata: [\n", encoding="utf-8")
    code, out = _check(envs)
    assert code == 1
    (line,) = [line for line in out.splitlines() if "is not a conda-lock version 1 lockfile" in line]
    assert "invalid YAML: " in line and line.endswith(" at line 3, column 1")


def test_a_malformed_environment_file_is_one_error_line(tmp_path: Path) -> None:
    envs = _copy(tmp_path, "cpu")
    _edit(envs / "cpu" / "environment.yml", "  - python=3.12\n", "")
    result = tfm1("lock", "--check", "--envs", str(envs))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tfm1: error: {envs / 'cpu' / 'environment.yml'}: the conda dependencies must pin exactly one Python minor "
        "version, e.g. `python=3.12`.",
        "  fix: see envs/metal/environment.yml for the expected shape",
    ]


def test_a_lock_conda_lock_accepted_is_not_parsed_again_until_it_changes(tmp_path: Path) -> None:
    """conda-lock takes seconds to import: `--check` of an unchanged lock stays instant."""
    envs = _copy(tmp_path, "keras2")
    env = {**os.environ, "TFM1_CACHE_DIR": str(tmp_path / "cache")}
    code = (
        "import sys\nfrom pathlib import Path\nfrom tfm1.lock.check import check_profile\n"
        "from tfm1.profiles import get_profile\n"
        f"result = check_profile(get_profile('keras2', Path({str(envs)!r})))\n"
        "print(result.ok, 'conda_lock' in sys.modules)"
    )

    def run() -> str:
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout

    assert run().split() == ["True", "True"]  # parsed by conda-lock, and remembered
    assert run().split() == ["True", "False"]  # the same content: conda-lock is not even imported
    lock = envs / "keras2" / "conda-lock.yml"
    text = lock.read_text(encoding="utf-8")
    lock.write_text(re.sub(r"\n    md5: [0-9a-f]{32}", "", text, count=1), encoding="utf-8")
    status, out = _check(envs)
    assert status == 1 and "conda-lock cannot parse the lock" in out  # new content, parsed again
