"""What a setup run is about to do, decided before anything changes: built once (`build_plan`), reported as the
`plan` JSON step (`SetupPlan.to_json`) and as the human "Plan" block (`show_plan`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfm1.jsonable import record_json
from tfm1.lockfile import LockedEnvironment
from tfm1.setup.events import Events
from tfm1.setup.options import SetupOptions, SetupTarget


@dataclass(frozen=True)
class CondaRootPlan:
    path: str
    install: bool  # Miniforge is installed there first; otherwise the existing root is used as it is
    url: str | None = None  # the installer, when `install`
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        root: dict[str, Any] = {"path": self.path, "action": "install" if self.install else "use"}
        if self.install:
            root.update(url=self.url, sha256=self.sha256)
        return root


@dataclass(frozen=True)
class SetupPlan:
    profile: str
    lockfile: str
    lockfile_sha256: str
    platform: str
    conda_root: CondaRootPlan | None
    prefix: str
    replaces: str | None  # the prefix, when a non-empty one is there already
    conda_packages: int
    pip_packages: int
    downloads: tuple[str, ...]  # redacted URLs
    download_bytes: int
    unknown_sizes: int
    unreachable: tuple[str, ...]
    sizes_not_asked_of: tuple[str, ...]
    verify: bool
    kernel: str | None  # the kernelspec setup registers, None with --no-kernel

    def to_json(self) -> dict[str, Any]:
        return record_json(self)


def build_plan(
    target: SetupTarget, locked: LockedEnvironment, profile: str, options: SetupOptions, kernel: Path | None
) -> SetupPlan:
    root = None
    if target.root is not None:
        root = CondaRootPlan(str(target.root), target.install_root)
        if target.install_root:
            from tfm1.setup.miniforge import installer_for

            installer = installer_for(locked.platform)
            root = CondaRootPlan(str(target.root), True, installer.url, installer.sha256)
    from tfm1.redact import redact
    from tfm1.setup.sizes import asked_hosts, total_size

    existing = target.prefix.exists() and any(target.prefix.iterdir()) if target.prefix.is_dir() else False
    downloads = [str(r.url) for r in locked.conda] + [w.url for w in locked.pip]
    sizes = total_size(downloads, asked_hosts(locked.channels))
    return SetupPlan(
        profile=profile,
        lockfile=str(locked.path),
        lockfile_sha256=locked.sha256,
        platform=locked.platform,
        conda_root=root,
        prefix=str(target.prefix),
        replaces=str(target.prefix) if existing else None,
        conda_packages=len(locked.conda),
        pip_packages=len(locked.pip),
        downloads=tuple(redact(url) for url in downloads),
        download_bytes=sizes.known,
        unknown_sizes=sizes.unknown,
        unreachable=tuple(sizes.unreachable),
        sizes_not_asked_of=tuple(sizes.not_asked),
        verify=options.verify,
        kernel=str(kernel) if kernel is not None else None,
    )


def show_plan(plan: SetupPlan, events: Events) -> None:
    if events.json_mode:
        return
    from tfm1.terminal import style

    size = plan.download_bytes
    lines = [style("Plan", bold=True)]
    root = plan.conda_root
    if root and root.install:
        lines.append(f"  Miniforge     install into {root.path} from {root.url}")
    elif root:
        lines.append(f"  conda root    {root.path} (existing, left as it is)")
    replaces = "  " + style("(replaces the existing one)", color="yellow") if plan.replaces else ""
    then = "tfm1 verify on the new environment" if plan.verify else "no verification (--no-verify)"
    unknown = f" + {plan.unknown_sizes} files of unknown size" if plan.unknown_sizes else ""
    lines += [
        f"  environment   {plan.prefix}{replaces}",
        f"  lockfile      {plan.lockfile} ({plan.platform}, profile {plan.profile})",
        f"  kernel        {plan.kernel or 'none (--no-kernel)'}",
        f"  downloads     {plan.conda_packages} conda packages and {plan.pip_packages} wheels, "
        f"{size / 1e6:.1f} MB{unknown} (files already in the package caches are not fetched again)",
        *(
            [f"                sizes not asked of {', '.join(plan.sizes_not_asked_of)}: not a channel of the lock"]
            if plan.sizes_not_asked_of
            else []
        ),
        f"  then          {then}",
    ]
    if plan.unreachable:
        hosts = ", ".join(plan.unreachable)
        warning = f"  could not reach {hosts}: the install downloads from there (offline, or a proxy?)"
        lines.append(style(warning, color="yellow"))
    events.say("\n".join(lines))
