"""The order of setup: lockfile, target, no-op check, preflight, plan, then the install transaction and verify.

Re-running with the lockfile an environment was made from only reads the receipt and hashes the lockfile
(rattler is not even imported), so it finishes in well under a second.
"""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import ExitStack
from pathlib import Path

from tfm1.errors import ExitCode, Tfm1Error
from tfm1.host.base import Host
from tfm1.setup.events import Events
from tfm1.setup.options import SetupOptions, SetupTarget, interactive
from tfm1.setup.resolve import check_existing, resolve_lockfile, resolve_target


def run_setup(options: SetupOptions, events: Events) -> int:
    from tfm1.setup.open_files import raise_open_files_limit

    raise_open_files_limit()  # before rattler runs: it reads the lock and links packages with many files open
    try:
        return _run(options, events)
    except Tfm1Error as error:
        # The last JSON line says how the run ended, for tools that read only stdout.
        events.failure("setup", error.message, fix=error.fix, exit_code=int(error.exit_code))
        raise


def _run(options: SetupOptions, events: Events) -> int:
    from tfm1.host import live_host
    from tfm1.lockfile import file_sha256
    from tfm1.setup.miniforge import host_platform
    from tfm1.setup.protected import refuse_protected

    lockfile, profile = resolve_lockfile(options)
    host = live_host()
    platform_name = host_platform(host)
    if options.lockfile is None:
        from tfm1.profiles import check_platform, get_profile

        # Before the lock is read: "the lock has no packages for linux-64" would send people to re-lock
        # a profile that cannot exist for this machine (metal has no Linux wheels).
        check_platform(get_profile(profile), platform_name)
    lock_sha256 = file_sha256(lockfile)
    target = resolve_target(options, host, platform_name, events)
    refuse_protected(target.prefix, "replace")
    if options.dry_run:
        return _prepare(options, events, lockfile, profile, lock_sha256, host, platform_name, target)
    from tfm1.setup.prefix_lock import lock_prefix
    from tfm1.setup.recover import recover

    # Held from the first look at the prefix to the last change: a second run on it stops at once.
    with lock_prefix(target.prefix, "setup", target.root, target.install_root):
        recover(target.prefix, events)
        return _prepare(options, events, lockfile, profile, lock_sha256, host, platform_name, target)


def _prepare(
    options: SetupOptions,
    events: Events,
    lockfile: Path,
    profile: str,
    lock_sha256: str,
    host: Host,
    platform_name: str,
    target: SetupTarget,
) -> int:
    from tfm1.lockfile import read_lock

    if options.dry_run:
        from tfm1.setup.journal import read_journal

        if read_journal(target.prefix) is not None:
            events.step(
                "recover",
                "warning",
                f"an interrupted tfm1 run left a journal beside {target.prefix}: a real run repairs it first",
            )
    done = check_existing(target, options, lock_sha256)
    if done is not None and options.kernel and done.kernel is None:
        from tfm1.setup.kernel import finish_kernel, plan_kernel

        # Up to date, but without its kernel (--no-kernel before, or a Jupyter folder that was not writable).
        finish_kernel(plan_kernel(host, target.prefix, options.force), target.prefix, events)
    if done is not None:
        message = f"{target.prefix} is already set up from this lockfile ({done.created})"
        events.step("setup", "skipped", message, prefix=str(target.prefix), lockfile_sha256=lock_sha256)
        _next_steps(target, events)
        return ExitCode.OK

    locked = read_lock(lockfile, platform_name, lock_sha256)
    events.step(
        "lockfile",
        "ok",
        f"lockfile {lockfile}: {len(locked.conda)} conda + {len(locked.pip)} pip packages for {platform_name}",
        path=str(lockfile),
        sha256=lock_sha256,
        platform=platform_name,
    )
    from tfm1.setup.downloads import start_downloads

    with ExitStack() as stack:
        downloads = None
        if not options.dry_run and not interactive(options):
            # Nobody will be asked: the transfer starts now, under the preflight, the plan and the install's set-up.
            downloads = stack.enter_context(start_downloads(target, locked, events))
        try:
            _preflight(host, target, options, profile, "tensorflow-metal" in locked.packages(), events)
            from tfm1.setup.kernel import finish_kernel, plan_kernel
            from tfm1.setup.plan import build_plan, show_plan

            kernel = plan_kernel(host, target.prefix, options.force, options.kernel)
            plan = build_plan(target, locked, profile, options, kernel.spec if kernel.register else None)
            events.step("plan", "ok", **plan.to_json())
            show_plan(plan, events)
            if options.dry_run:
                events.step("setup", "skipped", "dry run: nothing was changed")
                return ExitCode.OK
            if interactive(options) and not _confirm(events):
                events.step("setup", "skipped", "cancelled: nothing was changed")
                return ExitCode.FAILED
        except KeyboardInterrupt:
            events.failure("setup", "interrupted before the install; nothing was changed")
            raise Tfm1Error(
                "setup interrupted before the install: nothing was changed", "re-run tfm1 setup", ExitCode.INTERRUPTED
            ) from None
        if downloads is None:
            downloads = stack.enter_context(start_downloads(target, locked, events))
        from tfm1.setup.install import install

        install(target, locked, profile, options, events, downloads)
    registered = finish_kernel(kernel, target.prefix, events)
    code = _verify(target, options, events, host if registered else None)
    initialised = options.init_shell and target.root is not None and _init_shell(target.root, events)
    _next_steps(target, events, initialised)
    return code


def _preflight(
    host: Host, target: SetupTarget, options: SetupOptions, profile: str, metal: bool, events: Events
) -> None:
    from tfm1.setup.preflight import preflight

    python = target.root / "bin" / "python" if target.root is not None and not target.install_root else None
    result = preflight(
        host, str(python) if python else sys.executable, metal=metal or profile == "metal", force=options.force
    )
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


def _verify(target: SetupTarget, options: SetupOptions, events: Events, kernel_host: Host | None = None) -> int:
    if not options.verify:
        events.step(
            "verify",
            "skipped",
            "verification skipped (--no-verify); run: tfm1 verify --python " + shlex.quote(str(target.python)),
        )
        return ExitCode.OK
    from tfm1.verify import CheckOptions, render, run_checks

    if kernel_host is not None:
        from tfm1.setup.kernel import kernel_launch

        # Through the kernelspec Jupyter would find by that name: the interpreter and environment a notebook gets.
        started = kernel_launch(kernel_host, target.prefix, events)
        result = run_checks(started.python, CheckOptions(), environ=started.env)
    else:
        result = run_checks(str(target.python), CheckOptions())
    if events.json_mode:
        events.step("verify", "ok" if result.ok else "failed", result=result.to_json())
    else:
        render(result, events.out)
    if result.ok:
        return ExitCode.OK
    events.step(
        "verify",
        "failed",
        f"the environment at {target.prefix} is installed but failed verification",
        fix=f"tfm1 doctor --python {shlex.quote(str(target.python))}",
    )
    return ExitCode.FAILED


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


def _next_steps(target: SetupTarget, events: Events, shell_initialised: bool = False) -> None:
    from tfm1.setup.hints import activation, conda_shell_ready

    ready = shell_initialised or conda_shell_ready(target.root)
    command, note = activation(target.prefix, target.root, ready)
    events.step("done", "ok", prefix=str(target.prefix), python=str(target.python), activate=command, shell_hint=note)
    events.say(
        "\nTo start using it:\n"
        f"  {command}" + (f"\n  ({note})" if note else "") + "\n"
        f"  {shlex.quote(str(target.python))} -c 'import tensorflow as tf; print(tf.config.list_physical_devices())'"
    )


__all__ = ["run_setup"]
