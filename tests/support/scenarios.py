"""The real-world snapshots in tests/scenarios/, diagnosed as they are or after a change to their JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfm1.doctor import Report, diagnose
from tfm1.host.snapshot import SnapshotHost, parse_snapshot

SCENARIOS = Path(__file__).parent.parent / "scenarios"


def diagnose_scenario(
    name: str, change: Callable[[dict[str, Any]], None] | None = None, python: str | None = None
) -> Report:
    data = json.loads((SCENARIOS / f"{name}.json").read_text())
    if change is not None:
        change(data)
    snapshot = parse_snapshot(data)
    return diagnose(SnapshotHost(snapshot), python, snapshot.python)
