"""Every finding code doctor reports, once: the order of the report (root causes first) and the severities each
code may take. rules.py, the report's ordering and README's codes table are checked against it by a test."""

from __future__ import annotations

from typing import Literal

Severity = Literal["error", "warning", "info"]

CODES: dict[str, tuple[Severity, ...]] = {
    "rosetta-process": ("error",),
    "x86-conda": ("error", "warning"),
    "x86-python": ("error",),
    "x86-homebrew": ("warning", "error"),
    "python-missing": ("warning",),
    "macos-too-old": ("error",),
    "macos-version-compat": ("warning",),
    "python-unsupported": ("error", "warning"),
    "x86-tensorflow": ("error",),
    "tensorflow-macos-empty": ("error",),
    "tf-duplicate": ("error",),
    "metal-tf-mismatch": ("error", "warning"),
    "metal-tf-linkage": ("error", "warning"),
    "numpy-too-new": ("error",),
    "keras-mismatch": ("error",),
    "tf-requirement-conflict": ("error",),
    "tf-missing": ("warning",),
    "metal-missing": ("warning",),
    "kernel-x86": ("error",),
    "kernel-missing-env": ("warning",),
    "interrupted-setup": ("warning",),
    "intel-mac": ("info",),
    "not-macos": ("info",),
}
