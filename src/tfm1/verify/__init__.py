"""`tfm1 verify` as a library: run the TensorFlow checks in a target interpreter and judge the results.

tfm1 never imports TensorFlow itself: `check_script.py` (standard library and TensorFlow only) runs in the target
interpreter and writes what it measured; `evaluate` judges it; `diagnose` explains a run that did not finish.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tfm1.verify.check_options import CheckOptions
from tfm1.verify.result import Check, Diagnosis, VerifyResult

if TYPE_CHECKING:
    from rich.console import Console

    from tfm1.verify.evaluate import Json
    from tfm1.verify.script_runner import ScriptRun


def run_checks(
    python: str,
    options: CheckOptions,
    *,
    progress: Callable[[str], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> VerifyResult:
    """Run every check (1–3 with `options.quick`) with `python`; `progress` is called with each stage's name as
    it starts.

    `environ` replaces tfm1's own environment for the interpreter (a kernelspec's, for `--kernel`).

    The build is compared with the receipt of the environment the interpreter runs in, when it has one.

    Raises UsageError when `python` cannot be run at all.
    """
    from tfm1.receipt import read_receipt
    from tfm1.verify.script_runner import run_script

    run = run_script(python, options.script_args(), timeout=options.timeout, progress=progress, environ=environ)
    prefix = (run.data or {}).get("build", {}).get("prefix")
    receipt = read_receipt(prefix) if prefix else None
    return _judged(python, run, options, receipt.to_json() if receipt else None)


def check_made(
    python: str, options: CheckOptions, locked: Json, environ: Mapping[str, str] | None = None
) -> VerifyResult:
    """`run_checks` for an environment setup has just made from a lock: the build is held to that lock's
    `{"profile", "packages"}`, whatever environment `python` turns out to run in (a kernelspec found first may
    start another)."""
    from tfm1.verify.script_runner import run_script

    run = run_script(python, options.script_args(), timeout=options.timeout, environ=environ)
    return _judged(python, run, options, locked)


def _judged(python: str, run: ScriptRun, options: CheckOptions, locked: Json | None) -> VerifyResult:
    from tfm1.verify.diagnose import diagnose_run, exit_warnings
    from tfm1.verify.evaluate import evaluate

    return VerifyResult(
        python=python,
        checks=evaluate(run.data or {}, quick=options.quick, receipt=locked, expect_gpu=options.expect_gpu),
        diagnosis=diagnose_run(python, run, options.timeout),
        warnings=exit_warnings(run),
        quick=options.quick,
        dataset=options.dataset,
        seconds=run.seconds,
        returncode=run.returncode,
    )


def render(result: VerifyResult, console: Console) -> None:
    from tfm1.verify.render import render_result

    render_result(result, console)


__all__ = ["Check", "CheckOptions", "Diagnosis", "VerifyResult", "check_made", "render", "run_checks"]
