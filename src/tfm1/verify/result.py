"""What `tfm1 verify` found: one verdict per check, an optional crash diagnosis, and the JSON form of both."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tfm1.jsonable import record_json

Status = Literal["pass", "fail", "skip"]

FORMAT = 1


@dataclass(frozen=True)
class Check:
    key: str  # build, devices, math, keras, gpu
    title: str
    status: Status
    summary: str  # one line: the numbers when it passed, the reason when it failed or was skipped
    seconds: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class DoctorFinding:
    code: str
    severity: str
    title: str
    fix: str  # the first fix line

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class Diagnosis:
    """Why the check script could not run to the end, and what to do about it."""

    kind: str  # illegal-instruction, crashed, metal-mismatch, tensorflow-missing, import-failed, timeout, no-result
    message: str
    fix: str
    findings: list[DoctorFinding] = field(default_factory=list)
    output: list[str] = field(default_factory=list)  # the last lines the interpreter wrote to stderr
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return record_json(self, rename={"findings": "doctor_findings"})


@dataclass(frozen=True, kw_only=True)  # the fields in the order of the JSON document
class VerifyResult:
    python: str
    quick: bool = False
    dataset: str = "synthetic"
    seconds: float = 0.0
    returncode: int | None = None
    checks: list[Check]
    diagnosis: Diagnosis | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. a crash after every result was written

    @property
    def ok(self) -> bool:
        return self.diagnosis is None and not any(c.status == "fail" for c in self.checks)

    def check(self, key: str) -> Check | None:
        return next((c for c in self.checks if c.key == key), None)

    def verdict(self) -> str:
        if self.diagnosis is not None:
            return f"FAIL: {self.diagnosis.message}"
        failed = [c.title for c in self.checks if c.status == "fail"]
        if failed:
            return f"FAIL: {len(failed)} of {len(self.checks)} checks failed ({', '.join(failed)})"
        passed = sum(c.status == "pass" for c in self.checks)
        skipped = [c.title for c in self.checks if c.status == "skip"]
        build = self.check("build")
        what = build.details.get("tensorflow") if build else None
        subject = f"TensorFlow {what}" if what else "TensorFlow"
        line = f"PASS: {subject} works: {passed} checks passed"
        if skipped:
            line += f", skipped: {', '.join(skipped)}"
        return line

    def to_json(self) -> dict[str, Any]:
        head = {"tfm1_verify": FORMAT, "ok": self.ok, "verdict": self.verdict()}
        return {**head, **record_json(self, seconds=round(self.seconds, 3))}
