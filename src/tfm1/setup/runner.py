"""The order of setup: lockfile, target, no-op check, preflight, plan, then the install transaction and verify.

Re-running with the lockfile an environment was made from only reads the receipt and hashes the lockfile
(rattler is not even imported), so it finishes in well under a second.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfm1.errors import ExitCode, Tfm1Error, UsageError
from tfm1.receipt import Receipt, distrust, read_receipt
from tfm1.setup.events import Events
from tfm1.setup.names import check_env_name, is_conda_root

DEFAULT_NAME = "tfm1"


@dataclass
class SetupOptions:
    profile: str | None = None
    name: str | None = None
    prefix: Path | None = None
    lockfile: Path | None = None
    yes: bool = False
    dry_run: bool = False
    verify: bool = True
    force: bool = False
    update: bool = False
    init_shell: bool = False
    kernel: bool = True  # register the environment as a Jupyter kernel
    command_line: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SetupTarget:
    prefix: Path
    root: Path | None  # the conda root the environment goes into; None with --prefix
    install_root: bool  # Miniforge must be installed at `root` first

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"


def resolve_lockfile(options: SetupOptions) -> tuple[Path, str]:
    if options.lockfile is not None:
        path = options.lockfile.expanduser().absolute()
        if options.profile:
            return path, options.profile
        # envs/<profile>/conda-lock.yml names its profile by its directory
        return path, path.parent.name if path.parent.parent.name == "envs" else "custom"
    from tfm1.profiles import DEFAULT_PROFILE, get_profile

    profile = options.profile or DEFAULT_PROFILE
    return Path(get_profile(profile).lockfile).absolute(), profile


def resolve_target(options: SetupOptions, host: Any, platform_name: str, events: Events) -> SetupTarget:
    from tfm1.setup.miniforge import choose_root, default_root, foreign_root_error

    if options.prefix is not None:
        prefix = options.prefix.expanduser().absolute()
        return SetupTarget(prefix, None, False)
    name = check_env_name(options.name or DEFAULT_NAME)
    choice = choose_root(host, platform_name)
    root = default_root(host)
    if choice.root is None and str(root) in choice.foreign:
        # Miniforge would have to go where a foreign root already is: one clear refusal, not a warning and then one.
        raise foreign_root_error(host, root, choice.foreign[str(root)])
    for skipped in choice.skipped:
        events.step(
            "conda-root",
            "warning",
            f"leaving {skipped} alone: it is not a {platform_name} conda installation",
            prefix=skipped,
        )
    if choice.root is not None:
        return SetupTarget(choice.root / "envs" / name, choice.root, False)
    if root.exists():
        raise Tfm1Error(
            f"{root} exists but is not a conda installation, so Miniforge cannot be installed there",
            "move it away, or pass --prefix PATH to put the environment elsewhere",
        )
    return SetupTarget(root / "envs" / name, root, True)


def check_existing(target: SetupTarget, options: SetupOptions, lock_sha256: str) -> Receipt | None:
    """The receipt when the environment is already up to date; raises when it may not be replaced."""
    prefix = target.prefix
    if is_conda_root(prefix):
        raise UsageError(
            f"{prefix} is a conda installation, not an environment: setup never replaces one",
            "choose another --name or --prefix",
        )
    if not prefix.exists() and not prefix.is_symlink():
        return None
    receipt = read_receipt(prefix)
    reason = "it has no receipt" if receipt is None else distrust(receipt, prefix)
    if receipt is not None and not receipt.prefix and receipt.lockfile_sha256 == lock_sha256 and not options.force:
        return receipt  # an older tfm1's receipt: trusted to say "up to date", which changes nothing
    if reason is not None or receipt is None:
        if prefix.is_dir() and not any(prefix.iterdir()):
            return None
        if not options.force:
            raise Tfm1Error(
                f"{prefix} already exists and was not made by tfm1 ({reason})",
                "choose another --name or --prefix, or pass --force to replace it (it is put back if setup fails)",
            )
        return None
    if receipt.lockfile_sha256 == lock_sha256 and not options.force:
        return receipt
    if receipt.lockfile_sha256 != lock_sha256 and not (options.update or options.force):
        raise Tfm1Error(
            f"{prefix} was made from a different lockfile ({receipt.lockfile}, sha256 {receipt.lockfile_sha256[:12]}…"
            f"; this one is {lock_sha256[:12]}…)",
            "re-run with --update to rebuild it from this lockfile",
        )
    return None


def interactive(options: SetupOptions) -> bool:
    if options.yes or os.environ.get("CI") or os.environ.get("NONINTERACTIVE"):
        return False
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


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
    host: Any,
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
        events.step(
            "setup",
            "skipped",
            f"{target.prefix} is already set up from this lockfile ({done.created})",
            prefix=str(target.prefix),
            lockfile_sha256=lock_sha256,
        )
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
    _preflight(host, target, options, profile, "tensorflow-metal" in locked.packages(), events)
    from tfm1.setup.kernel import finish_kernel, plan_kernel

    kernel = plan_kernel(host, target.prefix, options.force, options.kernel)
    plan = _plan(target, locked, profile, options)
    plan["kernel"] = str(kernel.spec) if kernel.register else None
    events.step("plan", "ok", **plan)
    _show_plan(plan, events)
    if options.dry_run:
        events.step("setup", "skipped", "dry run: nothing was changed")
        return ExitCode.OK
    if interactive(options) and not _confirm(events):
        events.step("setup", "skipped", "cancelled: nothing was changed")
        return ExitCode.FAILED

    from tfm1.setup.install import install

    install(target, locked, profile, options, events)
    registered = finish_kernel(kernel, target.prefix, events)
    code = _verify(target, options, events, host if registered else None)
    initialised = options.init_shell and target.root is not None and _init_shell(target.root, events)
    _next_steps(target, events, initialised)
    return code


def _preflight(
    host: Any, target: SetupTarget, options: SetupOptions, profile: str, metal: bool, events: Events
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


def _plan(target: SetupTarget, locked: Any, profile: str, options: SetupOptions) -> dict[str, Any]:
    root: dict[str, Any] | None = None
    if target.root is not None:
        root = {"path": str(target.root), "action": "install" if target.install_root else "use"}
        if target.install_root:
            from tfm1.setup.miniforge import installer_for

            installer = installer_for(locked.platform)
            root.update(url=installer.url, sha256=installer.sha256)
    from tfm1.redact import redact
    from tfm1.setup.sizes import asked_hosts, total_size

    existing = target.prefix.exists() and any(target.prefix.iterdir()) if target.prefix.is_dir() else False
    downloads = [str(r.url) for r in locked.conda] + [w.url for w in locked.pip]
    sizes = total_size(downloads, asked_hosts(locked.channels))
    return {
        "profile": profile,
        "lockfile": str(locked.path),
        "lockfile_sha256": locked.sha256,
        "platform": locked.platform,
        "conda_root": root,
        "prefix": str(target.prefix),
        "replaces": str(target.prefix) if existing else None,
        "conda_packages": len(locked.conda),
        "pip_packages": len(locked.pip),
        "downloads": [redact(url) for url in downloads],
        "download_bytes": sizes.known,
        "unknown_sizes": sizes.unknown,
        "unreachable": sizes.unreachable,
        "sizes_not_asked_of": sizes.not_asked,
        "verify": options.verify,
    }


def _show_plan(plan: dict[str, Any], events: Events) -> None:
    if events.json_mode:
        return
    size = plan["download_bytes"]
    lines = ["[bold]Plan[/bold]"]
    root = plan["conda_root"]
    if root and root["action"] == "install":
        lines.append(f"  Miniforge     install into {root['path']} from {root['url']}")
    elif root:
        lines.append(f"  conda root    {root['path']} (existing, left as it is)")
    replaces = "  [yellow](replaces the existing one)[/yellow]" if plan["replaces"] else ""
    then = "tfm1 verify on the new environment" if plan["verify"] else "no verification (--no-verify)"
    lines += [
        f"  environment   {plan['prefix']}{replaces}",
        f"  lockfile      {plan['lockfile']} ({plan['platform']}, profile {plan['profile']})",
        f"  kernel        {plan['kernel'] or 'none (--no-kernel)'}",
        f"  downloads     {plan['conda_packages']} conda packages and {plan['pip_packages']} wheels, "
        + (
            f"{size / 1e6:.1f} MB"
            if not plan["unknown_sizes"]
            else f"{size / 1e6:.1f} MB + {plan['unknown_sizes']} files of unknown size"
        )
        + " (files already in the package caches are not fetched again)",
        *(
            [f"                sizes not asked of {', '.join(plan['sizes_not_asked_of'])}: not a channel of the lock"]
            if plan["sizes_not_asked_of"]
            else []
        ),
        f"  then          {then}",
    ]
    if plan["unreachable"]:
        hosts = ", ".join(plan["unreachable"])
        lines.append(f"[yellow]  could not reach {hosts}: the install downloads from there (offline, or a proxy?)[/]")
    events.say("\n".join(lines))


def _confirm(events: Events) -> bool:
    from rich.prompt import Confirm

    return Confirm.ask("Proceed?", default=True, console=events.err)


def _verify(target: SetupTarget, options: SetupOptions, events: Events, kernel_host: Any = None) -> int:
    if not options.verify:
        events.step(
            "verify",
            "skipped",
            "verification skipped (--no-verify); run: tfm1 verify --python " + shlex.quote(str(target.python)),
        )
        return ExitCode.OK
    from tfm1.verify import render, run_checks

    if kernel_host is not None:
        from tfm1.setup.kernel import kernel_launch

        # Through the kernelspec Jupyter would find by that name: the interpreter and environment a notebook gets.
        started = kernel_launch(kernel_host, target.prefix, events)
        result = run_checks(started.python, environ=started.env)
    else:
        result = run_checks(str(target.python))
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


__all__ = ["SetupOptions", "SetupTarget", "run_setup"]
