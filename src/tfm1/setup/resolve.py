"""From the options to what setup works on: the lockfile and profile (`LockSource`), the target prefix and conda
root (`SetupTarget`), and what is at the prefix now (`PrefixState`): up to date, to be created, replaced or updated,
or to be left alone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from tfm1.errors import Tfm1Error, UsageError
from tfm1.host.base import Host
from tfm1.receipt import Receipt, distrust, read_receipt, receipt_path
from tfm1.setup.events import Events
from tfm1.setup.names import check_env_name, is_conda_root
from tfm1.setup.options import DEFAULT_NAME, SetupOptions, SetupTarget

PrefixAction = Literal["current", "create", "replace", "update"]


@dataclass(frozen=True)
class LockSource:
    path: Path
    profile: str
    sha256: str
    platform: str  # the conda subdir of this machine, which the lock is read for


class FileStamp(NamedTuple):
    """What a path was when setup looked at it: a later look that differs means someone changed it meanwhile."""

    device: int
    inode: int
    modified_ns: int
    size: int


def stamp(path: Path) -> FileStamp | None:
    try:
        info = path.lstat()
    except OSError:
        return None
    return FileStamp(info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


@dataclass(frozen=True)
class PrefixState:
    action: PrefixAction  # "current": already made from this lockfile, nothing to install
    receipt: Receipt | None  # the prefix's receipt as read, once for the whole run (trusted or not)
    found: tuple[FileStamp | None, FileStamp | None] = (None, None)  # the prefix and its receipt, as they were


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
    # Nothing there, or a Miniforge that a killed tfm1 run was installing: the run's journal repairs that first.
    return SetupTarget(root / "envs" / name, root, True)


def assess_prefix(target: SetupTarget, options: SetupOptions, lock_sha256: str) -> PrefixState:
    """What is at the prefix and what setup does with it; raises when it may not be replaced."""
    prefix = target.prefix
    if is_conda_root(prefix):
        raise UsageError(
            f"{prefix} is a conda installation, not an environment: setup never replaces one",
            "choose another --name or --prefix",
        )
    if not prefix.exists() and not prefix.is_symlink():
        return PrefixState("create", None)
    receipt = read_receipt(prefix)
    found = (stamp(prefix), stamp(receipt_path(os.path.realpath(prefix))))
    reason = "it has no receipt" if receipt is None else distrust(receipt, prefix)
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
