"""What setup does once it knows what is at the prefix: the kernel planned (refused before anything changes when
its name is taken), then for an environment already made from this lockfile nothing but its missing Jupyter
kernel; otherwise the lock read, the plan built and carried out, then the kernel, verify and the shell."""

from __future__ import annotations

from tfm1.host.base import Host
from tfm1.setup.events import Events
from tfm1.setup.resolve import PrefixState, SetupRequest
from tfm1.setup.result import SetupResult


def proceed(request: SetupRequest, existing: PrefixState, host: Host, events: Events) -> SetupResult:
    """Make the environment `request` asks for, `existing` being what is at the prefix now (or only show the plan:
    `--dry-run`, a no at the prompt)."""
    from tfm1.rattler.conda_lock import read_lock
    from tfm1.setup.execute import show_and_execute
    from tfm1.setup.hints import init_shell, ready
    from tfm1.setup.kernel import finish_kernel, plan_kernel
    from tfm1.setup.plan import build_plan
    from tfm1.setup.verify_env import verify_environment

    options, target, receipt = request.options, request.target, existing.receipt
    if existing.action == "current":
        assert receipt is not None
        # Up to date; its kernel is registered only when it has none (--no-kernel before, a folder not writable).
        missing = options.kernel and receipt.kernel is None
        kernel = plan_kernel(host, target.prefix, receipt, options.force) if missing else None
        plan = None
    else:
        kernel = plan_kernel(host, target.prefix, receipt, options.force, options.kernel)
        source = request.source
        locked = read_lock(source.path, source.platform, source.sha256, source.data)
        summary = f"{len(locked.conda)} conda + {len(locked.pip)} pip packages for {source.platform}"
        events.step(
            "lockfile",
            "ok",
            f"lockfile {source.path}: {summary}",
            path=str(source.path),
            sha256=source.sha256,
            platform=source.platform,
        )
        plan = build_plan(request, existing, locked, kernel)
        receipt = show_and_execute(plan, options, host, events)
        if receipt is None:
            return SetupResult("dry-run" if options.dry_run else "cancelled", target.prefix, target.python)
    registered = kernel is not None and finish_kernel(kernel, target.prefix, receipt, events)
    if plan is None:
        message = f"{target.prefix} is already set up from this lockfile ({receipt.created})"
        events.step("setup", "skipped", message, prefix=str(target.prefix), lockfile_sha256=receipt.lockfile_sha256)
        return ready(target, "up-to-date")
    verified = verify_environment(plan, receipt, events, host if registered else None)
    initialised = plan.init_shell and target.root is not None and init_shell(target.root, events)
    return ready(target, "installed", verified, initialised)
