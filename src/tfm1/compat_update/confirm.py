"""`tfm1 compat confirm`: the Apple-silicon workflow passed with a profile's pair pinned; record it as the evidence.

Only a pair proven from the binaries moves to the Mac job's evidence: a report still wins, and a pair nothing was
found for has nothing to confirm. The workflow's pass is checked by its caller (scripts/compat-confirm asks GitHub
for the run's conclusion on the commit it tested); this records the run and the commit it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tfm1.errors import Tfm1Error, UsageError

RUN_URL = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/actions/runs/\d+(/attempts/\d+)?")
COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass
class Confirmed:
    profile: str
    tensorflow: str
    tensorflow_metal: str
    status: str  # recorded | unchanged | report (a report decides; nothing to record)
    run: str

    def to_json(self) -> dict[str, Any]:
        from tfm1.jsonable import record_json

        return record_json(self)


def confirm(found: dict[str, Any], profile_pins: dict[str, str], run: str, commit: str, today: str) -> str:
    """Move the pinned pair's row in `found` (changed in place) to the Mac job's evidence; the new status."""
    from tfm1.compat import load

    if not RUN_URL.fullmatch(run):
        raise UsageError(
            f"--run {run}: not a GitHub Actions run URL", "pass https://github.com/OWNER/REPO/actions/runs/ID"
        )
    if not COMMIT.fullmatch(commit):
        raise UsageError(f"--commit {commit}: not a full commit sha", "pass the 40 hex digits the run tested")
    tf, metal = profile_pins["tensorflow"], profile_pins["tensorflow-metal"]
    kind = load().evidence(tf, metal).kind
    if kind == "report":
        return "report"
    row = next((r for r in found["pairs"] if (r["tensorflow"], r["tensorflow_metal"]) == (tf, metal)), None)
    if row is None or row["status"] != "works":
        raise Tfm1Error(
            f"TensorFlow {tf} + tensorflow-metal {metal} is not a pair tfm1 compat update proved to load",
            "run `tfm1 compat update` first; a pair no source vouches for cannot be confirmed",
        )
    evidence = row["evidence"]
    if (evidence.get("run"), evidence.get("commit")) == (run, commit):
        return "unchanged"
    row["evidence"] = {
        **evidence,
        "kind": "mac-job",
        "run": run,
        "commit": commit,
        "date": today,
        "binaries_date": evidence.get("binaries_date", evidence["date"]),
    }
    return "recorded"
