"""The conda root: an existing native one found by doctor's inspectors, or a pinned Miniforge installed for it.

An x86 (osx-64) root on an Apple-silicon Mac is never used and never touched: it is reported and left alone.
A new Miniforge is the release pinned in `tfm1.miniforge_release`, checked against its sha256 before it runs.
`TFM1_MINIFORGE_URL` points at a mirror (the pinned hash still applies); `TFM1_MINIFORGE_SHA256` replaces the
hash, and only together with it. On Linux there is no pinned installer: both variables are required.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1 import children, miniforge_release
from tfm1.cache import cache_root
from tfm1.download import DownloadProgress, download
from tfm1.errors import Tfm1Error, UsageError
from tfm1.host.base import Host

if TYPE_CHECKING:
    from tfm1.inspect.conda import CondaRoot

NATIVE_ARCH = {"osx-arm64": "arm64", "osx-64": "x86_64", "linux-64": "x86_64", "linux-aarch64": "aarch64"}


@dataclass(frozen=True)
class Installer:
    url: str
    sha256: str

    @property
    def filename(self) -> str:
        # The Miniforge script refuses to run unless its own file name ends in .sh.
        name = self.url.rstrip("/").rsplit("/", 1)[-1] or "Miniforge3.sh"
        return name if name.endswith(".sh") else name + ".sh"


@dataclass(frozen=True)
class RootChoice:
    root: Path | None  # an existing native conda root, or None when Miniforge must be installed
    skipped: list[str]  # foreign-platform roots left alone
    foreign: dict[str, tuple[str, str | None]]  # skipped root -> (its architecture, its conda subdir if known)


def default_root(host: Host) -> Path:
    return Path(host.home()) / "miniforge3"


def choose_root(host: Host, platform_name: str) -> RootChoice:
    """The first conda root made for this platform; others (x86 on Apple silicon) are listed, not used."""
    from tfm1.inspect.conda import find_conda_roots  # not on the path of a re-run with --prefix: it is a no-op
    from tfm1.setup.journal import BUILDING

    native, skipped, foreign = None, [], {}
    for root in find_conda_roots(host):
        if host.exists(f"{root.prefix}/{BUILDING}"):
            continue  # a Miniforge a killed tfm1 run was installing: that run's journal repairs it
        if _is_native(root, platform_name):
            native = native or Path(root.prefix)
        else:
            skipped.append(root.prefix)
            foreign[root.prefix] = _architecture(root)
    return RootChoice(native, skipped, foreign)


def _architecture(root: CondaRoot) -> tuple[str, str | None]:
    subdir = root.env.subdir
    if subdir is not None:
        return NATIVE_ARCH.get(subdir, subdir.rsplit("-", 1)[-1]), subdir
    return "/".join(root.env.python_archs) or "unknown", None


def foreign_root_error(host: Host, root: Path, architecture: tuple[str, str | None]) -> Tfm1Error:
    """Miniforge's default place holds a conda root for another platform: it is never used nor replaced."""
    home = Path(host.home())
    shown = f"~/{root.relative_to(home)}" if root.is_relative_to(home) else str(root)
    arch, subdir = architecture
    kind = f"{arch} ({subdir})" if subdir else arch
    suffix = "x86" if arch == "x86_64" else arch
    return Tfm1Error(
        f"{shown} is an {kind} conda installation; tfm1 never uses or replaces it",
        f"move it away (mv {shown} {shown}-{suffix}) or pass --prefix PATH",
    )


def _is_native(root: CondaRoot, platform_name: str) -> bool:
    env = root.env
    if env.subdir is not None:
        return env.subdir == platform_name
    arch = NATIVE_ARCH.get(platform_name)
    # Without conda-meta records to tell, the root's own interpreter decides (on macOS, its Mach-O slices).
    return not env.python_archs or arch in env.python_archs


def installer_for(platform_name: str) -> Installer:
    url = os.environ.get("TFM1_MINIFORGE_URL", "").strip()
    sha256 = os.environ.get("TFM1_MINIFORGE_SHA256", "").strip().lower()
    if sha256 and not url:
        raise UsageError(
            "TFM1_MINIFORGE_SHA256 is set without TFM1_MINIFORGE_URL: the pinned release's hash is never replaced",
            "unset TFM1_MINIFORGE_SHA256, or set TFM1_MINIFORGE_URL to the installer it belongs to",
        )
    arch = NATIVE_ARCH.get(platform_name, "")
    pinned = miniforge_release.SHA256.get(arch) if platform_name.startswith("osx-") else None
    if not sha256 and pinned is None:
        raise Tfm1Error(
            f"tfm1 pins no Miniforge installer for {platform_name}, so it has no hash to check a download against",
            "set TFM1_MINIFORGE_URL and TFM1_MINIFORGE_SHA256 to an installer and its sha256, or pass --prefix PATH",
        )
    if not url:
        url = miniforge_release.installer_url(arch)
    return Installer(url, sha256 or str(pinned))


def download_installer(installer: Installer, progress: DownloadProgress | None = None) -> Path:
    cache = cache_root() / "miniforge"
    return download(installer.url, cache / installer.sha256 / installer.filename, installer.sha256, progress=progress)


def run_installer(script: Path, root: Path) -> None:
    """`bash <installer> -b -u -p <root>`: batch mode, no shell rc edits, stdin closed (it must ask nothing).

    `root` is already there, made by this run and signed with its token (`Transaction.claim`), so that a kill -9
    during the install leaves a root the next run knows to remove. `-u` lets the installer use that folder: without
    it the installer stops at an existing prefix; with it, it installs into it ("update an existing installation";
    `FORCE=1`, which skips only that check, in constructor's header.sh:
    https://github.com/conda/constructor/blob/main/constructor/header.sh).
    """
    if " " in str(root):
        raise Tfm1Error(f"Miniforge cannot be installed into a path with spaces ({root})", "use a path without spaces")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "MAMBA", "PYTHON"))}
    try:
        result = children.run(
            ["bash", str(script), "-b", "-u", "-p", str(root)],
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
            timeout=1800,
        )
    except subprocess.TimeoutExpired:
        raise Tfm1Error("the Miniforge installer did not finish in 30 minutes", "re-run tfm1 setup") from None
    if result.returncode != 0:
        tail = " ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        raise Tfm1Error(f"the Miniforge installer failed (exit {result.returncode}): {tail}", "re-run tfm1 setup")
    if not (root / "conda-meta").is_dir():
        raise Tfm1Error(f"the Miniforge installer finished but {root} is not a conda root", "re-run tfm1 setup")


def host_platform(host: Host) -> str:
    """The conda subdir to install for: the hardware's, not the process's (a translated process says x86_64)."""
    system = host.system()
    if system == "Darwin":
        arm = (host.sysctl("hw.optional.arm64") or "").strip() == "1"
        return "osx-arm64" if arm or host.machine() == "arm64" else "osx-64"
    if system == "Linux":
        machine = host.machine() or platform.machine()
        return {"x86_64": "linux-64", "aarch64": "linux-aarch64", "arm64": "linux-aarch64"}.get(machine, machine)
    raise Tfm1Error(f"tfm1 setup does not support {system}", "run it on macOS (Apple silicon) or Linux")
