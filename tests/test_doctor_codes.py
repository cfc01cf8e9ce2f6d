"""One table of finding codes (tfm1.doctor.codes): the rules, the report's order and README agree with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tfm1.doctor.codes import CODES
from tfm1.doctor.report import CODE_ORDER

ROOT = Path(__file__).parent.parent
LEVELS = {"error", "warning", "info"}
SOURCES = [ROOT / "src/tfm1/doctor/rules.py", ROOT / "src/tfm1/doctor/deep.py"]


def _emitted() -> dict[str, set[str]]:
    """Code -> severities of every Finding(...) the rule modules construct, read from their source."""
    found: dict[str, set[str]] = {}
    for source in SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            if name == "Finding" and isinstance(args[0], str):
                # A severity chosen at run time shows up as the constants it is chosen from.
                severities = {
                    c.value for c in ast.walk(node.args[1]) if isinstance(c, ast.Constant) and c.value in LEVELS
                }
                found.setdefault(args[0], set()).update(severities)
            elif name == "_range_finding" and isinstance(args[2], str):
                found.setdefault(args[2], set()).add("error")
    return found


def _readme_table() -> list[tuple[str, set[str]]]:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| ([a-z /]+) \|", (ROOT / "README.md").read_text(), re.MULTILINE)
    return [(code, set(severity.replace(" ", "").split("/"))) for code, severity in rows]


def test_readme_says_what_evidence_decides_each_code() -> None:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| [a-z /]+ \|(.*)$", (ROOT / "README.md").read_text(), re.MULTILINE)
    for code, rest in rows:
        cells = [cell.strip() for cell in rest.split(" | ")]
        assert len(cells) == 2 and cells[0] and cells[1].rstrip(" |"), f"{code}: when | decided by"


def test_the_report_orders_by_the_table() -> None:
    assert tuple(CODES) == CODE_ORDER
    assert len(set(CODES)) == len(CODES)


def test_every_code_a_rule_emits_is_in_the_table_with_its_severities_and_nothing_else_is() -> None:
    emitted = _emitted()
    assert sorted(emitted) == sorted(CODES)
    for code, severities in emitted.items():
        assert severities <= set(CODES[code]), code


def test_readme_lists_every_code_once_in_report_order_with_its_severities() -> None:
    table = _readme_table()
    assert [code for code, _ in table] == list(CODES)
    for code, severities in table:
        assert severities == set(CODES[code]), code
