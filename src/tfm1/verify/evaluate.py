"""Judge what the check script measured: turn its JSON into one pass / fail / skip verdict per check.

The script only measures, so every rule lives here and is testable with injected numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tfm1.compat_data import TENSORFLOW_NAMES
from tfm1.verify.compare import Comparison, compare, compare_tensors
from tfm1.verify.result import Check, Status

TITLES = {"build": "Build", "devices": "Devices", "math": "Tensor math", "keras": "Keras", "gpu": "GPU"}
QUICK = ("build", "devices", "math")
MATMUL_EXPECTED = [22.0, 28.0, 49.0, 64.0]  # [[1, 2, 3], [4, 5, 6]] · [[1, 2], [3, 4], [5, 6]]
# Training must clearly learn: the last epoch's loss at most this share of the first's, and test accuracy this far
# above always answering the most frequent class. The synthetic run reaches ~0.06 and +0.88; real MNIST ~0.2, +0.8.
LOSS_RATIO = 0.5
ACCURACY_MARGIN = 0.5
# --expect-gpu: "yes" a GPU must be listed and pass; "no" none is needed (one listed is hidden, the checks run on the
# CPU, and the Metal plugin must still load); "auto" a listed GPU must pass, and on bare-metal Apple silicon with
# tensorflow-metal installed one must be listed. GitHub's hosted arm64 Mac runners are VMs: "Nested-virtualization and
# Metal Performance Shaders (MPS) are not supported due to the limitation of Apple's Virtualization Framework"
# (https://docs.github.com/en/actions/reference/runners/github-hosted-runners#limitations-for-arm64-macos-runners),
# so a VM without a GPU is not tfm1's failure.
EXPECT_GPU = ("auto", "yes", "no")

Json = dict[str, Any]


def evaluate(data: Json, *, quick: bool = False, receipt: Json | None = None, expect_gpu: str = "auto") -> list[Check]:
    """One check per key in TITLES; `data` may be partial when the interpreter died or timed out."""
    judges: dict[str, Callable[[Json], Check]] = {
        "build": lambda d: judge_build(d, receipt),
        "devices": lambda d: judge_devices(d, expect_gpu),
        "math": judge_math,
        "keras": judge_keras,
        "gpu": judge_gpu,
    }
    checks = []
    import_failed = "error" in data.get("import", {})
    for key, judge in judges.items():
        if quick and key not in QUICK:
            checks.append(_check(key, "skip", "not run with --quick"))
        elif key != "build" and import_failed:
            checks.append(_check(key, "skip", "needs TensorFlow, which did not import"))
        elif key in data:
            checks.append(_judged(key, judge, data))
        elif data.get("stage") == key and not data.get("finished"):
            checks.append(_check(key, "fail", "the interpreter stopped during this check"))
        elif key == "gpu" and data.get("finished") and expect_gpu == "no":
            checks.append(_check(key, "skip", "no GPU expected (--expect-gpu no): every check ran on the CPU"))
        elif key == "gpu" and data.get("finished"):
            checks.append(_check(key, "skip", "no GPU: TensorFlow lists none on this machine"))
        else:
            checks.append(_check(key, "skip", "not reached"))
    return checks


def _judged(key: str, judge: Callable[[Json], Check], data: Json) -> Check:
    try:
        return judge(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # A document from another version of the check script, or cut short: say so instead of a traceback.
        return _check(key, "fail", f"unreadable result from the check script ({type(error).__name__}: {error})")


def _check(key: str, status: Status, summary: str, details: Json | None = None, seconds: float | None = None) -> Check:
    return Check(key, TITLES[key], status, summary, seconds, details or {})


def _error_line(stage: Json) -> str:
    error = stage.get("error") or {}
    first = str(error.get("message", "")).strip().splitlines()
    return f"{error.get('type', 'Error')}: {first[0] if first else ''}".strip()


def tensorflow_version(data: Json) -> str | None:
    version = data.get("import", {}).get("tensorflow")
    if version:
        return str(version)
    distributions = data.get("build", {}).get("distributions", {})
    return next((str(distributions[n]) for n in TENSORFLOW_NAMES if n in distributions), None)


def metal_version(data: Json) -> str | None:
    version = data.get("build", {}).get("distributions", {}).get("tensorflow-metal")
    return str(version) if version else None


def apple_silicon(build: Json) -> bool:
    return build.get("system") == "Darwin" and build.get("hw_optional_arm64") == "1"


def _same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def receipt_mismatches(found: dict[str, str | None], receipt: Json) -> list[str]:
    """Which of python / tensorflow / tensorflow-metal differ from the receipt's `packages`."""
    packages = receipt.get("packages") or {}
    problems = []
    for name in ("python", "tensorflow", "tensorflow-metal"):
        locked = packages.get(name)
        if name == "tensorflow" and not locked:
            # Up to 2.15.0, the macOS TensorFlow is the tensorflow-macos distribution (the keras2 profile).
            locked = packages.get("tensorflow-macos")
        if not locked:
            continue
        have = found.get(name)
        if have is None or not _same_version(have, str(locked)):
            problems.append(f"{name} {have or 'missing'} (locked {locked})")
    return problems


def judge_build(data: Json, receipt: Json | None) -> Check:
    build = data["build"]
    imported = data.get("import", {})
    found = {
        "python": build.get("python"),
        "tensorflow": tensorflow_version(data),
        "tensorflow-metal": metal_version(data),
    }
    details: Json = {
        **found,
        "machine": build.get("machine"),
        "system": build.get("system"),
        "macos": build.get("macos") or None,
        "executable": build.get("executable"),
        "prefix": build.get("prefix"),
        "distributions": build.get("distributions", {}),
        "import_seconds": imported.get("seconds"),
        "receipt": None,
    }
    seconds = (build.get("seconds") or 0.0) + (imported.get("seconds") or 0.0)
    summary = f"Python {found['python']} ({build.get('machine')})"
    if found["tensorflow"]:
        summary += f", TensorFlow {found['tensorflow']}"
    if found["tensorflow-metal"]:
        summary += f", tensorflow-metal {found['tensorflow-metal']}"
    problems = []
    if apple_silicon(build) and build.get("machine") != "arm64":
        translated = " under Rosetta" if build.get("proc_translated") == "1" else ""
        problems.append(f"{build.get('machine')} Python{translated} on Apple silicon: TensorFlow needs an arm64 Python")
    if data.get("stage") == "import" and "import" not in data:
        problems.append("the interpreter stopped while importing TensorFlow")
    if "import" in data and "error" in imported:
        problems.append(f"import tensorflow failed: {_error_line(imported)}")
    if receipt is not None:
        mismatches = receipt_mismatches(found, receipt)
        details["receipt"] = {
            "profile": receipt.get("profile"),
            "packages": receipt.get("packages"),
            "mismatches": mismatches,
        }
        if mismatches:
            problems.append("differs from the tfm1 lock: " + "; ".join(mismatches))
        else:
            summary += f"; matches the {receipt.get('profile') or 'tfm1'} lock"
    if problems:
        return _check("build", "fail", summary + ": " + "; ".join(problems), details, seconds)
    if build.get("system") == "Darwin" and not apple_silicon(build):
        summary += " (Intel Mac: no Metal GPU path)"
    return _check("build", "pass", summary, details, seconds)


def in_vm(build: Json) -> bool:
    """kern.hv_vmm_present is 1 inside a virtual machine on macOS 11.3 and later
    (https://github.com/kernelwernel/VMAware/issues/444, https://github.com/macadmins/nudge/issues/621)."""
    return build.get("hv_vmm_present") == "1"


def judge_devices(data: Json, expect_gpu: str = "auto") -> Check:
    stage = data["devices"]
    if "error" in stage:
        return _check("devices", "fail", _error_line(stage), {}, stage.get("seconds"))
    cpus, gpus = stage.get("cpu", []), stage.get("gpu", [])
    details = {"cpu": cpus, "gpu": gpus, "expect_gpu": expect_gpu}
    summary = f"{len(cpus)} CPU, {len(gpus)} GPU"
    if not cpus:
        return _check("devices", "fail", summary + ": TensorFlow lists no CPU", details, stage.get("seconds"))
    build = data.get("build", {})
    metal = metal_version(data)
    native_mac = apple_silicon(build) and build.get("machine") == "arm64"
    if not gpus and expect_gpu == "yes":
        reason = "a GPU is expected (--expect-gpu yes) but TensorFlow lists none"
        if metal and native_mac and in_vm(build):
            reason += " (this Mac is a virtual machine: kern.hv_vmm_present = 1)"
        return _check("devices", "fail", f"{summary}: {reason}", details, stage.get("seconds"))
    if not gpus and metal and native_mac and expect_gpu == "auto" and not in_vm(build):
        reason = f"tensorflow-metal {metal} is installed but TensorFlow lists no GPU: the plugin did not register"
        return _check("devices", "fail", f"{summary}: {reason}", details, stage.get("seconds"))
    if gpus:
        summary += f" ({', '.join(g.replace('/physical_device:', '') for g in gpus)})"
        if stage.get("gpu_hidden"):
            summary += ", hidden: no GPU expected (--expect-gpu no)"
    elif metal and native_mac:
        why = "none expected (--expect-gpu no)" if expect_gpu == "no" else "a virtual machine (kern.hv_vmm_present = 1)"
        summary += f": tensorflow-metal {metal} loaded, no GPU listed; {why}"
    elif apple_silicon(build) and not metal:
        summary += ": tensorflow-metal is not installed, so CPU only"
    return _check("devices", "pass", summary, details, stage.get("seconds"))


def judge_math(data: Json) -> Check:
    stage = data["math"]
    if "error" in stage:
        return _check("math", "fail", _error_line(stage), {}, stage.get("seconds"))
    result = stage["result"]
    values = [float(v) for v in result.get("values", [])]
    details = {"result": values, "expected": MATMUL_EXPECTED, "device": result.get("device")}
    shown = _matrix(values)
    if values != MATMUL_EXPECTED or list(result.get("shape", [])) != [2, 2]:
        return _check(
            "math", "fail", f"matmul gave {shown}, expected [[22, 28], [49, 64]]", details, stage.get("seconds")
        )
    return _check("math", "pass", f"matmul = {shown}, exact", details, stage.get("seconds"))


def _matrix(values: list[float]) -> str:
    numbers = [f"{v:g}" for v in values]
    if len(numbers) != 4:
        return f"[{', '.join(numbers)}]"
    return f"[[{numbers[0]}, {numbers[1]}], [{numbers[2]}, {numbers[3]}]]"


def judge_keras(data: Json) -> Check:
    stage = data["keras"]
    if "error" in stage:
        return _check("keras", "fail", _error_line(stage), {}, stage.get("seconds"))
    losses = [float(v) for v in stage.get("loss", [])]
    accuracy = float(stage.get("test_accuracy", 0.0))
    chance = float(stage.get("chance", 0.1))
    details = {k: v for k, v in stage.items() if k != "seconds"}
    if not losses:
        return _check("keras", "fail", "training reported no loss", details, stage.get("seconds"))
    summary = (
        f"loss {losses[0]:.3f} → {losses[-1]:.3f} in {len(losses)} epochs, "
        f"test accuracy {accuracy:.3f} (chance {chance:.3f})"
    )
    if stage.get("note"):
        summary += f"; {stage['note']}"
    problems = []
    if not losses[-1] <= LOSS_RATIO * losses[0]:
        problems.append(f"the loss did not fall below {LOSS_RATIO:g}× its first epoch")
    if not accuracy >= chance + ACCURACY_MARGIN:
        problems.append(f"accuracy is not {ACCURACY_MARGIN:g} above chance")
    if problems:
        return _check("keras", "fail", summary + ": " + "; ".join(problems), details, stage.get("seconds"))
    return _check("keras", "pass", summary, details, stage.get("seconds"))


def _device_kind(device: str) -> str:
    """`/GPU:0` or `/job:localhost/replica:0/task:0/device:GPU:0` → `GPU:0`."""
    return device.rsplit("/", 1)[-1].removeprefix("device:").upper()


def gpu_comparisons(stage: Json) -> tuple[list[Comparison], list[str]]:
    """Each accelerator result against the CPU's, and every accelerator result that does not live there."""
    accelerator, cpu = stage["accelerator_results"], stage["cpu_results"]
    want = _device_kind(str(stage.get("accelerator", "/GPU:0")))
    pairs = [
        ("matmul", accelerator["matmul"], cpu["matmul"]),
        ("train step loss", accelerator["train_step"]["loss"], cpu["train_step"]["loss"]),
        ("train step logits", accelerator["train_step"]["logits"], cpu["train_step"]["logits"]),
        ("train step updated weights", accelerator["train_step"]["updated_w2"], cpu["train_step"]["updated_w2"]),
        ("graph-mode Dense+relu", accelerator["dense_relu"]["result"], cpu["dense_relu"]["result"]),
    ]
    comparisons = [compare_tensors(name, a, c) for name, a, c in pairs]
    comparisons.append(
        compare("matmul vs exact", accelerator["matmul"].get("values", []), MATMUL_EXPECTED, atol=0, rtol=0)
    )
    misplaced = [
        f"{name} on {a.get('device') or 'an unknown device'}"
        for name, a, _ in pairs
        if _device_kind(str(a.get("device", ""))) != want
    ]
    return comparisons, misplaced


def judge_gpu(data: Json) -> Check:
    stage = data["gpu"]
    if "error" in stage:
        return _check("gpu", "fail", _error_line(stage), {}, stage.get("seconds"))
    comparisons, misplaced = gpu_comparisons(stage)
    timing = stage.get("timing", {})
    fast, slow = timing.get("accelerator_seconds"), timing.get("cpu_seconds")
    speedup = slow / fast if fast and slow else None
    details: Json = {
        "accelerator": stage.get("accelerator"),
        "comparisons": [c.to_json() for c in comparisons],
        "misplaced": misplaced,
        "timing": {**timing, "speedup": speedup},
    }
    wrong = [c for c in comparisons if not c.ok]
    worst = max((c.max_rel_diff for c in comparisons), default=0.0)
    summary = f"{len(comparisons) - len(wrong)} of {len(comparisons)} results match the CPU (max rel. diff {worst:.1e})"
    if speedup is not None:
        size = timing.get("size")
        summary += f"; {size}×{size} matmul {fast * 1000:.1f} ms vs CPU {slow * 1000:.1f} ms ({speedup:.1f}× faster)"
    problems = [f"{c.name}: {c.reason}" for c in wrong]
    if misplaced:
        problems.append("not on the GPU: " + ", ".join(misplaced))
    if problems:
        return _check("gpu", "fail", "wrong GPU results: " + "; ".join(problems), details, stage.get("seconds"))
    return _check("gpu", "pass", summary, details, stage.get("seconds"))
