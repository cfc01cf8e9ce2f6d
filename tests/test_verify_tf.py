"""`tfm1 verify` against the real TensorFlow CPU wheel for Linux, installed in a cached throw-away venv."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import tfm1, tfm1_json
from tests.support.tf_venv import TF_VERSION, base_python, tf_venv
from tfm1.verify.evaluate import evaluate
from tfm1.verify.script_runner import run_script

pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def tf_python() -> Path:
    return tf_venv()


def overlay(tmp_path: Path, tf_python: Path) -> Path:
    """A venv of its own (so its own prefix, for a receipt) that sees the cached TensorFlow through a .pth file."""
    prefix = tmp_path / "env"
    subprocess.run([base_python(), "-m", "venv", "--without-pip", str(prefix)], check=True)
    (site,) = (prefix / "lib").glob("python3.*/site-packages")
    (tf_site,) = (tf_python.parent.parent / "lib").glob("python3.*/site-packages")
    (site / "tensorflow_site.pth").write_text(f"{tf_site}\n", encoding="utf-8")
    return prefix


def write_receipt(prefix: Path, packages: dict[str, str]) -> None:
    receipt = {
        "tfm1_receipt": 1,
        "profile": "cpu",
        "lockfile": "envs/cpu/conda-lock.yml",
        "lockfile_sha256": "0" * 64,
        "platform": "linux-64",
        "packages": packages,
        "created": "2026-11-25T08:00:00Z",
    }
    (prefix / "etc" / "tfm1").mkdir(parents=True)
    (prefix / "etc" / "tfm1" / "receipt.json").write_text(json.dumps(receipt), encoding="utf-8")


def base_python_version() -> str:
    done = subprocess.run(
        [base_python(), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {check["key"]: check["status"] for check in result["checks"]}


@pytest.fixture(scope="module")
def full_result(tf_python: Path) -> tuple[int, dict[str, Any]]:
    code, result = tfm1_json("verify", "--python", str(tf_python))
    return code, result


def test_every_check_passes_and_gpu_is_skipped(full_result: tuple[int, dict[str, Any]]) -> None:
    code, result = full_result
    assert code == 0, result
    assert result["ok"] is True
    assert result["diagnosis"] is None
    assert statuses(result) == {"build": "pass", "devices": "pass", "math": "pass", "keras": "pass", "gpu": "skip"}
    checks = {check["key"]: check for check in result["checks"]}
    assert checks["build"]["details"]["tensorflow"] == TF_VERSION
    assert checks["build"]["details"]["python"] == base_python_version()
    assert checks["devices"]["details"]["gpu"] == []
    assert checks["math"]["details"]["result"] == [22.0, 28.0, 49.0, 64.0]
    keras = checks["keras"]["details"]
    assert keras["source"] == "synthetic"
    assert keras["loss"][-1] < keras["loss"][0] / 2
    assert keras["test_accuracy"] > keras["chance"] + 0.5
    assert checks["gpu"]["summary"] == "no GPU: TensorFlow lists none on this machine"
    assert result["seconds"] < 60


def test_verify_kernel_passes_the_same_checks_through_a_kernelspec(tf_python: Path, tmp_path: Path) -> None:
    # As `ipykernel install --user` would register the environment; verify needs only its argv[0] and env.
    folder = tmp_path / "jupyter" / "kernels" / "tf-cpu"
    folder.mkdir(parents=True)
    argv = [str(tf_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (folder / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "TF", "language": "python"}))
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "HOME": str(tmp_path)}
    done = tfm1("verify", "--kernel", "tf-cpu", "--json", env=env, timeout=600)
    result = json.loads(done.stdout)
    # What test_every_check_passes_and_gpu_is_skipped asserts for `verify --python`.
    assert statuses(result) == {"build": "pass", "devices": "pass", "math": "pass", "keras": "pass", "gpu": "skip"}
    assert done.returncode == 0 and result["ok"] is True and result["python"] == str(tf_python)
    assert result["target"]["source"] == f"--kernel {folder / 'kernel.json'}"


def test_quick_human_output(tf_python: Path) -> None:
    done = tfm1("verify", "--python", str(tf_python), "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert lines[-1].startswith(f"PASS: TensorFlow {TF_VERSION} works: 3 checks passed, skipped: Keras, GPU")
    assert "[[22, 28], [49, 64]], exact" in done.stdout
    assert "Traceback" not in done.stderr


def test_comparison_path_runs_on_real_tensorflow_against_the_cpu(
    tf_python: Path, full_result: tuple[int, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GPU check's computations, with the CPU standing in for the GPU, go through the real judge."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras-home"))
    run = run_script(str(tf_python), ["--accelerator", "/CPU:0", "--dataset", "mnist"], timeout=120, progress=None)
    assert run.data is not None and run.data["finished"], run.stderr
    gpu = next(check for check in evaluate(run.data) if check.key == "gpu")
    assert gpu.status == "pass", gpu.summary
    assert [c["name"] for c in gpu.details["comparisons"]] == [
        "matmul",
        "train step loss",
        "train step logits",
        "train step updated weights",
        "graph-mode Dense+relu",
        "matmul vs exact",
    ]
    assert all(c["ok"] and c["count"] > 0 for c in gpu.details["comparisons"])
    assert gpu.details["timing"]["speedup"] > 0
    # --dataset mnist with no MNIST in Keras' cache falls back to generated data, and says so.
    assert "used synthetic data" in run.data["keras"]["note"]
    # Seeded: a second training run on the same data gives the same losses and accuracy, to the last bit.
    keras = next(check for check in full_result[1]["checks"] if check["key"] == "keras")["details"]
    assert run.data["keras"]["loss"] == keras["loss"]
    assert run.data["keras"]["test_accuracy"] == keras["test_accuracy"]


def test_dataset_mnist_reads_keras_cache(tf_python: Path, tmp_path: Path) -> None:
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    # An MNIST-format file (the arrays and dtypes of keras' mnist.npz) holding digits drawn from ten templates.
    make = (
        "import numpy as np, sys\n"
        "r = np.random.default_rng(0)\n"
        "t = r.integers(0, 256, (10, 28, 28))\n"
        "def part(n):\n"
        "    y = r.integers(0, 10, n).astype('uint8')\n"
        "    x = (0.3 * t[y] + 0.7 * r.integers(0, 256, (n, 28, 28))).astype('uint8')\n"
        "    return x, y\n"
        "(a, b), (c, d) = part(5000), part(1200)\n"
        "np.savez(sys.argv[1], x_train=a, y_train=b, x_test=c, y_test=d)\n"
    )
    subprocess.run([str(tf_python), "-c", make, str(keras_home / "datasets" / "mnist.npz")], check=True)
    env = {**os.environ, "KERAS_HOME": str(keras_home)}
    code, result = tfm1_json("verify", "--python", str(tf_python), "--dataset", "mnist", env=env)
    assert code == 0, result
    keras = next(check for check in result["checks"] if check["key"] == "keras")
    assert keras["status"] == "pass"
    assert keras["details"]["source"] == str(keras_home / "datasets" / "mnist.npz")
    assert keras["details"]["train_samples"] == 4096
    assert keras["details"]["note"] == ""


def test_receipt_that_matches_passes(tf_python: Path, tmp_path: Path) -> None:
    prefix = overlay(tmp_path, tf_python)
    write_receipt(prefix, {"python": base_python_version(), "tensorflow": TF_VERSION})
    code, result = tfm1_json("verify", "--prefix", str(prefix), "--quick")
    assert code == 0, result
    build = result["checks"][0]
    assert build["status"] == "pass"
    assert "matches the cpu lock" in build["summary"]
    assert build["details"]["prefix"] == str(prefix)


def test_receipt_that_differs_fails_the_build_check(tf_python: Path, tmp_path: Path) -> None:
    prefix = overlay(tmp_path, tf_python)
    write_receipt(prefix, {"python": "3.12.13", "tensorflow": "2.19.1", "tensorflow-metal": "1.2.0"})
    code, result = tfm1_json("verify", "--prefix", str(prefix), "--quick")
    assert code == 1
    build = result["checks"][0]
    assert build["status"] == "fail"
    mismatches = build["details"]["receipt"]["mismatches"]
    assert f"tensorflow {TF_VERSION} (locked 2.19.1)" in mismatches
    assert "tensorflow-metal missing (locked 1.2.0)" in mismatches
    assert any(m.startswith("python ") for m in mismatches)
    assert result["verdict"] == "FAIL: 1 of 5 checks failed (Build)"


def test_tensorflow_venv_holds_the_pinned_wheel(tf_python: Path) -> None:
    version = subprocess.run(
        [str(tf_python), "-c", "from importlib.metadata import version; print(version('tensorflow-cpu'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == TF_VERSION


def test_setup_s_check_holds_the_build_to_the_lock_it_installed_not_to_the_receipt_it_finds(
    tf_python: Path, tmp_path: Path
) -> None:
    from tfm1.verify import CheckOptions, check_made

    # The interpreter's own environment has a receipt that matches it (`tfm1 verify` passes it: the test above);
    # setup, which installed another TensorFlow, holds what actually starts to what it installed.
    prefix = overlay(tmp_path, tf_python)
    write_receipt(prefix, {"python": base_python_version(), "tensorflow": TF_VERSION})
    installed = {"profile": "metal", "packages": {"tensorflow": "2.19.1"}}
    result = check_made(str(prefix / "bin" / "python"), CheckOptions(quick=True), installed)
    build = result.checks[0]
    assert build.status == "fail", build.summary
    assert build.details["receipt"]["mismatches"] == [f"tensorflow {TF_VERSION} (locked 2.19.1)"]
    assert build.details["receipt"]["profile"] == "metal"
