"""Findings and the report doctor returns.

NamedTuple and plain classes, not dataclasses: importing `dataclasses` (it pulls in `inspect`) costs
`tfm1 doctor` ~8 ms at every start, most of the interpreter's own start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from tfm1.doctor.codes import CODES, Severity
from tfm1.jsonable import record_json

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

# Root causes before their consequences: the first error in this order is the one to fix first.
CODE_ORDER = tuple(CODES)


class Finding(NamedTuple):
    code: str
    severity: Severity
    title: str
    evidence: Mapping[str, Any] = MappingProxyType({})
    fix: Sequence[str] = ()  # shell lines; those starting with "#" explain
    detail: str = ""  # why it happens, in a sentence or two

    def sort_key(self) -> tuple[int, int]:
        order = CODE_ORDER.index(self.code) if self.code in CODE_ORDER else len(CODE_ORDER)
        return SEVERITY_RANK[self.severity], order

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


class Report:
    def __init__(self, findings: list[Finding], facts: dict[str, Any]) -> None:
        self.findings = sorted(findings, key=Finding.sort_key)
        self.facts = facts

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
