"""From the options to what setup works on: the lockfile and profile, the target prefix and conda root, and
whether an environment already there is up to date, may be replaced, or must be left alone."""

from __future__ import annotations

from pathlib import Path

from tfm1.errors import Tfm1Error, UsageError
from tfm1.host.base import Host
from tfm1.receipt import Receipt, distrust, read_receipt
from tfm1.setup.events import Events
from tfm1.setup.names import check_env_name, is_conda_root
from tfm1.setup.options import DEFAULT_NAME, SetupOptions, SetupTarget


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


def resolve_target(options: SetupOptions, host: Host, platform_name: str, events: Events) -> SetupTarget:
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
