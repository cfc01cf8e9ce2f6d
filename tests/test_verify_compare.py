"""The GPU-vs-CPU comparison and the GPU check's verdict, with injected results."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfm1.verify.compare import ATOL, RTOL, compare
from tfm1.verify.evaluate import judge_gpu

GPU = "/job:localhost/replica:0/task:0/device:GPU:0"
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


def test_equal_results_match() -> None:
    result = compare("t", [1.0, -2.5, 0.0], [1.0, -2.5, 0.0])
    assert result.ok
    assert result.max_abs_diff == 0.0
    assert result.count == 3


def test_float32_rounding_is_within_tolerance() -> None:
    cpu = [0.731, -12.4, 3.3e-3, 0.0, 88.0]
    # Differences the size of float32 rounding in a 784-term sum, relative to each value and to the scale.
    accelerator = [v * (1 + 3e-6) + 88.0 * 2e-7 for v in cpu]
    result = compare("t", accelerator, cpu)
    assert result.ok, result.reason
    assert 0 < result.max_rel_diff < 1e-5


def test_near_zero_values_are_judged_against_the_tensor_scale() -> None:
    # A relu output of 0 on the CPU and 5e-6 on the GPU is rounding when the tensor's values reach 10.
    assert compare("t", [5e-6, 10.0], [0.0, 10.0]).ok


def test_wrong_result_is_caught_and_located() -> None:
    cpu = [1.0, 2.0, 3.0, 4.0]
    result = compare("t", [1.0, 2.0, 3.3, 4.0], cpu)
    assert not result.ok
    assert "1 of 4 values differ" in result.reason
    assert "[2]" in result.reason
    assert result.max_abs_diff == pytest.approx(0.3)


def test_zeros_from_a_broken_kernel_are_wrong() -> None:
    assert not compare("t", [0.0, 0.0, 0.0], [0.5, 1.5, 2.5]).ok


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_accelerator_values_are_wrong(bad: float) -> None:
    result = compare("t", [1.0, bad], [1.0, 2.0])
    assert not result.ok
    assert result.max_abs_diff == math.inf


def test_shape_and_length_mismatch_are_wrong() -> None:
    assert "shape" in compare("t", [1, 2, 3, 4], [1, 2, 3, 4], shapes=([4], [2, 2])).reason
    assert not compare("t", [1.0], [1.0, 2.0]).ok


def test_exact_comparison_rejects_any_difference() -> None:
    assert compare("t", [22.0, 28.0], [22.0, 28.0], rtol=0, atol=0).ok
    assert not compare("t", [22.0, 28.000002], [22.0, 28.0], rtol=0, atol=0).ok


@given(st.lists(st.floats(-1e6, 1e6, width=32), min_size=1, max_size=50), st.floats(-0.5, 0.5))
def test_tolerance_boundary(values: list[float], fraction: float) -> None:
    """A perturbation below the bound always passes; one clearly above it always fails."""
    scale = max(abs(v) for v in values) or 1.0
    bound = RTOL * abs(values[0]) + ATOL * scale
    inside = [values[0] + fraction * bound, *values[1:]]
    assert compare("t", inside, values).ok
    outside = [values[0] + 3 * bound, *values[1:]]
    assert not compare("t", outside, values).ok


# --- the GPU check's verdict from a whole injected stage ----------------------------------------------------


def tensor(values: list[float], shape: list[int], device: str) -> dict[str, Any]:
    return {"shape": shape, "values": values, "device": device}


def results(device: str, scale: float = 1.0) -> dict[str, Any]:
    logits = [0.1 * i - 1.0 for i in range(20)]
    weights = [0.01 * i for i in range(30)]
    dense = [max(0.0, 0.3 * i - 2.0) for i in range(24)]
    return {
        "matmul": tensor([22.0, 28.0, 49.0, 64.0], [2, 2], device),
        "train_step": {
            "loss": tensor([2.3 * scale], [], device),
            "logits": tensor([v * scale for v in logits], [2, 10], device),
            "updated_w2": tensor([v * scale for v in weights], [3, 10], device),
        },
        "dense_relu": {"result": tensor([v * scale for v in dense], [4, 6], device)},
    }


def stage(accelerator: dict[str, Any]) -> dict[str, Any]:
    return {
        "gpu": {
            "accelerator": "/GPU:0",
            "accelerator_results": accelerator,
            "cpu_results": results(CPU),
            "timing": {"size": 2048, "accelerator_seconds": 0.01, "cpu_seconds": 0.08},
            "seconds": 1.5,
        }
    }


def test_gpu_check_passes_when_every_result_matches() -> None:
    check = judge_gpu(stage(results(GPU)))
    assert check.status == "pass", check.summary
    assert "6 of 6 results match the CPU" in check.summary
    assert "8.0× faster" in check.summary
    assert check.details["timing"]["speedup"] == pytest.approx(8.0)


def test_gpu_check_passes_within_float32_tolerance() -> None:
    check = judge_gpu(stage(results(GPU, scale=1 + 2e-6)))
    assert check.status == "pass", check.summary
    assert 0 < max(c["max_rel_diff"] for c in check.details["comparisons"]) < 1e-5


def test_gpu_check_fails_on_a_wrong_graph_mode_dense_relu() -> None:
    wrong = results(GPU)
    wrong["dense_relu"]["result"]["values"][5] += 0.5
    check = judge_gpu(stage(wrong))
    assert check.status == "fail"
    assert "graph-mode Dense+relu: 1 of 24 values differ" in check.summary
    failed = [c["name"] for c in check.details["comparisons"] if not c["ok"]]
    assert failed == ["graph-mode Dense+relu"]


def test_gpu_check_fails_on_a_wrong_matmul_even_if_cpu_agrees() -> None:
    wrong = results(GPU)
    wrong["matmul"]["values"] = [22.0, 28.0, 49.0, 65.0]
    both = stage(wrong)
    both["gpu"]["cpu_results"]["matmul"]["values"] = [22.0, 28.0, 49.0, 65.0]
    check = judge_gpu(both)
    assert check.status == "fail"
    assert "matmul vs exact" in check.summary


def test_gpu_check_fails_when_results_do_not_live_on_the_gpu() -> None:
    on_cpu = copy.deepcopy(results(CPU))
    check = judge_gpu(stage(on_cpu))
    assert check.status == "fail"
    assert "not on the GPU" in check.summary
    assert len(check.details["misplaced"]) == 5


def test_gpu_check_reports_an_error_in_the_stage() -> None:
    data = {"gpu": {"error": {"type": "InternalError", "message": "Metal kernel failed\nmore"}, "seconds": 0.2}}
    check = judge_gpu(data)
    assert check.status == "fail"
    assert check.summary == "InternalError: Metal kernel failed"
