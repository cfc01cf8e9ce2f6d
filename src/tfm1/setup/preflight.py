"""Preflight: doctor's rules, asked only which findings make an install wrong before anything is changed.

Blocking: a shell under Rosetta (everything it starts is x86_64), macOS older than the wheels need, an Intel
Mac for a profile with tensorflow-metal, and an x86_64 interpreter for the one setup would use. Only the
last can be overridden with `--force`: the environment gets its own Python from the lock, so an x86_64
conda root's interpreter is not what runs TensorFlow. The others would give an environment that cannot work.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfm1.doctor.report import Finding
from tfm1.errors import Tfm1Error
from tfm1.host.base import Host

if TYPE_CHECKING:
    from tfm1.setup.events import Events
    from tfm1.setup.plan import SetupPlan

BLOCKING = ("rosetta-process", "macos-too-old", "x86-python")
OVERRIDABLE = frozenset({"x86-python"})
# Findings about the machine as a whole: the ones preflight repeats as warnings.
WARN = frozenset({"x86-conda", "x86-homebrew", "macos-version-compat"})


@dataclass(frozen=True)
class Preflight:
    warnings: list[Finding]
    overridden: list[Finding]


def preflight(host: Host, python: str | None, *, metal: bool, force: bool) -> Preflight:
    """Raise `Tfm1Error` with the finding and its exact fix when the install would be wrong."""
    from tfm1.doctor import diagnose

    report = diagnose(host, python)
    blocking = [f for f in report.findings if f.severity == "error" and f.code in BLOCKING]
    if metal:
        blocking += [f for f in report.findings if f.code == "intel-mac"]
    overridden = [f for f in blocking if force and f.code in OVERRIDABLE]
    stop = [f for f in blocking if f not in overridden]
    if stop:
        first = stop[0]
        raise Tfm1Error(f"preflight: {first.title} [{first.code}].", _fix_text(first))
    warnings = [f for f in report.findings if f.code in WARN]
    return Preflight(warnings, overridden)


def preflight_plan(host: Host, plan: SetupPlan, force: bool, events: Events) -> None:
    """Preflight for `plan`, each overridden or warning finding told as a step."""
    root = plan.conda_root
    # The interpreter setup would use: the existing root's, else the one running tfm1.
    python = str(root.path / "bin" / "python") if root is not None and root.action == "use" else sys.executable
    metal = "tensorflow-metal" in plan.lock.packages() or plan.profile == "metal"
    result = preflight(host, python, metal=metal, force=force)
    for finding in result.overridden:
        events.step(
            "preflight", "warning", f"--force: going on despite {finding.code}: {finding.title}", code=finding.code
        )
    for finding in result.warnings:
        events.step("preflight", "warning", finding.title, code=finding.code)
    events.step("preflight", "ok", "preflight: nothing blocks the install")


def _fix_text(finding: Finding) -> str:
    if finding.code == "intel-mac":
        return "tensorflow-metal has no wheel for Intel Macs after 1.0.0: use a profile without tensorflow-metal"
    if finding.code == "x86-python":
        return (
            "use a native arm64 Python (arch -arm64 /bin/zsh -l), or re-run with --force: "
            "the new environment gets its own Python from the lock"
        )
    commands = [line for line in finding.fix if not line.startswith("#")]
    steps = "; ".join(commands) if commands else "; ".join(finding.fix)
    return f"{steps}; then re-run tfm1 setup" if steps else "re-run tfm1 setup"
