"""Findings and the report doctor returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# Root causes before their consequences: the first error in this order is the one to fix first.
CODE_ORDER = (
    "rosetta-process",
    "x86-conda",
    "x86-python",
    "x86-homebrew",
    "python-missing",
    "macos-too-old",
    "macos-version-compat",
    "python-unsupported",
    "x86-tensorflow",
    "tensorflow-macos-empty",
    "tf-duplicate",
    "metal-tf-mismatch",
    "metal-tf-linkage",
    "numpy-too-new",
    "keras-mismatch",
    "tf-missing",
    "metal-missing",
    "intel-mac",
    "not-macos",
)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    title: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: list[str] = field(default_factory=list)  # shell lines; those starting with "#" explain
    detail: str = ""  # why it happens, in a sentence or two

    def sort_key(self) -> tuple[int, int]:
        order = CODE_ORDER.index(self.code) if self.code in CODE_ORDER else len(CODE_ORDER)
        return SEVERITY_RANK[self.severity], order

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "evidence": self.evidence,
            "fix": self.fix,
            "detail": self.detail,
        }


@dataclass
class Report:
    findings: list[Finding]
    facts: dict[str, Any]

    def __post_init__(self) -> None:
        self.findings.sort(key=Finding.sort_key)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def next_step(self) -> str:
        """The one thing to do first: the fix of the most fundamental problem."""
        for finding in self.findings:
            if finding.severity != "info" and finding.fix:
                commands = [line for line in finding.fix if not line.startswith("#")]
                return commands[0] if commands else finding.fix[0]
        return "tfm1 verify  # nothing found wrong; run the smoke test to be sure"

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "facts": self.facts,
            "next_step": self.next_step(),
        }
