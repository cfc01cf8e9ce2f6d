"""Turn a check script that did not finish into a diagnosis: which failure it is, why, and the fix."""

from __future__ import annotations

import signal
from typing import Any

from tfm1.verify.evaluate import TITLES, metal_version, tensorflow_version
from tfm1.verify.result import Diagnosis, DoctorFinding
from tfm1.verify.script_runner import ScriptRun

AVX_MESSAGE = "compiled to use AVX instructions"
SHOWN_LINES = 12


def diagnose_run(python: str, run: ScriptRun, timeout: float) -> Diagnosis | None:
    """None when the script ran to the end; otherwise the most specific explanation that fits."""
    data = run.data or {}
    output = run.stderr[-SHOWN_LINES:]
    during = f" during the {TITLES[run.stage]} check" if run.stage in TITLES else ""
    if run.stage == "import":
        during = " while importing TensorFlow"
    if run.timed_out:
        return Diagnosis(
            "timeout",
            f"timed out after {timeout:g} s{during}",
            f"run again with a longer --timeout, or diagnose the environment with: tfm1 doctor --python {python}",
            output=output,
        )
    if _crashed_after_finishing(run):
        return None  # judged from its results; exit_warnings reports the signal
    if run.signal == signal.SIGILL or any(AVX_MESSAGE in line for line in run.stderr):
        return illegal_instruction(python, during, output)
    error = data.get("import", {}).get("error")
    if error:
        return import_failure(python, data, error, output)
    if run.signal is not None:
        name = _signal_name(run.signal)
        return Diagnosis(
            "crashed",
            f"the interpreter was killed by {name}{during}",
            f"tfm1 doctor --python {python}",
            output=output,
            details={"signal": run.signal},
        )
    if run.returncode != 0 or not data.get("finished"):
        last = next((line for line in reversed(run.stderr) if line.strip()), "")
        ending = " and no result" if run.data is None else f"{during} before finishing"
        return Diagnosis(
            "no-result",
            f"the check script ended with exit code {run.returncode}{ending}" + (f": {last}" if last else ""),
            f"check that {python} is a Python 3.8 or newer: {python} -c 'import sys; print(sys.version)'",
            output=output,
        )
    return None


def _crashed_after_finishing(run: ScriptRun) -> bool:
    """A signal after the script wrote `finished: true`: the interpreter died at exit (e.g. while a plugin's
    destructors ran), after every result was measured and saved."""
    return not run.timed_out and run.signal is not None and bool((run.data or {}).get("finished"))


def exit_warnings(run: ScriptRun) -> list[str]:
    if not _crashed_after_finishing(run):
        return []
    assert run.signal is not None
    return [
        f"the interpreter was killed by {_signal_name(run.signal)} after finishing every check "
        "(a crash at exit); the results above are complete"
    ]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def illegal_instruction(python: str, during: str, output: list[str]) -> Diagnosis:
    """SIGILL: the classic x86_64 TensorFlow under Rosetta. The doctor names the reason from files alone."""
    findings = doctor_findings(python)
    first = next((f for f in findings if f.severity == "error" and f.fix), None)
    fix = first.fix if first else "use a native arm64 Python with an arm64 TensorFlow: tfm1 setup"
    return Diagnosis(
        "illegal-instruction",
        f"illegal hardware instruction (SIGILL){during}: the process ran code built for CPU features it lacks, "
        "typically an x86_64 TensorFlow under Rosetta",
        fix,
        findings=findings,
        output=output,
    )


def doctor_findings(python: str) -> list[DoctorFinding]:
    from tfm1.doctor import diagnose
    from tfm1.host import live_host

    try:
        report = diagnose(live_host(), python=python)
    except Exception as error:  # the crash report matters more than a second failure while explaining it
        return [DoctorFinding("doctor-failed", "warning", f"tfm1 doctor could not inspect {python}: {error}", "")]
    findings = []
    for finding in report.findings:
        commands = [line for line in finding.fix if not line.startswith("#")]
        fix = commands[0] if commands else (finding.fix[0] if finding.fix else "")
        findings.append(DoctorFinding(finding.code, finding.severity, finding.title, fix))
    return findings


def import_failure(python: str, data: dict[str, Any], error: dict[str, Any], output: list[str]) -> Diagnosis:
    message = str(error.get("message", ""))
    kind = str(error.get("type", "Error"))
    if "libmetal_plugin" in message:
        return metal_mismatch(python, data, kind, message, output)
    if kind == "ModuleNotFoundError" and message in ("No module named 'tensorflow'", 'No module named "tensorflow"'):
        return tensorflow_missing(python, data, output)
    first = message.strip().splitlines()[0] if message.strip() else ""
    return Diagnosis(
        "import-failed",
        f"import tensorflow failed: {kind}: {first}",
        f"tfm1 doctor --python {python}",
        output=output,
        details={"error": error},
    )


def metal_mismatch(python: str, data: dict[str, Any], kind: str, message: str, output: list[str]) -> Diagnosis:
    from tfm1 import compat

    tf, metal = tensorflow_version(data), metal_version(data)
    table = compat.load()
    details: dict[str, Any] = {"tensorflow": tf, "tensorflow_metal": metal, "error": f"{kind}: {message[:2000]}"}
    if tf and metal:
        verdict = table.pair(tf, metal)
        details["pair"] = {"status": verdict.status, "reason": verdict.reason}
        text = f"TensorFlow {tf} and tensorflow-metal {metal} do not load together"
        if verdict.status != "broken":  # a known-broken pair's reason only repeats this; others say what it is for
            text += f" ({verdict.reason})"
    else:
        text = f"TensorFlow {tf or '?'} and tensorflow-metal {metal or '?'} do not load together"
    text += ": the Metal plugin (libmetal_plugin.dylib) failed to load, and TensorFlow loads every plugin at import"
    recommended = table.recommended
    release = table.metal_for(tf) if tf else None
    if release is not None and release.version != metal:
        fix = f"pip install tensorflow-metal=={release.version}"
    else:
        fix = (
            f"pip install tensorflow=={recommended['tensorflow']} tensorflow-metal=={recommended['tensorflow_metal']}"
            " (or pip uninstall tensorflow-metal for CPU only)"
        )
    return Diagnosis("metal-mismatch", text, fix, output=output, details=details)


def tensorflow_missing(python: str, data: dict[str, Any], output: list[str]) -> Diagnosis:
    from tfm1 import compat

    distributions = data.get("build", {}).get("distributions", {})
    macos = distributions.get("tensorflow-macos")
    why = ""
    if macos and compat.load().kind("tensorflow-macos", str(macos)) == "empty":
        why = f": tensorflow-macos {macos} is an empty wheel that installs no tensorflow module"
    return Diagnosis(
        "tensorflow-missing",
        f"TensorFlow is not installed for {python}{why}",
        "tfm1 setup  (or pass --python / --prefix / --name for the environment that has TensorFlow)",
        output=output,
        details={"distributions": distributions},
    )
