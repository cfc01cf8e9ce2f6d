"""Homebrew installations: native in /opt/homebrew, Intel (Rosetta) in /usr/local."""

from __future__ import annotations

from typing import NamedTuple

from tfm1.host.base import Host

ARM_PREFIX = "/opt/homebrew"
INTEL_PREFIX = "/usr/local"


class Homebrew(NamedTuple):
    arm: bool
    intel: bool
    intel_first_on_path: bool  # /usr/local/bin comes before /opt/homebrew/bin (or the latter is absent)
    path: list[str]


def inspect_homebrew(host: Host) -> Homebrew:
    arm = host.exists(f"{ARM_PREFIX}/bin/brew")
    intel = host.is_dir(f"{INTEL_PREFIX}/Homebrew") or host.exists(f"{INTEL_PREFIX}/bin/brew")
    path = host.path_dirs()
    intel_first = False
    if intel and f"{INTEL_PREFIX}/bin" in path:
        intel_index = path.index(f"{INTEL_PREFIX}/bin")
        arm_index = path.index(f"{ARM_PREFIX}/bin") if f"{ARM_PREFIX}/bin" in path else len(path)
        intel_first = intel_index < arm_index
    return Homebrew(arm, intel, intel_first, path)
