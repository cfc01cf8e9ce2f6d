"""Preflight: doctor's rules, asked only which findings make an install wrong before anything is changed.

Blocking: a shell under Rosetta (everything it starts is x86_64), macOS older than the wheels need, an Intel
Mac for a profile with tensorflow-metal, and an x86_64 interpreter for the one setup would use. Only the
last can be overridden with `--force`: the environment gets its own Python from the lock, so an x86_64
conda root's interpreter is not what runs TensorFlow. The others would give an environment that cannot work.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfm1.doctor.report import Finding
from tfm1.errors import Tfm1Error
from tfm1.host.base import Host

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
