"""From the options to what setup works on (`SetupRequest`): the lockfile and profile (`LockSource`), read from a
bundle or not, and the target (`tfm1.setup.target`); then, once the prefix is locked, what is at the prefix now
(`PrefixState`): up to date, to be created, replaced or updated, or to be left alone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tfm1.errors import Tfm1Error, UsageError
from tfm1.file_identity import FileStamp
from tfm1.host.base import Host
from tfm1.receipt import Receipt
from tfm1.setup.events import Events
from tfm1.setup.lock_source import LockSource
from tfm1.setup.options import SetupOptions
from tfm1.setup.target import SetupTarget

if TYPE_CHECKING:
    from tfm1.setup.bundle_source import BundleSource

PrefixAction = Literal["current", "create", "replace", "update"]


@dataclass(frozen=True)
class SetupRequest:
    """What was asked, resolved: the options, the lockfile, where the environment goes, and the bundle the files
    come from (`--bundle`; None: from the network)."""

    options: SetupOptions
    source: LockSource
    target: SetupTarget
    bundle: BundleSource | None = None


@dataclass(frozen=True)
class PrefixState:
    action: PrefixAction  # "current": already made from this lockfile, nothing to install
    receipt: Receipt | None  # the prefix's receipt as read, once for the whole run (trusted or not)
    found: tuple[FileStamp | None, FileStamp | None] = (None, None)  # the prefix and its receipt, as they were


def resolve_request(options: SetupOptions, host: Host, events: Events) -> SetupRequest:
    """The lock (from `--lockfile`, the profile or the bundle) and the target; refuses a protected target.
    Nothing is changed."""
    from tfm1.setup.miniforge import host_platform
    from tfm1.setup.pip_layer import note_ignored_settings
    from tfm1.setup.protected import refuse_protected
    from tfm1.setup.target import resolve_target

    platform = host_platform(host)
    bundle = None
    if options.bundle is None:
        source = resolve_lockfile(options, platform)
    else:
        from tfm1.setup.bundle_source import open_bundle

        bundle, source = open_bundle(options.bundle, platform)
    target = resolve_target(options, host, platform, events)
    refuse_protected(target.prefix, "replace")
    note_ignored_settings(events)  # once the lock and the target are known good: a refusal stays one error
    return SetupRequest(options, source, target, bundle)


def resolve_lockfile(options: SetupOptions, platform: str) -> LockSource:
    from tfm1.lockfile import file_sha256

    if options.lockfile is not None:
        path = options.lockfile.expanduser().absolute()
        # envs/<profile>/conda-lock.yml names its profile by its directory
        named = path.parent.name if path.parent.parent.name == "envs" else "custom"
        return LockSource(path, options.profile or named, file_sha256(path), platform)
    from tfm1.profiles import DEFAULT_PROFILE, check_platform, get_profile

    profile = get_profile(options.profile or DEFAULT_PROFILE)
    # Before the lock is read: "the lock has no packages for linux-64" would send people to re-lock a profile
    # that cannot exist for this machine (metal has no Linux wheels).
    check_platform(profile, platform)
    path = Path(profile.lockfile).absolute()
    return LockSource(path, profile.name, file_sha256(path), platform)


def assess_prefix(target: SetupTarget, options: SetupOptions, lock_sha256: str) -> PrefixState:
    """What is at the prefix and what setup does with it; raises when it may not be replaced."""
    from tfm1.file_identity import stamp
    from tfm1.receipt import distrust, read_receipt, receipt_path
    from tfm1.setup.names import is_conda_root

    prefix = target.prefix
    if is_conda_root(prefix):
        raise UsageError(
            f"{prefix} is a conda installation, not an environment: setup never replaces one",
            "choose another --name or --prefix",
        )
    if not prefix.exists() and not prefix.is_symlink():
        return PrefixState("create", None)
    receipt = read_receipt(prefix)
    receipt_file = receipt_path(os.path.realpath(prefix))
    reason = "it has no receipt" if receipt is None else distrust(receipt, prefix)
    found = (stamp(prefix), stamp(receipt_file))
    if receipt is not None and not receipt.prefix and receipt.lockfile_sha256 == lock_sha256 and not options.force:
        # An older tfm1's receipt: trusted to say "up to date", which changes nothing.
        return PrefixState("current", receipt)
    if reason is not None or receipt is None:
        if prefix.is_dir() and not any(prefix.iterdir()):
            return PrefixState("create", receipt)
        if not options.force:
            raise Tfm1Error(
                f"{prefix} already exists and was not made by tfm1 ({reason})",
                "choose another --name or --prefix, or pass --force to replace it (it is put back if setup fails)",
            )
        return PrefixState("replace", receipt, found)
    if receipt.lockfile_sha256 == lock_sha256 and not options.force:
        return PrefixState("current", receipt)
    if receipt.lockfile_sha256 != lock_sha256 and not (options.update or options.force):
        raise Tfm1Error(
            f"{prefix} was made from a different lockfile ({receipt.lockfile}, sha256 {receipt.lockfile_sha256[:12]}…"
            f"; this one is {lock_sha256[:12]}…)",
            "re-run with --update to rebuild it from this lockfile",
        )
    # --force replaces whatever is there; --update rebuilds tfm1's own environment, which must still be it then.
    return PrefixState("replace" if options.force else "update", receipt, found)
