"""Is an accelerator's result the CPU's result? float32 comparison fit for kernels that sum in another order.

Two correct float32 kernels differ by rounding: a dot product of n terms summed in another order (or with fused
multiply-adds) moves by about sqrt(n) * 6e-8 of the magnitude of its terms, under 1e-5 for the 784-wide layers
checked here. A wrong kernel (the reported fused MatMul+BiasAdd+Relu bug, garbage memory, zeros) is off by the
size of the values themselves. The bounds below sit between the two, far from both: element-wise
|accelerator - cpu| <= RTOL * |cpu| + ATOL * max|cpu|, the second term so that values near zero (relu outputs,
cancelling sums) are judged against the scale of the whole tensor, not against themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tfm1.jsonable import record_json

RTOL = 1e-3
ATOL = 1e-4


@dataclass(frozen=True)
class Comparison:
    name: str
    ok: bool
    max_abs_diff: float
    max_rel_diff: float  # relative to the CPU tensor's largest magnitude
    count: int
    reason: str = ""  # why it is not ok

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


def compare(
    name: str,
    accelerator: Sequence[float],
    cpu: Sequence[float],
    *,
    shapes: tuple[Sequence[int], Sequence[int]] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> Comparison:
    """Compare flat tensors element by element; a shape or length mismatch, NaN or infinity is a wrong result."""
    if shapes is not None and list(shapes[0]) != list(shapes[1]):
        return Comparison(name, False, math.inf, math.inf, 0, f"shape {list(shapes[0])} != CPU {list(shapes[1])}")
    if len(accelerator) != len(cpu):
        return Comparison(name, False, math.inf, math.inf, 0, f"{len(accelerator)} values != CPU {len(cpu)}")
    if not all(math.isfinite(v) for v in cpu):
        return Comparison(name, False, math.inf, math.inf, len(cpu), "the CPU result is not finite")
    scale = max((abs(v) for v in cpu), default=0.0) or 1.0
    worst_abs = 0.0
    wrong = 0
    first_wrong = -1
    for index, (got, want) in enumerate(zip(accelerator, cpu, strict=True)):
        diff = abs(got - want) if math.isfinite(got) else math.inf
        worst_abs = max(worst_abs, diff)
        if not diff <= rtol * abs(want) + atol * scale:
            wrong += 1
            if first_wrong < 0:
                first_wrong = index
    worst_rel = worst_abs / scale
    if wrong:
        got, want = accelerator[first_wrong], cpu[first_wrong]
        reason = f"{wrong} of {len(cpu)} values differ (first at [{first_wrong}]: {got:.6g} vs CPU {want:.6g})"
        return Comparison(name, False, worst_abs, worst_rel, len(cpu), reason)
    return Comparison(name, True, worst_abs, worst_rel, len(cpu))


def compare_tensors(name: str, accelerator: dict[str, Any], cpu: dict[str, Any]) -> Comparison:
    """Compare two tensors as the check script writes them: {"shape": [...], "values": [...], "device": ...}."""
    return compare(
        name,
        [float(v) for v in accelerator.get("values", [])],
        [float(v) for v in cpu.get("values", [])],
        shapes=(accelerator.get("shape", []), cpu.get("shape", [])),
    )
