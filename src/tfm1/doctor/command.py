"""`tfm1 doctor` end to end: choose the host (live, recorded or a snapshot), the interpreter, diagnose, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from tfm1.doctor.report import Report
    from tfm1.envelope import Outcome
    from tfm1.host.base import Host
    from tfm1.host.recorder import RecordingHost
    from tfm1.host.snapshot import SnapshotHost


def _read_snapshot(path: Path) -> SnapshotHost:
    from tfm1.host.snapshot import SnapshotError, SnapshotHost, load_snapshot

    try:
        with path.open(encoding="utf-8") as handle:
            text = handle.read(64 << 20)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"cannot read snapshot {path}: {error}", "pass a snapshot saved by tfm1 doctor --save-snapshot"
        ) from None
    try:
        return SnapshotHost(load_snapshot(text))
    except SnapshotError as error:
        raise UsageError(
            f"{path} is not a usable tfm1 snapshot: {error}",
            "save it again with tfm1 doctor --save-snapshot FILE",
        ) from None


def run_doctor(
    python_given: str | None,
    snapshot: Path | None,
    save_snapshot: Path | None,
    *,
    deep: bool,
    kernel: str | None = None,
) -> Outcome:
    """`tfm1 doctor` end to end: read this machine (recording it) or replay a snapshot, diagnose; the outcome (its
    result: the report's JSON document, also the envelope's own keys)."""
    from tfm1.doctor import diagnose
    from tfm1.envelope import Outcome
    from tfm1.host import live_host

    host: Host
    recorder: RecordingHost | None = None
    snapshot_python = None
    if snapshot:
        replay = _read_snapshot(snapshot)
        host, snapshot_python = replay, replay.snapshot.python
    elif save_snapshot:
        from tfm1.host.recorder import RecordingHost

        host = recorder = RecordingHost(live_host())
    else:
        host = live_host()
    python = _python_argument(host, python_given, live=not snapshot) if python_given else None
    if kernel:
        python = _kernel_argument(host, kernel)
    if deep and snapshot:
        raise UsageError("--deep reads the installed binaries, which a snapshot does not hold", "drop --deep")
    report = diagnose(host, python, snapshot_python)
    if deep:
        from tfm1.doctor.deep import add_linkage_findings

        report = add_linkage_findings(report)
    if recorder is not None and save_snapshot is not None:
        # Only an explicit --python is recorded: otherwise the replay finds the interpreter the same
        # way the live run did, from the recorded environment variables.
        recorder.snapshot.python = python
        _save_snapshot(recorder, save_snapshot)
    document = report.to_json()
    code = ExitCode.FAILED if report.has_errors else ExitCode.OK
    return Outcome("doctor", code, document, fields=document, show=lambda: _show(report))


def _show(report: Report) -> None:
    from tfm1.doctor.render import render_report

    if hasattr(sys.stdout, "reconfigure"):
        # A terminal that cannot show a character (a Latin-1 locale, a lone surrogate from a snapshot)
        # gets an escape, not a traceback.
        sys.stdout.reconfigure(errors="backslashreplace")
    render_report(report, sys.stdout)


def _python_argument(host: Host, given: str, *, live: bool) -> str:
    """The interpreter `--python` names, as an absolute path on the host being diagnosed."""
    from tfm1.inspect.python_argument import resolve_python

    found = resolve_python(host, given, live=live)
    fix = "give the path of a Python interpreter, its name on PATH, or an environment's folder"
    if found.problem == "not absolute":
        raise UsageError(f"--python {given}: a snapshot's paths are absolute", "give the path as recorded")
    if found.problem == "not found":
        raise UsageError(f"--python {given}: not found on PATH, nor an environment of that name", fix)
    if found.problem == "folder without bin/python":
        raise UsageError(f"--python {given} is a folder without bin/python", fix)
    if found.problem == "no such file":
        raise UsageError(f"--python {given}: no such file", fix)
    return found.path


def _kernel_argument(host: Host, name: str) -> str:
    from tfm1.inspect.conda import conda_prefixes
    from tfm1.jupyter.dirs import kernel_dirs
    from tfm1.jupyter.kernelspecs import find_kernel, find_kernels, read_kernel

    prefixes = conda_prefixes(host)
    spec = find_kernel(host, name, kernel_dirs(host, prefixes))  # the lookup `tfm1 verify --kernel` makes
    kernel = read_kernel(host, name.lower(), spec) if spec is not None else None
    if kernel is None:
        known = ", ".join(k.name for k in find_kernels(host, prefixes)) or "none"
        raise UsageError(f"--kernel {name}: no such Jupyter kernel (found: {known})", "jupyter kernelspec list")
    return kernel.python


def _save_snapshot(host: RecordingHost, path: Path) -> None:
    import json

    try:
        with path.open("w", encoding="utf-8") as handle:
            json.dump(host.snapshot.to_json(), handle, indent=1)
            handle.write("\n")
    except OSError as error:
        raise UsageError(f"cannot write snapshot {path}: {error}", "choose a writable path") from None
