"""`tfm1 doctor --deep`: the linkage checker run on the target environment's own binaries."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.doctor.report import Finding, Report
from tfm1.errors import Tfm1Error

if TYPE_CHECKING:
    from tfm1.linkage.result import PairResult


def add_linkage_findings(report: Report) -> Report:
    """The report with the linkage verdict in its facts and, when the plugin cannot load, an error."""
    from tfm1.linkage import check_installed

    python = report.facts.get("python") or {}
    findings = list(report.findings)
    verdicts: list[dict[str, object]] = []
    for site in python.get("site_packages", []):
        try:
            result = check_installed(Path(site))
        except Tfm1Error as error:
            # An unreadable plugin (an x86_64 or damaged wheel) must not hide every other finding.
            verdicts.append({"site_packages": site, "error": error.message})
            findings.append(
                Finding(
                    "metal-tf-linkage",
                    "warning",
                    f"The linkage of tensorflow-metal and TensorFlow could not be read: {error.message}",
                    {"site_packages": site},
                    [error.fix] if error.fix else [],
                )
            )
            continue
        if result is None:
            continue
        verdicts.append(result.to_json())
        findings = [_judged_by_binaries(f, result) for f in findings]
        if not result.loads:
            findings.append(
                Finding(
                    "metal-tf-linkage",
                    "error",
                    f"tensorflow-metal {result.tensorflow_metal}'s plugin cannot load with the installed "
                    f"TensorFlow {result.tensorflow}: {result.reason}",
                    {"site_packages": site, "missing": result.missing[:20], "sources": result.sources},
                    [f"{python['path']} -m pip uninstall -y tensorflow-metal", "tfm1 setup"],
                    "Read from the binaries: the plugin names libraries or symbols that this TensorFlow does "
                    "not provide, so 'import tensorflow' fails when it loads tensorflow-plugins/.",
                )
            )
    return Report(findings, {**report.facts, "linkage": verdicts})


def _judged_by_binaries(finding: Finding, result: PairResult) -> Finding:
    """metal-tf-mismatch, which the compatibility data decided, decided again by the installed binaries."""
    if finding.code != "metal-tf-mismatch":
        return finding
    pair = f"tensorflow-metal {result.tensorflow_metal} with TensorFlow {result.tensorflow}"
    if not result.loads and finding.severity != "error":
        return finding._replace(
            severity="error",
            title=f"{pair}: the installed plugin cannot load, so 'import tensorflow' fails",
            evidence={**finding.evidence, "decided_by": "the installed binaries (--deep)"},
        )
    if result.loads and finding.severity == "error":
        return finding._replace(
            severity="warning",
            title=f"{pair}: tfm1's data says the plugin cannot load, but the installed binaries link",
            evidence={**finding.evidence, "decided_by": "the installed binaries (--deep), over tfm1's data"},
        )
    return finding
