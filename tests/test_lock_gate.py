"""The gate on sets of packages, and `tfm1 lock` refusing a broken environment.yml before resolving anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.cli import tfm1, tfm1_json
from tfm1.lock.gate import GateFinding, check
from tfm1.profiles import envs_dir

MAC = "osx-arm64"


def errors(findings: list[GateFinding]) -> list[str]:
    return [str(f) for f in findings if f.severity == "error"]


def test_known_good_pairs_pass() -> None:
    assert check({"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0", "numpy": "2.1.3"}, MAC, "3.12.13") == []
    assert check({"tensorflow-macos": "2.15.0", "tensorflow-metal": "1.1.0", "numpy": "1.26.4"}, MAC, "3.11.15") == []
    shim = {"tensorflow-macos": "2.16.2", "tensorflow": "2.16.2", "tensorflow-metal": "1.2.0", "numpy": "1.26.4"}
    assert check(shim, MAC, "3.12.13") == []
    assert check({"tensorflow": "2.21.0", "numpy": "2.5.5"}, "linux-64", "3.12.13") == []


def test_tf_221_with_metal_120_is_refused_with_the_import_error() -> None:
    (error,) = errors(check({"tensorflow": "2.21.0", "tensorflow-metal": "1.2.0"}, MAC, "3.12.13"))
    assert error.startswith("tensorflow 2.21.0 + tensorflow-metal 1.2.0: tensorflow-metal 1.2.0 cannot load")
    assert "Library not loaded: @rpath/_pywrap_tensorflow_internal.so" in error


def test_metal_110_with_tf_218_is_refused_with_the_missing_symbol() -> None:
    (error,) = errors(check({"tensorflow": "2.18.1", "tensorflow-metal": "1.1.0"}, MAC, "3.11.15"))
    assert "Symbol not found: __ZN3tsl8internal10LogMessageC1EPKcii" in error


def test_metal_on_python_313_is_refused() -> None:
    found = errors(check({"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0"}, MAC, "3.13.0"))
    assert (
        "tensorflow-metal 1.2.0 + Python 3.13: tensorflow-metal 1.2.0 has wheels only for Python 3.9, 3.10, "
        "3.11, 3.12" in found
    )
    assert any(e.startswith("tensorflow 2.19.1 + Python 3.13: ") for e in found)


def test_the_empty_tensorflow_macos_2151_is_refused() -> None:
    found = errors(check({"tensorflow-macos": "2.15.1", "tensorflow-metal": "1.1.0"}, MAC, "3.11.15"))
    assert found[0] == (
        "tensorflow-macos 2.15.1: an empty wheel whose only requirement is itself: it installs no tensorflow module"
    )
    assert "tensorflow-metal 1.1.0: tensorflow-metal without TensorFlow: nothing loads the plugin" in found


def test_numpy_outside_tensorflows_range_is_refused() -> None:
    (error,) = errors(check({"tensorflow": "2.19.1", "numpy": "2.2.0"}, MAC, "3.12.13"))
    assert error == "tensorflow 2.19.1 + numpy 2.2.0: tensorflow 2.19.1 needs numpy>=1.26.0,<2.2.0"


def test_two_tensorflow_distributions_are_refused() -> None:
    (error,) = errors(check({"tensorflow": "2.19.1", "tensorflow-cpu": "2.19.1"}, "linux-64", "3.12.13"))
    assert "both provide the tensorflow package" in error


def test_metal_on_linux_is_refused() -> None:
    found = errors(check({"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0"}, "linux-64", "3.12.13"))
    assert found == ["tensorflow-metal 1.2.0: tensorflow-metal is for macOS on Apple silicon, not linux-64"]


def test_a_degraded_pair_warns_without_refusing() -> None:
    (finding,) = check({"tensorflow": "2.16.2", "tensorflow-metal": "1.1.0", "numpy": "1.26.4"}, MAC, "3.11.15")
    assert finding.severity == "warning" and "#63854" in finding.reason


def _profile(tmp_path: Path, python: str, *pip: str, platforms: tuple[str, ...] = (MAC,)) -> Path:
    envs = tmp_path / "envs"
    folder = envs / "broken"
    folder.mkdir(parents=True)
    lines = [
        "name: broken",
        "description: a deliberately broken profile",
        "channels: [conda-forge]",
        f"platforms: [{', '.join(platforms)}]",
        "dependencies:",
        f"  - python={python}",
        "  - pip",
        "  - pip:",
        *(f"      - {spec}" for spec in pip),
    ]
    (folder / "environment.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return envs


@pytest.mark.parametrize("pip_only", [True, False])
def test_lock_refuses_tf_221_with_metal_120_and_writes_nothing(tmp_path: Path, pip_only: bool) -> None:
    envs = _profile(tmp_path, "3.12", "tensorflow==2.21.0", "tensorflow-metal==1.2.0")
    result = tfm1("lock", "--envs", str(envs), *(["--pip-only"] if pip_only else []))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken: refused" in result.stdout
    assert "tensorflow 2.21.0 + tensorflow-metal 1.2.0: tensorflow-metal 1.2.0 cannot load with TensorFlow 2.21.0" in (
        result.stdout
    )
    assert "Traceback" not in result.stderr
    assert not (envs / "broken" / "conda-lock.yml").exists()


def test_lock_refuses_metal_on_python_313(tmp_path: Path) -> None:
    envs = _profile(tmp_path, "3.13", "tensorflow==2.19.1", "tensorflow-metal==1.2.0")
    code, data = tfm1_json("lock", "--envs", str(envs), "--pip-only")
    assert code == 1
    (profile,) = data["profiles"]
    assert (profile["status"], profile["ok"]) == ("refused", False)
    assert {
        "severity": "error",
        "subject": "tensorflow-metal 1.2.0 + Python 3.13",
        "reason": "tensorflow-metal 1.2.0 has wheels only for Python 3.9, 3.10, 3.11, 3.12",
    } in profile["findings"]
    assert not (envs / "broken" / "conda-lock.yml").exists()


def test_pip_only_without_a_locked_conda_layer_fails_cleanly(tmp_path: Path) -> None:
    envs = _profile(tmp_path, "3.12", "tensorflow==2.19.1")
    result = tfm1("lock", "--envs", str(envs), "--pip-only")
    assert result.returncode == 1
    assert "--pip-only keeps the locked conda layer, but the lock has none for osx-arm64" in result.stdout
    assert "Traceback" not in result.stderr


def test_an_unsupported_platform_is_refused_cleanly(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    shutil.copytree(envs_dir() / "cpu", envs / "cpu")
    text = (envs / "cpu" / "environment.yml").read_text(encoding="utf-8")
    (envs / "cpu" / "environment.yml").write_text(text.replace("  - linux-64\n", "  - win-64\n"), encoding="utf-8")
    result = tfm1("lock", "--envs", str(envs), "--pip-only")
    assert result.returncode == 1
    assert "tfm1 lock cannot lock for platform 'win-64'" in result.stdout
    assert "Traceback" not in result.stderr
