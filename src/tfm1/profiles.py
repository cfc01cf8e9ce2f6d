"""Profiles: the known-good environments tfm1 installs, one folder each under `envs/`.

A profile is `envs/<name>/environment.yml` (conda-lock's environment format: channels, platforms, conda
dependencies and a `pip:` section, plus a one-line `description`) and its lock `envs/<name>/conda-lock.yml`.
`envs/` is read from the source checkout when there is one, so `tfm1 lock` edits the files that get committed,
and otherwise from the copy shipped inside the package, which `tfm1 lock` reads but never rewrites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfm1.errors import Tfm1Error, UsageError
from tfm1.jsonable import record_json

DEFAULT_PROFILE = "metal"
ENVIRONMENT_FILE = "environment.yml"
LOCKFILE = "conda-lock.yml"

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT_ENVS = _PACKAGE.parents[1] / "envs"
_PACKAGED_ENVS = _PACKAGE / "envs"
# `python=3.12`, `python 3.12.*`, `python==3.12`: the versions conda accepts for a minor-version pin.
_PYTHON_SPEC = re.compile(r"^python\s*(?:={1,2}|\s)\s*(\d+\.\d+)(?:\.\*)?$")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,]+)$")


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    python: str  # the minor version the profile pins, e.g. "3.12"
    platforms: tuple[str, ...]
    channels: tuple[str, ...]
    conda_specs: tuple[str, ...]  # conda dependencies as written, e.g. ("python=3.12", "pip")
    pip_specs: tuple[str, ...]  # the `pip:` section as written, e.g. ("tensorflow==2.19.1",)
    environment_file: Path
    lockfile: Path

    @property
    def default(self) -> bool:
        return self.name == DEFAULT_PROFILE

    @property
    def pins(self) -> dict[str, str]:
        """Exact `name==version` pins of the pip layer, by lower-case name."""
        pins = {}
        for spec in self.pip_specs:
            match = _PIN.match(spec.strip())
            if match:
                pins[match.group(1).lower().replace("_", "-")] = match.group(2)
        return pins

    def to_json(self) -> dict[str, Any]:
        return {**record_json(self, rename={"conda_specs": "conda", "pip_specs": "pip"}), "default": self.default}


def envs_dir() -> Path:
    """The folder that holds the profiles: `./envs` when it holds profiles (an installed tfm1 run from a
    checkout reads the checkout's), else the source checkout's `envs/`, else the copy inside the package."""
    here = Path("envs")
    if any(here.glob(f"*/{ENVIRONMENT_FILE}")):
        return here.absolute()
    if _CHECKOUT_ENVS.is_dir():
        return _CHECKOUT_ENVS
    return _PACKAGED_ENVS


def profile_names(root: Path | None = None) -> list[str]:
    """The profiles' names under `root` (default: `envs_dir()`), the default first, without reading them."""
    base = root or envs_dir()
    names = sorted(p.parent.name for p in base.glob(f"*/{ENVIRONMENT_FILE}"))
    names.sort(key=lambda name: name != DEFAULT_PROFILE)
    return names


def inside_package(folder: Path) -> bool:
    """Whether `folder` is part of the installed tfm1 package (site-packages), which `tfm1 lock` must not edit.
    Compared as folders, not names: on a Mac's case-insensitive disk `.../TFM1/envs` is `.../tfm1/envs`."""
    from tfm1.file_identity import enclosing, identity

    package = identity(_PACKAGE)
    inside = package is not None and package in (identity(folder), *enclosing(folder))
    return inside or folder.resolve().is_relative_to(_PACKAGE)


def writable_envs(root: Path | None = None) -> Path:
    """The profiles folder `tfm1 lock` may rewrite: `root`, or the checkout's envs/; never the installed copy."""
    base = root or envs_dir()
    if inside_package(base):
        raise UsageError(
            f"{base} is the copy of the profiles inside the installed tfm1 package; `tfm1 lock` does not rewrite it",
            f"copy it (cp -R {base} ./envs) and pass --envs DIR, e.g. `tfm1 lock --envs ./envs`",
        )
    return base


def list_profiles(root: Path | None = None) -> list[Profile]:
    """Every profile under `root` (default: `envs_dir()`), the default profile first, then by name."""
    base = root or envs_dir()
    if not base.is_dir():
        if root is not None:
            raise UsageError(f"no profiles folder at {root}", "pass --envs a folder holding <profile>/environment.yml")
        raise Tfm1Error(f"no profiles folder at {base}", "reinstall tfm1, or pass --envs DIR")
    return [load_profile(base / name) for name in profile_names(base)]


# What people call the conda platforms the profiles are locked for.
PLATFORM_NAMES = {"osx-arm64": "Apple silicon Macs", "osx-64": "Intel Macs", "linux-64": "Linux x86_64"}


def check_platform(profile: Profile, platform: str, root: Path | None = None) -> None:
    """Refuse a profile that is not locked for `platform`, naming what it is for and the profiles that fit."""
    if platform in profile.platforms:
        return
    made_for = ", ".join(f"{PLATFORM_NAMES.get(p, p)} ({p})" for p in profile.platforms) or "no platform"
    fitting = [p.name for p in list_profiles(root) if platform in p.platforms]
    here = f"{PLATFORM_NAMES.get(platform, platform)} ({platform})"
    if fitting:
        fix = "choose one made for this machine: " + ", ".join(f"tfm1 setup --profile {name}" for name in fitting)
    else:
        fix = f"none is locked for {platform}: add it to a profile's environment.yml `platforms` and run tfm1 lock"
    raise UsageError(f"profile {profile.name} is for {made_for}, not for this machine: {here}", fix)


def get_profile(name: str, root: Path | None = None) -> Profile:
    base = root or envs_dir()
    folder = base / name
    if not (folder / ENVIRONMENT_FILE).is_file():
        known = ", ".join(p.name for p in list_profiles(root)) or "none"
        raise UsageError(f"no profile named {name!r} (known: {known})", "run `tfm1 profiles` to list them")
    return load_profile(folder)


def load_profile(folder: Path) -> Profile:
    import yaml

    environment_file = folder / ENVIRONMENT_FILE
    from tfm1.lockfile import yaml_problem

    try:
        text = environment_file.read_text(encoding="utf-8")
    except OSError as error:
        raise Tfm1Error(f"cannot read {environment_file}: {error.strerror or error}", "check the file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise Tfm1Error(f"{environment_file} is not valid YAML: {yaml_problem(error)}", "fix the file's YAML") from None
    if not isinstance(data, dict):
        raise Tfm1Error(f"{environment_file} is not a mapping", "write it in conda's environment.yml format")
    return _profile_from(folder, environment_file, data)


def _profile_from(folder: Path, environment_file: Path, data: dict[str, Any]) -> Profile:
    def bad(what: str) -> Tfm1Error:
        return Tfm1Error(f"{environment_file}: {what}", "see envs/metal/environment.yml for the expected shape")

    channels = data.get("channels") or []
    platforms = data.get("platforms") or []
    dependencies = data.get("dependencies") or []
    if not all(isinstance(c, str) for c in channels) or not channels:
        raise bad("`channels` must be a non-empty list of channel names or URLs")
    if not all(isinstance(p, str) for p in platforms) or not platforms:
        raise bad("`platforms` must be a non-empty list such as [osx-arm64]")
    conda_specs: list[str] = []
    pip_specs: list[str] = []
    for entry in dependencies:
        if isinstance(entry, str):
            conda_specs.append(entry.strip())
        elif isinstance(entry, dict) and set(entry) == {"pip"} and isinstance(entry["pip"], list):
            pip_specs.extend(str(spec).strip() for spec in entry["pip"])
        else:
            raise bad(f"unexpected dependency entry {entry!r}")
    pythons = [m.group(1) for m in map(_PYTHON_SPEC.match, conda_specs) if m]
    if len(pythons) != 1:
        raise bad("the conda dependencies must pin exactly one Python minor version, e.g. `python=3.12`")
    return Profile(
        name=folder.name,
        description=str(data.get("description") or ""),
        python=pythons[0],
        platforms=tuple(platforms),
        channels=tuple(channels),
        conda_specs=tuple(conda_specs),
        pip_specs=tuple(pip_specs),
        environment_file=environment_file,
        lockfile=folder / LOCKFILE,
    )
