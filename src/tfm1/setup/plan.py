"""What a setup run does, decided before anything changes (`build_plan`) and then followed step by step
(`tfm1.setup.execute`): `--dry-run` shows this same object, the `plan` JSON step is its `to_json`.

Every decision is here: whether the conda root is used as it is or Miniforge installed there (with which
installer), whether the prefix is created, replaced (`--force`) or updated (a tfm1 environment from another
lockfile), the records and wheels, every file to download with its sha256, the Jupyter kernel, whether verify
runs, and the steps in their order, by the names the journal writes.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tfm1.errors import Tfm1Error
from tfm1.file_identity import FileStamp
from tfm1.lockfile import LockedEnvironment
from tfm1.setup.events import Events
from tfm1.setup.kernel import KernelPlan
from tfm1.setup.miniforge import Installer
from tfm1.setup.resolve import PrefixState, SetupRequest
from tfm1.setup.store import Wanted
from tfm1.setup.target import SetupTarget

if TYPE_CHECKING:
    from rattler import RepoDataRecord

    from tfm1.bundlefile.manifest import Kind
    from tfm1.setup.bundle_source import BundleSource
    from tfm1.setup.sizes import Sizes

RootAction = Literal["use", "install"]
Step = Literal["miniforge", "prefix", "conda", "pip", "receipt"]


@dataclass(frozen=True)
class CondaRootPlan:
    path: Path
    action: RootAction  # "install": Miniforge is installed there first; "use": the existing root, left as it is
    installer: Installer | None = None  # when installing

    def to_json(self) -> dict[str, Any]:
        root: dict[str, Any] = {"path": str(self.path), "action": self.action}
        if self.installer is not None:
            root.update(url=self.installer.url, sha256=self.installer.sha256)
        return root


@dataclass(frozen=True)
class PrefixPlan:
    path: Path
    action: Literal["create", "replace", "update"]
    found: tuple[FileStamp | None, FileStamp | None] = (None, None)  # the prefix and its receipt, when planned

    @property
    def replaces(self) -> bool:
        return self.action != "create"


@dataclass(frozen=True)
class SetupPlan:
    profile: str
    lock: LockedEnvironment
    conda_root: CondaRootPlan | None
    prefix: PrefixPlan
    # The lock's conda packages in dependency order (each after what it depends on: the order they are linked in),
    # their URLs redacted (what conda-meta/ records); their archives in the same order, with the URLs to fetch.
    records: tuple[RepoDataRecord, ...]
    archives: tuple[Wanted, ...]
    wheels: tuple[Wanted, ...]  # the lock's wheels, in its order
    kernel: KernelPlan
    verify: bool
    init_shell: bool
    steps: tuple[Step, ...]
    command: str  # the command line, for conda-meta/history
    bundle: BundleSource | None = None  # where the files come from instead of their URLs

    @property
    def python(self) -> Path:
        return self.prefix.path / "bin" / "python"

    @property
    def installer(self) -> Installer | None:
        return self.conda_root.installer if self.conda_root is not None else None

    @property
    def downloads(self) -> tuple[Wanted, ...]:
        """The lock's files, wheels first: uv unpacks them while the conda packages still arrive."""
        return self.wheels + self.archives

    @property
    def bundled(self) -> tuple[tuple[Kind, Wanted], ...]:
        """The files a bundle must hold for this plan, by kind: the Miniforge installer when it is installed."""
        from tfm1.setup.bundle_source import bundled_files

        return bundled_files(self.archives, self.wheels, self.installer)

    def to_json(self, sizes: Sizes) -> dict[str, Any]:
        from tfm1.redact import redact

        return {
            "profile": self.profile,
            "lockfile": str(self.lock.path),
            "lockfile_sha256": self.lock.sha256,
            "bundle": str(self.bundle.path) if self.bundle is not None else None,
            "platform": self.lock.platform,
            "conda_root": self.conda_root.to_json() if self.conda_root is not None else None,
            "prefix": str(self.prefix.path),
            "replaces": str(self.prefix.path) if self.prefix.replaces else None,
            "conda_packages": len(self.records),
            "pip_packages": len(self.wheels),
            "downloads": [redact(wanted.url) for wanted in self.archives + self.wheels],
            "download_bytes": sizes.known,
            "unknown_sizes": sizes.unknown,
            "unreachable": sizes.unreachable,
            "sizes_not_asked_of": sizes.not_asked,
            "verify": self.verify,
            "kernel": str(self.kernel.spec) if self.kernel.register else None,
            "prefix_action": self.prefix.action,
            "steps": list(self.steps),
        }


def build_plan(request: SetupRequest, existing: PrefixState, lock: LockedEnvironment, kernel: KernelPlan) -> SetupPlan:
    """The plan for `request` from `lock`, with `existing` at the prefix and the `kernel` planned; refuses
    what must not be done before anything changes."""
    from tfm1.setup.conda_layer import archives_wanted, redact_records
    from tfm1.setup.pip_layer import wheels_wanted

    options, target = request.options, request.target
    if existing.action == "current":
        raise ValueError("an environment that is up to date has nothing to plan")
    from tfm1.rattler.link import dependency_order

    root = _root_plan(target, lock.platform)
    records = dependency_order(lock.conda)
    archives = tuple(archives_wanted(records))  # before the records' URLs are redacted: these are fetched
    redact_records(records)
    steps: tuple[Step, ...] = (
        *(("miniforge",) if root is not None and root.action == "install" else ()),
        "prefix",
        "conda",
        *(("pip",) if lock.pip else ()),
        "receipt",
    )
    return SetupPlan(
        profile=request.source.profile,
        lock=lock,
        conda_root=root,
        prefix=PrefixPlan(target.prefix, existing.action, existing.found),
        records=records,
        archives=archives,
        wheels=tuple(wheels_wanted(lock.pip)),
        kernel=kernel,
        verify=options.verify,
        init_shell=options.init_shell,
        steps=steps,
        command="tfm1 setup " + " ".join(shlex.quote(a) for a in options.command_line),
        bundle=request.bundle,
    )


def _root_plan(target: SetupTarget, platform: str) -> CondaRootPlan | None:
    if target.root is None:
        return None
    if not target.install_root:
        return CondaRootPlan(target.root, "use")
    from tfm1.setup.journal import BUILDING
    from tfm1.setup.miniforge import installer_for

    root = target.root
    # A root being installed by a killed tfm1 run carries its token: that run's journal repairs it first.
    if (root.exists() or root.is_symlink()) and not (root / BUILDING).is_file():
        raise Tfm1Error(
            f"{root} exists but is not a conda installation, so Miniforge cannot be installed there",
            "move it away, or pass --prefix PATH to put the environment elsewhere",
        )
    return CondaRootPlan(root, "install", installer_for(platform))


def measure_sizes(plan: SetupPlan) -> Sizes:
    """How much the plan downloads, asked of the lock's channels' hosts (`sizes`); from a bundle, its manifest's."""
    from tfm1.setup.sizes import Sizes, asked_hosts, total_size

    if plan.bundle is not None:
        return Sizes(plan.bundle.size_of(plan.downloads), 0, (), ())
    return total_size([wanted.url for wanted in plan.archives + plan.wheels], asked_hosts(plan.lock.channels))


def show_plan(plan: SetupPlan, sizes: Sizes, events: Events) -> None:
    from tfm1.terminal import style

    lines = [style("Plan", bold=True)]
    root = plan.conda_root
    if root is not None and root.installer is not None:
        lines.append(f"  Miniforge     install into {root.path} from {root.installer.url}")
    elif root is not None:
        lines.append(f"  conda root    {root.path} (existing, left as it is)")
    replaces = "  " + style("(replaces the existing one)", color="yellow") if plan.prefix.replaces else ""
    then = "tfm1 verify on the new environment" if plan.verify else "no verification (--no-verify)"
    unknown = f" + {sizes.unknown} files of unknown size" if sizes.unknown else ""
    kernel = str(plan.kernel.spec) if plan.kernel.register else "none (--no-kernel)"
    files = f"{len(plan.archives)} conda packages and {len(plan.wheels)} wheels, {sizes.known / 1e6:.1f} MB"
    if plan.bundle is not None:
        downloads = f"  from bundle   {plan.bundle.path}: {files}, each checked first; nothing is downloaded"
    else:
        downloads = f"  downloads     {files}{unknown} (files already in the package caches are not fetched again)"
    lines += [
        f"  environment   {plan.prefix.path}{replaces}",
        f"  lockfile      {plan.lock.path} ({plan.lock.platform}, profile {plan.profile})",
        f"  kernel        {kernel}",
        downloads,
        *(
            [f"                sizes not asked of {', '.join(sizes.not_asked)}: not a channel of the lock"]
            if sizes.not_asked
            else []
        ),
        f"  then          {then}",
    ]
    if sizes.unreachable:
        hosts = ", ".join(sizes.unreachable)
        warning = f"  could not reach {hosts}: the install downloads from there (offline, or a proxy?)"
        lines.append(style(warning, color="yellow"))
    events.say("\n".join(lines))
