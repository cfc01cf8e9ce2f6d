"""The pass / fail / skip rules for the build, devices, math and Keras checks, with injected measurements."""

from __future__ import annotations

from typing import Any

from tfm1.verify.evaluate import evaluate, judge_build, judge_devices, judge_keras, judge_math, receipt_mismatches
from tfm1.verify.result import VerifyResult


def build(**overrides: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "python": "3.12.13",
        "system": "Darwin",
        "machine": "arm64",
        "macos": "15.1",
        "hw_optional_arm64": "1",
        "proc_translated": "0",
        "prefix": "/Users/me/miniforge3/envs/tfm1",
        "distributions": {"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0", "numpy": "2.1.3"},
        "seconds": 0.01,
    }
    facts.update(overrides)
    return facts


def mac_data(**build_overrides: Any) -> dict[str, Any]:
    return {
        "stage": "gpu",
        "finished": True,
        "build": build(**build_overrides),
        "import": {"ok": True, "tensorflow": "2.19.1", "seconds": 2.0},
        "devices": {"cpu": ["/physical_device:CPU:0"], "gpu": ["/physical_device:GPU:0"], "seconds": 0.01},
        "math": {"result": {"shape": [2, 2], "values": [22.0, 28.0, 49.0, 64.0], "device": "GPU:0"}, "seconds": 0.1},
    }


RECEIPT = {
    "tfm1_receipt": 1,
    "profile": "default",
    "packages": {"python": "3.12.13", "tensorflow": "2.19.1", "tensorflow-metal": "1.2.0"},
}


def test_native_build_matching_its_receipt_passes() -> None:
    check = judge_build(mac_data(), RECEIPT)
    assert check.status == "pass", check.summary
    assert "matches the default lock" in check.summary
    assert check.details["receipt"]["mismatches"] == []
    assert check.seconds == 2.01


def test_build_that_differs_from_its_receipt_fails_naming_each_difference() -> None:
    data = mac_data(distributions={"tensorflow": "2.21.0", "numpy": "2.3.0"})
    data["import"]["tensorflow"] = "2.21.0"
    check = judge_build(data, RECEIPT)
    assert check.status == "fail"
    assert "tensorflow 2.21.0 (locked 2.19.1)" in check.summary
    assert "tensorflow-metal missing (locked 1.2.0)" in check.summary
    assert "python" not in check.details["receipt"]["mismatches"][0]


def test_receipt_versions_compare_as_versions() -> None:
    assert (
        receipt_mismatches({"python": "3.12.13", "tensorflow": "2.19.1"}, {"packages": {"tensorflow": "2.19.1.0"}})
        == []
    )
    assert receipt_mismatches({"python": "3.11.7"}, {"packages": {"python": "3.12.13"}}) == [
        "python 3.11.7 (locked 3.12.13)"
    ]


def test_x86_python_on_apple_silicon_fails_the_build_check() -> None:
    check = judge_build(mac_data(machine="x86_64", proc_translated="1"), None)
    assert check.status == "fail"
    assert "x86_64 Python under Rosetta on Apple silicon" in check.summary


def test_linux_build_passes_without_receipt() -> None:
    data = mac_data(
        system="Linux", machine="x86_64", hw_optional_arm64=None, distributions={"tensorflow-cpu": "2.21.0"}
    )
    check = judge_build(data, None)
    assert check.status == "pass"
    assert check.details["tensorflow"] == "2.19.1"  # tf.__version__ wins over distribution metadata
    assert check.details["receipt"] is None


def test_metal_installed_but_no_gpu_fails_the_devices_check() -> None:
    data = mac_data()
    data["devices"]["gpu"] = []
    check = judge_devices(data)
    assert check.status == "fail"
    assert "tensorflow-metal 1.2.0 is installed but TensorFlow lists no GPU" in check.summary


def test_no_gpu_without_metal_passes_and_says_cpu_only() -> None:
    data = mac_data(distributions={"tensorflow": "2.19.1"})
    data["devices"]["gpu"] = []
    check = judge_devices(data)
    assert check.status == "pass"
    assert "CPU only" in check.summary


def test_gpu_listed_passes() -> None:
    check = judge_devices(mac_data())
    assert check.status == "pass"
    assert check.summary == "1 CPU, 1 GPU (GPU:0)"


def test_matmul_must_be_exact() -> None:
    data = mac_data()
    assert judge_math(data).status == "pass"
    data["math"]["result"]["values"] = [22.0, 28.0, 49.0, 64.00001]
    check = judge_math(data)
    assert check.status == "fail"
    assert "expected [[22, 28], [49, 64]]" in check.summary


def keras(loss: list[float], accuracy: float, chance: float = 0.11, note: str = "") -> dict[str, Any]:
    return {"keras": {"loss": loss, "test_accuracy": accuracy, "chance": chance, "note": note, "seconds": 3.0}}


def test_keras_that_learns_passes() -> None:
    check = judge_keras(keras([2.0, 1.1, 0.5, 0.2, 0.1], 0.99))
    assert check.status == "pass"
    assert check.summary.startswith("loss 2.000 → 0.100 in 5 epochs, test accuracy 0.990")


def test_keras_whose_loss_does_not_fall_fails() -> None:
    check = judge_keras(keras([2.3, 2.3, 2.29, 2.3, 2.28], 0.95))
    assert check.status == "fail"
    assert "the loss did not fall" in check.summary


def test_keras_at_chance_fails() -> None:
    check = judge_keras(keras([2.0, 0.5], 0.35))
    assert check.status == "fail"
    assert "accuracy is not 0.5 above chance" in check.summary


def test_keras_nan_loss_fails() -> None:
    assert judge_keras(keras([2.0, float("nan")], 0.9)).status == "fail"


def test_quick_runs_only_the_first_three_checks() -> None:
    checks = evaluate(mac_data(), quick=True)
    assert [(c.key, c.status) for c in checks] == [
        ("build", "pass"),
        ("devices", "pass"),
        ("math", "pass"),
        ("keras", "skip"),
        ("gpu", "skip"),
    ]


def test_a_check_the_interpreter_died_in_fails_and_later_ones_are_not_reached() -> None:
    data = mac_data()
    data.update(stage="keras", finished=False)
    statuses = {c.key: (c.status, c.summary) for c in evaluate(data)}
    assert statuses["keras"] == ("fail", "the interpreter stopped during this check")
    assert statuses["gpu"] == ("skip", "not reached")
    assert statuses["math"][0] == "pass"


def test_failed_import_fails_build_and_skips_the_rest() -> None:
    data = {
        "stage": "import",
        "finished": True,
        "build": build(),
        "import": {"error": {"type": "NotFoundError", "message": "dlopen(libmetal_plugin.dylib)\n..."}},
    }
    checks = evaluate(data)
    assert checks[0].status == "fail"
    assert "import tensorflow failed: NotFoundError: dlopen(libmetal_plugin.dylib)" in checks[0].summary
    assert {c.status for c in checks[1:]} == {"skip"}


def test_verdict_lists_failed_checks() -> None:
    data = mac_data()
    data["math"]["result"]["values"] = [0.0, 0.0, 0.0, 0.0]
    result = VerifyResult(python="/x/bin/python", checks=evaluate(data, quick=True))
    assert not result.ok
    assert result.verdict() == "FAIL: 1 of 5 checks failed (Tensor math)"
    assert result.to_json()["ok"] is False


def test_a_malformed_document_fails_the_check_instead_of_raising() -> None:
    data = mac_data()
    data["math"] = {"result": {"values": "garbage"}}
    data["gpu"] = {"accelerator_results": {}}
    checks = {c.key: c for c in evaluate(data)}
    assert checks["math"].status == "fail"
    assert checks["gpu"].status == "fail"
    assert checks["gpu"].summary.startswith("unreadable result from the check script (KeyError")


def test_a_tensorflow_macos_lock_is_compared_with_the_imported_tensorflow() -> None:
    receipt = {"packages": {"python": "3.11.15", "tensorflow-macos": "2.15.0", "tensorflow-metal": "1.1.0"}}
    found: dict[str, str | None] = {"python": "3.11.15", "tensorflow": "2.15.0", "tensorflow-metal": "1.1.0"}
    assert receipt_mismatches(found, receipt) == []
    assert receipt_mismatches({**found, "tensorflow": "2.16.2"}, receipt) == ["tensorflow 2.16.2 (locked 2.15.0)"]


# --- --expect-gpu ---------------------------------------------------------------------------------------------------


def _no_gpu(**build_overrides: Any) -> dict[str, Any]:
    data = mac_data(**build_overrides)
    data["devices"]["gpu"] = []
    return data


def test_auto_in_a_vm_without_a_gpu_passes_and_names_the_vm() -> None:
    check = judge_devices(_no_gpu(hv_vmm_present="1"), "auto")
    assert check.status == "pass", check.summary
    assert "tensorflow-metal 1.2.0 loaded, no GPU listed; a virtual machine (kern.hv_vmm_present = 1)" in check.summary


def test_auto_on_bare_metal_without_a_gpu_fails() -> None:
    assert judge_devices(_no_gpu(hv_vmm_present="0"), "auto").status == "fail"


def test_no_gpu_expected_passes_without_a_gpu_even_on_bare_metal() -> None:
    check = judge_devices(_no_gpu(hv_vmm_present="0"), "no")
    assert check.status == "pass"
    assert "none expected (--expect-gpu no)" in check.summary
    data = _no_gpu()
    data["stage"] = "math"
    gpu = next(c for c in evaluate(data, expect_gpu="no") if c.key == "gpu")
    assert (gpu.status, gpu.summary) == ("skip", "no GPU expected (--expect-gpu no): every check ran on the CPU")


def test_gpu_expected_fails_without_a_gpu_even_in_a_vm_or_without_metal() -> None:
    for data in (_no_gpu(hv_vmm_present="1"), _no_gpu(distributions={"tensorflow": "2.19.1"})):
        check = judge_devices(data, "yes")
        assert check.status == "fail"
        assert "a GPU is expected (--expect-gpu yes) but TensorFlow lists none" in check.summary


def test_a_gpu_hidden_for_expect_gpu_no_is_said() -> None:
    data = mac_data()
    data["devices"]["gpu_hidden"] = True
    check = judge_devices(data, "no")
    assert check.status == "pass"
    assert check.summary == "1 CPU, 1 GPU (GPU:0), hidden: no GPU expected (--expect-gpu no)"
