"""The target interpreter: which Python doctor checks, what it is built for, and what is installed in it."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from tfm1.host.base import Host
from tfm1.inspect.conda import candidate_roots, is_conda_prefix, python_record_version, record_subdir
from tfm1.inspect.distributions import (
    METAL_PLUGIN,
    Distribution,
    has_tensorflow_package,
    scan_site_packages,
    stack_binaries,
)
from tfm1.macho import NOT_MACHO, MachOInfo

VERSION_DIR = re.compile(r"^python(\d+\.\d+)t?$")
# python3.13, python3.13t, or a Homebrew keg's python@3.13 on the way.
VERSION_IN_PATH = re.compile(r"(?:/python(\d+\.\d+)t?$|/python@(\d+\.\d+)/)")
TFM1_ENV = "tfm1"
TFM1_RECEIPT = "etc/tfm1/receipt.json"
TFM1_ENV_SOURCE = "the tfm1 environment (nothing is active)"


class Interpreter(NamedTuple):
    path: str  # as given or found (unresolved: a venv's bin/python is a symlink to its base)
    source: str  # --python, snapshot, VIRTUAL_ENV, CONDA_PREFIX, PATH
    exists: bool
    resolved: str = ""
    macho: MachOInfo = NOT_MACHO
    prefix: str = ""
    kind: str = ""  # conda, venv, homebrew, framework, system, other
    version: str = ""  # X.Y[.Z]
    conda_subdir: str | None = None
    base_python: str = ""  # a venv's `home`
    site_packages: tuple[str, ...] = ()
    distributions: Mapping[str, Distribution] = MappingProxyType({})
    tensorflow_importable: bool = False
    binaries: tuple[tuple[str, MachOInfo], ...] = ()  # TensorFlow's and the Metal plugin's own Mach-O files
    problem: str = ""  # why there is no interpreter behind an existing path (a pyenv shim without the version)

    @property
    def minor(self) -> str:
        """X.Y, or empty when unknown."""
        return ".".join(self.version.split(".")[:2]) if self.version else ""

    def tensorflow_files(self, site: str) -> list[tuple[str, MachOInfo]]:
        """TensorFlow's binaries found in `site`, readable or not."""
        package = site.rstrip("/") + "/tensorflow/"
        return [(path, info) for path, info in self.binaries if path.startswith(package)]

    def tensorflow_binary(self, site: str) -> tuple[str, MachOInfo] | None:
        """The TensorFlow binary in `site` whose Mach-O header was read: what that build is for."""
        return next(((path, info) for path, info in self.tensorflow_files(site) if info.is_macho), None)

    def plugin_binary(self, site: str) -> tuple[str, MachOInfo] | None:
        """tensorflow-metal's plugin in `site`, when its Mach-O header was read."""
        plugin = site.rstrip("/") + "/" + METAL_PLUGIN
        return next(((path, info) for path, info in self.binaries if path == plugin and info.is_macho), None)


def choose_interpreter(host: Host, python: str | None, snapshot_python: str | None) -> tuple[str | None, str]:
    """The interpreter doctor checks, and why that one (see the order in README)."""
    if python:
        return python, "--python"
    if snapshot_python:
        return snapshot_python, "snapshot"
    # An activated venv wins over the conda env it may have been made from: its python runs first.
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = host.env(variable)
        if prefix:
            return posixpath.join(prefix, "bin", "python"), variable
    # With nothing active, the environment tfm1 made is what the user means (as `tfm1 verify` does).
    own = tfm1_environment(host)
    if own is not None:
        return posixpath.join(own, "bin", "python"), TFM1_ENV_SOURCE
    found = host.which("python3")
    return (found, "PATH") if found else (None, "PATH")


def tfm1_environment(host: Host) -> str | None:
    """`<conda root>/envs/tfm1` that tfm1 made (it holds tfm1's receipt), in the order conda roots are found."""
    for root in candidate_roots(host):
        prefix = posixpath.join(root, "envs", TFM1_ENV)
        if host.is_file(posixpath.join(prefix, TFM1_RECEIPT)) and host.exists(posixpath.join(prefix, "bin", "python")):
            return prefix
    return None


def _prefix(host: Host, path: str, resolved: str) -> str:
    given = posixpath.dirname(posixpath.dirname(posixpath.normpath(path)))
    real = posixpath.dirname(posixpath.dirname(resolved))
    # A venv's or conda env's own prefix is where its python is *linked*, not where the binary lives.
    for candidate in (given, real):
        if host.exists(posixpath.join(candidate, "pyvenv.cfg")) or is_conda_prefix(host, candidate):
            return candidate
    for candidate in (given, real):
        lib = posixpath.join(candidate, "lib")
        if any(VERSION_DIR.match(name) for name in host.list_dir(lib)):
            return candidate
    return real


def _pyvenv(host: Host, prefix: str) -> dict[str, str]:
    values = {}
    for line in (host.text(posixpath.join(prefix, "pyvenv.cfg")) or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _kind(host: Host, prefix: str, resolved: str) -> str:
    if is_conda_prefix(host, prefix):
        return "conda"
    if host.exists(posixpath.join(prefix, "pyvenv.cfg")):
        return "venv"
    if resolved.startswith(("/opt/homebrew/", "/usr/local/Cellar/")):
        return "homebrew"
    if "/Python.framework/" in resolved and resolved.startswith("/Library/"):
        return "framework"
    if resolved.startswith(("/usr/bin/", "/System/", "/Library/Developer/", "/Applications/Xcode")):
        return "system"
    return "other"


def _version(host: Host, prefix: str, resolved: str, pyvenv: dict[str, str]) -> str:
    version = python_record_version(host, prefix) if is_conda_prefix(host, prefix) else None
    version = version or pyvenv.get("version") or pyvenv.get("version_info")
    if version:
        return version
    # The binary's own name before the prefix's lib/: one Homebrew prefix holds lib/python3.12 and
    # lib/python3.13 when two formulae are installed, and python3 links to only one of them.
    match = VERSION_IN_PATH.search(resolved)
    if match:
        return match.group(1) or match.group(2)
    for name in host.list_dir(posixpath.join(prefix, "lib")):
        dir_match = VERSION_DIR.match(name)
        if dir_match:
            return dir_match.group(1)
    return ""


def _site_packages(host: Host, prefix: str, kind: str, minor: str, pyvenv: dict[str, str]) -> list[str]:
    sites = []
    # pip install --user lands here for non-venv Pythons and shadows the prefix's site-packages.
    if kind in ("framework", "homebrew", "system", "other") and minor:
        home = host.home()
        for user_site in (
            f"{home}/Library/Python/{minor}/lib/python/site-packages",
            f"{home}/.local/lib/python{minor}/site-packages",
        ):
            if host.is_dir(user_site):
                sites.append(user_site)
    lib = posixpath.join(prefix, "lib")
    names = [f"python{minor}"] if minor else [n for n in host.list_dir(lib) if VERSION_DIR.match(n)]
    for name in names:
        site = posixpath.join(lib, name, "site-packages")
        if host.is_dir(site):
            sites.append(site)
    if kind == "venv" and pyvenv.get("include-system-site-packages", "").lower() == "true":
        base_prefix = posixpath.dirname(pyvenv.get("home", "/").rstrip("/"))
        site = posixpath.join(base_prefix, "lib", f"python{minor}", "site-packages")
        if host.is_dir(site):
            sites.append(site)
    return sites


def through_pyenv_shim(host: Host, path: str) -> tuple[str, str]:
    """The interpreter a pyenv shim would run (from $PYENV_VERSION or pyenv's global version file).

    Returns (path, problem): a shim whose selected versions lack the command (`python3.12` while 3.11 is
    selected) runs nothing, as pyenv says ("command not found"); problem then says so.
    """
    directory, name = posixpath.split(posixpath.normpath(path))
    if posixpath.basename(directory) != "shims" or not posixpath.basename(posixpath.dirname(directory)).endswith(
        "pyenv"
    ):
        return path, ""
    root = posixpath.dirname(directory)
    selected = host.env("PYENV_VERSION") or (host.text(posixpath.join(root, "version")) or "")
    # PYENV_VERSION may name several versions (`3.12.1:3.11.4`); a version file one a line, `#` comments.
    versions = [v for chunk in selected.replace(":", " ").split() if (v := chunk.strip()) and not v.startswith("#")]
    for version in versions:
        candidate = posixpath.join(root, "versions", version, "bin", name)
        if host.exists(candidate):
            return candidate, ""
    if not versions:
        return path, ""  # "system" or nothing selected: the shim falls through to PATH
    others = [
        v for v in host.list_dir(posixpath.join(root, "versions")) if host.exists(f"{root}/versions/{v}/bin/{name}")
    ]
    problem = f"the pyenv shim {name} has no such version: pyenv selects {', '.join(versions)}, which has no {name}"
    if others:
        problem += f" (it exists in {', '.join(others)}: pyenv shell {others[-1]})"
    return path, problem


def inspect_interpreter(host: Host, path: str, source: str) -> Interpreter:
    if not host.exists(path):
        return Interpreter(path, source, exists=False)
    real_path, problem = through_pyenv_shim(host, path)
    if problem:
        return Interpreter(path, source, exists=False, problem=problem)
    if real_path != path:
        path, source = real_path, f"{source} (pyenv shim)"
    resolved = host.resolve(path)
    prefix = _prefix(host, path, resolved)
    pyvenv = _pyvenv(host, prefix)
    kind = _kind(host, prefix, resolved)
    version = _version(host, prefix, resolved, pyvenv)
    minor = ".".join(version.split(".")[:2])
    sites = _site_packages(host, prefix, kind, minor, pyvenv)
    distributions: dict[str, Distribution] = {}
    importable = False
    binaries: list[tuple[str, MachOInfo]] = []
    for site in sites:
        for name, dist in scan_site_packages(host, site).items():
            distributions.setdefault(name, dist)
        binaries += stack_binaries(host, site)
        importable = importable or has_tensorflow_package(host, site)
    return Interpreter(
        path=path,
        source=source,
        exists=True,
        resolved=resolved,
        macho=host.macho(resolved),
        prefix=prefix,
        kind=kind,
        version=version,
        conda_subdir=record_subdir(host, prefix) if kind == "conda" else None,
        base_python=pyvenv.get("home", ""),
        site_packages=tuple(sites),
        distributions=distributions,
        tensorflow_importable=importable,
        binaries=tuple(binaries),
    )
