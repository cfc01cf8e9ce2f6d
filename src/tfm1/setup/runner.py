"""The order of setup: lockfile, target, no-op check, plan, preflight, then the plan carried out and verify.

Re-running with the lockfile an environment was made from only reads the receipt and hashes the lockfile
(rattler is not even imported), so it finishes in well under a second.
"""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfm1.envelope import Outcome
from tfm1.errors import ExitCode, Tfm1Error
from tfm1.host.base import Host
from tfm1.receipt import Receipt
from tfm1.setup.events import Events
from tfm1.setup.options import SetupOptions, SetupTarget
from tfm1.setup.plan import SetupPlan, SetupRequest
from tfm1.setup.resolve import LockSource
from tfm1.setup.result import SetupResult

if TYPE_CHECKING:
    from tfm1.setup.bundle_source import BundleSource


def run_setup(options: SetupOptions, events: Events) -> Outcome:
    """Set up what `options` ask for, telling `events` each step as it goes; the outcome (its result: a
    `SetupResult`). Raises Tfm1Error."""
    from tfm1.setup.open_files import raise_open_files_limit

    raise_open_files_limit()  # before rattler runs: it reads the lock and links packages with many files open
    result = _run(options, events)
    failed = result.action == "cancelled" or result.verified is False
    return Outcome("setup", ExitCode.FAILED if failed else ExitCode.OK, result)


def _note_ignored_settings(events: Events) -> None:
    from tfm1.setup.pip_layer import ignored_installer_settings
    from tfm1.uv.settings import left_out_note

    ignored = ignored_installer_settings()
    if ignored:
        why = "setup installs only the files its lock names, each checked against its sha256"
        events.err.print(left_out_note(ignored, "tfm1 setup", why), markup=False)


def _run(options: SetupOptions, events: Events) -> SetupResult:
    from tfm1.host import live_host
    from tfm1.setup.miniforge import host_platform
    from tfm1.setup.protected import refuse_protected
    from tfm1.setup.resolve import resolve_lockfile, resolve_target

    host = live_host()
    bundle = None
    if options.bundle is not None:
        from tfm1.setup.bundle_source import open_bundle

        bundle, source = open_bundle(options.bundle, host_platform(host))
    else:
        source = resolve_lockfile(options, host_platform(host))
    target = resolve_target(options, host, source.platform, events)
    refuse_protected(target.prefix, "replace")
    _note_ignored_settings(events)  # once the lock and the target are known good: a refusal stays one error
    if options.dry_run:
        from tfm1.setup.journal import read_journal

        for place in (target.root, target.prefix):
            if place is not None and read_journal(place) is not None:
                left = f"an interrupted tfm1 run left a journal beside {place}: a real run repairs it first"
                events.step("recover", "warning", left)
        return _setup(options, host, source, target, events, bundle)
    from tfm1.setup.prefix_lock import lock_prefix
    from tfm1.setup.recover import recover

    # Held from the first look at the prefix to the last change: a second run on it stops at once.
    with lock_prefix(target.prefix, "setup", target.root, target.install_root):
        if target.install_root and target.root is not None:
            recover(target.root, events)  # a Miniforge that a killed run was installing there
        recover(target.prefix, events)
        return _setup(options, host, source, target, events, bundle)


def _setup(
    options: SetupOptions,
    host: Host,
    source: LockSource,
    target: SetupTarget,
    events: Events,
    bundle: BundleSource | None = None,
) -> SetupResult:
    from tfm1.rattler.conda_lock import read_lock
    from tfm1.setup.resolve import assess_prefix

    existing = assess_prefix(target, options, source.sha256)
    if existing.action == "current":
        assert existing.receipt is not None
        return _up_to_date(options, host, target, existing.receipt, events)
    locked = read_lock(source.path, source.platform, source.sha256)
    events.step(
        "lockfile",
        "ok",
        f"lockfile {source.path}: {len(locked.conda)} conda + {len(locked.pip)} pip packages for {source.platform}",
        path=str(source.path),
        sha256=source.sha256,
        platform=source.platform,
    )
    from tfm1.setup.plan import build_plan

    plan = build_plan(SetupRequest(options, source, target, existing, bundle), host, locked)
    receipt = _install(plan, options, host, events)
    if receipt is None:
        return SetupResult("dry-run" if options.dry_run else "cancelled", target.prefix, target.python)
    from tfm1.setup.kernel import finish_kernel

    registered = finish_kernel(plan.kernel, plan.prefix.path, receipt, events)
    verified = _verify(plan, events, host if registered else None)
    initialised = plan.init_shell and target.root is not None and _init_shell(target.root, events)
    return _made(target, "installed", verified, initialised)


def _up_to_date(
    options: SetupOptions, host: Host, target: SetupTarget, receipt: Receipt, events: Events
) -> SetupResult:
    if options.kernel and receipt.kernel is None:
        from tfm1.setup.kernel import finish_kernel, plan_kernel

        # Up to date, but without its kernel (--no-kernel before, or a Jupyter folder that was not writable).
        finish_kernel(plan_kernel(host, target.prefix, receipt, options.force), target.prefix, receipt, events)
    message = f"{target.prefix} is already set up from this lockfile ({receipt.created})"
    events.step("setup", "skipped", message, prefix=str(target.prefix), lockfile_sha256=receipt.lockfile_sha256)
    return _made(target, "up-to-date")


def _install(plan: SetupPlan, options: SetupOptions, host: Host, events: Events) -> Receipt | None:
    """Show the plan and carry it out: the receipt written, or None when it was only shown (a dry run, a no)."""
    from tfm1.setup.downloads import start_downloads
    from tfm1.setup.plan import measure_sizes, show_plan

    with ExitStack() as stack:
        downloads = None
        if not options.dry_run and not options.asks:
            # Nobody will be asked: the transfer starts now, under the preflight and the plan's size queries.
            downloads = stack.enter_context(start_downloads(plan, events))
        try:
            _preflight(host, plan, options.force, events)
            sizes = measure_sizes(plan)
            events.step("plan", "ok", **plan.to_json(sizes))
            show_plan(plan, sizes, events)
            if options.dry_run:
                events.step("setup", "skipped", "dry run: nothing was changed")
                return None
            if options.asks and not _confirm(events):
                events.step("setup", "skipped", "cancelled: nothing was changed")
                return None
        except KeyboardInterrupt:
            events.failure("setup", "interrupted before the install; nothing was changed")
            raise Tfm1Error(
                "setup interrupted before the install: nothing was changed", "re-run tfm1 setup", ExitCode.INTERRUPTED
            ) from None
        if downloads is None:
            downloads = stack.enter_context(start_downloads(plan, events))
        from tfm1.setup.execute import execute

        return execute(plan, events, downloads)


def _preflight(host: Host, plan: SetupPlan, force: bool, events: Events) -> None:
    from tfm1.setup.preflight import preflight

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


def _confirm(events: Events) -> bool:
    from rich.prompt import Confirm

    return Confirm.ask("Proceed?", default=True, console=events.err)


def _verify(plan: SetupPlan, events: Events, kernel_host: Host | None = None) -> bool | None:
    """Whether the new environment passed the smoke test; None when it was not run (--no-verify)."""
    if not plan.verify:
        events.step(
            "verify",
            "skipped",
            "verification skipped (--no-verify); run: tfm1 verify --python " + shlex.quote(str(plan.python)),
        )
        return None
    from tfm1.verify import CheckOptions, render, run_checks

    if kernel_host is not None:
        from tfm1.setup.kernel import kernel_launch

        # Through the kernelspec Jupyter would find by that name: the interpreter and environment a notebook gets.
        started = kernel_launch(kernel_host, plan.prefix.path, events)
        result = run_checks(started.python, CheckOptions(), environ=started.env)
    else:
        result = run_checks(str(plan.python), CheckOptions())
    if events.json_mode:
        events.step("verify", "ok" if result.ok else "failed", result=result.to_json())
    else:
        render(result, events.out)
    if result.ok:
        return True
    events.step(
        "verify",
        "failed",
        f"the environment at {plan.prefix.path} is installed but failed verification",
        fix=f"tfm1 doctor --python {shlex.quote(str(plan.python))}",
    )
    return False


def _init_shell(root: Path, events: Events) -> bool:
    import subprocess

    shell = Path(os.environ.get("SHELL", "zsh")).name
    conda = root / "condabin" / "conda"
    if not conda.exists():
        events.step("init-shell", "warning", f"no {conda}: shell not initialised")
        return False
    result = subprocess.run([str(conda), "init", shell], stdin=subprocess.DEVNULL, capture_output=True, check=False)
    status = "ok" if result.returncode == 0 else "warning"
    events.step("init-shell", status, f"conda init {shell}: exit {result.returncode}")
    return result.returncode == 0


def _made(
    target: SetupTarget,
    action: Literal["installed", "up-to-date"],
    verified: bool | None = None,
    initialised: bool = False,
) -> SetupResult:
    from tfm1.setup.hints import activation, conda_shell_ready

    ready = initialised or conda_shell_ready(target.root)
    command, note = activation(target.prefix, target.root, ready)
    return SetupResult(action, target.prefix, target.python, command, note, verified)


__all__ = ["run_setup"]
