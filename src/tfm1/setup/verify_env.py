"""The smoke test of a freshly set-up environment (`tfm1 verify`), through its Jupyter kernel when one was
registered: the interpreter and environment a notebook gets."""

from __future__ import annotations

import shlex
from pathlib import Path

from tfm1.errors import Tfm1Error
from tfm1.host.base import Host
from tfm1.jupyter.launch import KernelLaunch
from tfm1.receipt import Receipt
from tfm1.setup.events import Events
from tfm1.setup.plan import SetupPlan


def verify_environment(
    plan: SetupPlan, receipt: Receipt, events: Events, kernel_host: Host | None = None
) -> bool | None:
    """Whether the new environment (made as `receipt` says) passed the smoke test; None when it was not run
    (--no-verify)."""
    if not plan.verify:
        events.step(
            "verify",
            "skipped",
            "verification skipped (--no-verify); run: tfm1 verify --python " + shlex.quote(str(plan.python)),
        )
        return None
    from tfm1.verify import CheckOptions, check_made

    locked = {"profile": receipt.profile, "packages": receipt.packages}  # what the build is held to
    if kernel_host is not None:
        # Through the kernelspec Jupyter would find by that name: the interpreter and environment a notebook gets.
        started = kernel_launch(kernel_host, plan.prefix.path, events)
        result = check_made(started.python, CheckOptions(), locked, environ=started.env)
    else:
        result = check_made(str(plan.python), CheckOptions(), locked)
    events.verified(result)
    if result.ok:
        return True
    events.step(
        "verify",
        "failed",
        f"the environment at {plan.prefix.path} is installed but failed verification",
        fix=f"tfm1 doctor --python {shlex.quote(str(plan.python))}",
    )
    return False


def kernel_launch(host: Host, prefix: Path, events: Events) -> KernelLaunch:
    """What Jupyter starts for this environment's kernel name: the spec it finds first, maybe not tfm1's."""
    from tfm1.jupyter.registration import kernel_file, kernel_name
    from tfm1.verify.kernel import kernel_target

    name = kernel_name(prefix)
    try:
        started = kernel_target(host, name)
    except Tfm1Error as error:  # a usage error for `verify --kernel`; here the install is done and only this failed
        message = f"{prefix} is installed, but not the kernel Jupyter would start: {error.message}"
        raise Tfm1Error(message, error.fix) from None
    if started.spec != kernel_file(host, prefix):
        events.warning(
            "kernel",
            f"Jupyter finds another kernel named {name} first ({started.spec}, on $JUPYTER_PATH): verifying that one",
            "remove it, or take its folder out of JUPYTER_PATH",
        )
    return started
