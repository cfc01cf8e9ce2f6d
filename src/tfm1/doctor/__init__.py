"""`tfm1 doctor` as a library: inspect a host, run the rules, return a report."""

from __future__ import annotations

from tfm1.doctor.report import Finding, Report
from tfm1.host.base import Host


def diagnose(host: Host, python: str | None = None, snapshot_python: str | None = None) -> Report:
    from tfm1 import compat
    from tfm1.doctor.rules import requirement_facts, run_rules
    from tfm1.inspect import inspect_host

    picture = inspect_host(host, python, snapshot_python)
    data = compat.load()
    return Report(run_rules(picture, data), {**picture.to_facts(), "requirements": requirement_facts(picture, data)})


__all__ = ["Finding", "Report", "diagnose"]
