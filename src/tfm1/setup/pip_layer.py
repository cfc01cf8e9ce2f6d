"""The pip layer: the lock's wheels installed into the new environment's Python, hashes required, no resolving.

uv does it (it is a dependency of tfm1, so its binary is always there, and it installs several times faster
than pip); pip inside the environment is the fallback when the uv binary is missing, or when
`TFM1_PIP_INSTALLER=pip` asks for it. Both install the wheel files tfm1 downloaded and verified a moment
before (`store.py`), never a URL: one `name==version --hash=sha256:...` line per wheel found only in those
files' folders, hashes required, no index, dependency resolution off (the lock already holds the full set)
and source builds off. uv gets a fresh cache folder of this run, pip none: an unpacked wheel in a cache
kept between runs could have been edited, and uv would install the edit. uv fills that cache ahead while the
conda layer is linked (`unpacking_ahead`, `tfm1.uv.unpacking`).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

from tfm1 import children
from tfm1.errors import Tfm1Error, UsageError
from tfm1.lockfile import LockedEnvironment, PipWheel
from tfm1.setup.events import Events
from tfm1.setup.store import Wanted, check_file_name, file_name_of
from tfm1.uv.install import find_links, install_command
from tfm1.uv.settings import ignored_uv_settings, left_out_note, without_uv_settings
from tfm1.uv.unpacking import NothingAhead, Unpacking

INSTALLERS = ("uv", "pip")


def wheels_wanted(wheels: Sequence[PipWheel]) -> list[Wanted]:
    return [Wanted(w.url, w.sha256, check_file_name(file_name_of(w.url), (".whl",))) for w in wheels]


def requirements(wheels: Sequence[PipWheel]) -> str:
    """`name==version --hash=...` lines, found in the verified files' folders (`--find-links`), not by URL.

    An installer records a URL requirement in the wheel's `direct_url.json` (PEP 610): that would put the
    cache path (or the lock's URL, credentials included) into `pip freeze` instead of `name==version`.
    """
    return "".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in wheels)


PIP_SOURCE_SETTINGS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS")


def installer_environment() -> dict[str, str]:
    environment = {**without_uv_settings(os.environ), "UV_PYTHON_DOWNLOADS": "never", "PIP_NO_INPUT": "1"}
    for variable in (*PIP_SOURCE_SETTINGS, "PYTHONPATH", "UV_CACHE_DIR"):
        environment.pop(variable, None)  # the lock names every file; nothing else may be consulted
    return environment


def ignored_installer_settings() -> list[str]:
    """The index and wheel-source settings of pip and uv set here, which setup's installs do not see."""
    return [*(name for name in PIP_SOURCE_SETTINGS if os.environ.get(name)), *ignored_uv_settings()]


def note_ignored_settings(events: Events) -> None:
    """Say on stderr which of those settings are set and left out, so nobody wonders why they had no effect."""
    ignored = ignored_installer_settings()
    if ignored:
        why = "setup installs only the files its lock names, each checked against its sha256"
        events.note(left_out_note(ignored, "tfm1 setup", why))


def choose_installer() -> str:
    wanted = os.environ.get("TFM1_PIP_INSTALLER", "").strip().lower()
    if wanted and wanted not in INSTALLERS:
        raise UsageError(f"TFM1_PIP_INSTALLER={wanted!r} is not one of {', '.join(INSTALLERS)}", "unset it")
    if wanted == "pip":
        return "pip"
    try:
        from tfm1.uv.binary import uv_binary

        uv_binary()
    except Tfm1Error:
        if wanted == "uv":
            raise Tfm1Error("TFM1_PIP_INSTALLER=uv but no uv binary was found", "reinstall tfm1 or unset it") from None
        return "pip"
    return "uv"


def command(installer: str, python: Path, requirements_file: Path, scratch: Path, files: Sequence[Path]) -> list[str]:
    if installer == "uv":
        return install_command(["--python", str(python)], requirements_file, scratch, find_links(files))
    return [
        str(python),
        "-m",
        "pip",
        "install",
        "--require-hashes",
        "--no-deps",
        "--only-binary=:all:",
        "--no-index",
        *find_links(files),
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "-r",
        str(requirements_file),
    ]


@contextmanager
def unpacking_ahead(lock: LockedEnvironment, files: Sequence[Future[Path]], scratch: Path) -> Iterator[Unpacking]:
    """uv unpacking the lock's wheels (`files`, perhaps still downloading) into the run's cache in the background,
    for the lock's Python and platform; nothing when pip installs them or tfm1 has no uv target for the platform."""
    from tfm1.lock.targets import minor, target
    from tfm1.uv.unpacking import unpack_ahead

    python = lock.packages().get("python")
    try:
        usable = bool(lock.pip) and python is not None and choose_installer() == "uv"
        uv_target = target(lock.platform)
    except Tfm1Error:  # no uv (the pip fallback), or a platform tfm1 has no uv target for
        usable = False
    if not usable or python is None:
        yield NothingAhead()
        return
    requirements_file = scratch / "uv-unpack-requirements.txt"
    requirements_file.write_text(requirements(lock.pip), encoding="utf-8")
    with unpack_ahead(files, requirements_file, scratch, minor(python), uv_target, installer_environment()) as ahead:
        yield ahead


def install_pip_layer(
    wheels: Sequence[PipWheel], files: Sequence[Path], python: Path, scratch: Path, installer: str | None = None
) -> str:
    """Install `wheels` from their verified `files` into `python`'s environment; return the installer used.

    `scratch` is a folder of this run (on the prefix's disk, so that uv can hardlink from its cache there).
    """
    installer = installer or choose_installer()
    if installer == "pip" and not _has_pip(python):
        raise Tfm1Error(
            f"the pip layer needs pip in the new environment, and {python} has none (and uv is not available)",
            "add pip to the environment's conda packages and re-lock, or reinstall tfm1 so that uv is present",
        )
    with tempfile.TemporaryDirectory(prefix="tfm1-pip-", dir=scratch) as folder:
        requirements_file = Path(folder) / "requirements.txt"
        requirements_file.write_text(requirements(wheels), encoding="utf-8")
        result = children.run(
            command(installer, python, requirements_file, scratch, files),
            stdin=subprocess.DEVNULL,
            text=True,
            env=installer_environment(),
        )
    if result.returncode != 0:
        raise Tfm1Error(
            f"installing the pip packages with {installer} failed: {_summary(result.stderr or result.stdout)}",
            "re-run tfm1 setup; if it fails again, report it with this message",
        )
    return installer


def _has_pip(python: Path) -> bool:
    probe = subprocess.run(
        [str(python), "-c", "import pip"], stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    return probe.returncode == 0


def _summary(output: str) -> str:
    """The installer's error in one line: its error lines, without the traceback noise, at most ~600 chars."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    # pip prints a traceback-free block; uv an `error:` line and `cause:`/`Expected:`/`Computed:` lines.
    keys = ("error", "cause", "mismatch", "expected", "computed", "got", "sha256")
    wanted = [line for line in lines if any(key in line.lower() for key in keys)]
    text = " ".join(wanted or lines[-6:])
    return (text[:600] + "…") if len(text) > 600 else text or "no output"
