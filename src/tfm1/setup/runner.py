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
from tfm1.receipt import Receipt, read_receipt
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
    command_line: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    prefix: Path
    root: Path | None  # the conda root the environment goes into; None with --prefix
    install_root: bool  # Miniforge must be installed at `root` first
    skipped_roots: list[str]

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"

    def activate(self) -> str:
        if self.root is not None and self.prefix.parent == self.root / "envs":
            return f"conda activate {self.prefix.name}"
        return f"conda activate {shlex.quote(str(self.prefix))}"


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


def resolve_target(options: SetupOptions, host: Any, platform_name: str, events: Events) -> Target:
    from tfm1.setup.miniforge import choose_root, default_root, foreign_root_error

    if options.prefix is not None:
        prefix = options.prefix.expanduser().absolute()
        return Target(prefix, None, False, [])
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
        return Target(choice.root / "envs" / name, choice.root, False, choice.skipped)
    if root.exists():
        raise Tfm1Error(
            f"{root} exists but is not a conda installation, so Miniforge cannot be installed there",
            "move it away, or pass --prefix PATH to put the environment elsewhere",
        )
    return Target(root / "envs" / name, root, True, choice.skipped)


def check_existing(target: Target, options: SetupOptions, lock_sha256: str) -> Receipt | None:
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
    if receipt is None:
        if prefix.is_dir() and not any(prefix.iterdir()):
            return None
        if not options.force:
            raise Tfm1Error(
                f"{prefix} already exists and was not made by tfm1 (it has no receipt)",
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
    try:
        return _run(options, events)
    except Tfm1Error as error:
        # The last JSON line says how the run ended, for tools that read only stdout.
        events.step("setup", "failed", error.message, fix=error.fix, exit_code=int(error.exit_code))
        raise


def _run(options: SetupOptions, events: Events) -> int:
    from tfm1.host import live_host
    from tfm1.setup.lock import file_sha256, read_lock
    from tfm1.setup.miniforge import host_platform

    lockfile, profile = resolve_lockfile(options)
    lock_sha256 = file_sha256(lockfile)
    host = live_host()
    platform_name = host_platform(host)
    target = resolve_target(options, host, platform_name, events)
    done = check_existing(target, options, lock_sha256)
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
    plan = _plan(target, locked, profile, options)
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
    code = _verify(target, options, events)
    if options.init_shell and target.root is not None:
        _init_shell(target.root, events)
    _next_steps(target, events)
    return code


def _preflight(host: Any, target: Target, options: SetupOptions, profile: str, metal: bool, events: Events) -> None:
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


def _plan(target: Target, locked: Any, profile: str, options: SetupOptions) -> dict[str, Any]:
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
    known, unknown, not_asked = total_size(downloads, asked_hosts(locked.channels))
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
        "download_bytes": known,
        "unknown_sizes": unknown,
        "sizes_not_asked_of": not_asked,
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
    events.say("\n".join(lines))


def _confirm(events: Events) -> bool:
    from rich.prompt import Confirm

    return Confirm.ask("Proceed?", default=True, console=events.err)


def _verify(target: Target, options: SetupOptions, events: Events) -> int:
    if not options.verify:
        events.step(
            "verify",
            "skipped",
            "verification skipped (--no-verify); run: tfm1 verify --python " + shlex.quote(str(target.python)),
        )
        return ExitCode.OK
    from tfm1.verify import render, run_checks

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


def _init_shell(root: Path, events: Events) -> None:
    import subprocess

    shell = Path(os.environ.get("SHELL", "zsh")).name
    conda = root / "condabin" / "conda"
    if not conda.exists():
        events.step("init-shell", "warning", f"no {conda}: shell not initialised")
        return
    result = subprocess.run([str(conda), "init", shell], stdin=subprocess.DEVNULL, capture_output=True, check=False)
    status = "ok" if result.returncode == 0 else "warning"
    events.step("init-shell", status, f"conda init {shell}: exit {result.returncode}")


def _next_steps(target: Target, events: Events) -> None:
    events.step("done", "ok", prefix=str(target.prefix), python=str(target.python), activate=target.activate())
    events.say(
        "\nTo start using it:\n"
        f"  {target.activate()}\n"
        f"  {shlex.quote(str(target.python))} -c 'import tensorflow as tf; print(tf.config.list_physical_devices())'"
    )


__all__ = ["SetupOptions", "Target", "run_setup"]
