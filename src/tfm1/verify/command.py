"""`tfm1 verify` end to end: choose the environment, run the checks with progress on stderr, print the result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.errors import ExitCode

if TYPE_CHECKING:
    from tfm1.envelope import Outcome
    from tfm1.verify.check_options import CheckOptions


def verify_environment(
    options: CheckOptions,
    *,
    name: str | None,
    prefix: Path | None,
    python: str | None,
    kernel: str | None,
) -> Outcome:
    """`tfm1 verify` end to end; the outcome (its result: the checks' JSON document with the target, also the
    envelope's own keys)."""
    from tfm1.envelope import Outcome
    from tfm1.host import live_host
    from tfm1.terminal import console
    from tfm1.verify import render, run_checks
    from tfm1.verify.evaluate import TITLES
    from tfm1.verify.target import choose_target

    environ = None
    if kernel:
        from tfm1.verify.kernel import kernel_target
        from tfm1.verify.target import VerifyTarget

        spec = kernel_target(live_host(), kernel)
        target, environ = VerifyTarget(spec.python, f"--kernel {spec.spec}"), spec.env
    else:
        target = choose_target(live_host(), python=python, prefix=None if prefix is None else str(prefix), name=name)
    # Progress goes to stderr so stdout stays the result (the table, or the JSON document).
    with console(stderr=True).status(f"Checking TensorFlow in {target.python}") as status:

        def progress(stage: str) -> None:
            what = "importing TensorFlow" if stage == "import" else f"the {TITLES.get(stage, stage)} check"
            status.update(f"Checking TensorFlow in {target.python}: {what}")

        result = run_checks(target.python, options, progress=progress, environ=environ)
    document = result.to_json()
    document["target"] = {"python": target.python, "source": target.source}
    code = ExitCode.OK if result.ok else ExitCode.FAILED
    return Outcome("verify", code, document, fields=document, show=lambda: render(result, console()))
