"""`pip check` for the TensorFlow stack, offline: which declared requirements the installed versions miss.

packaging's requirement and marker parsers cost ~20 ms of import, so this module is imported only when a
distribution with Requires-Dist is installed (a TensorFlow environment), never at doctor's start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from tfm1.inspect.distributions import Distribution, normalize


class Unmet(NamedTuple):
    source: str  # "tensorflow 2.16.1"
    name: str  # normalized
    specifier: str  # "~=0.3.1", empty for any version
    installed: str | None  # None when not installed

    def describe(self) -> str:
        have = f"{self.name} {self.installed}" if self.installed else f"{self.name} (not installed)"
        return f"{have}: {self.source} requires {self.name}{self.specifier}"


def marker_environment(python_version: str, system: str, machine: str) -> dict[str, str]:
    """PEP 508 marker values of the target interpreter (not tfm1's own)."""
    parts = python_version.split(".")
    full = ".".join([*parts, "0", "0"][:3])
    return {
        "python_version": ".".join(parts[:2]),
        "python_full_version": full,
        "implementation_version": full,
        "sys_platform": system.lower(),
        "platform_system": system,
        "platform_machine": machine,
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_version": "",
        "extra": "",
    }


def unmet_requirements(
    sources: list[Distribution], installed: Mapping[str, Distribution], environment: dict[str, str]
) -> list[Unmet]:
    found: list[Unmet] = []
    for source in sources:
        for line in source.requires:
            try:
                requirement = Requirement(line)
                if requirement.marker is not None and not requirement.marker.evaluate(environment):
                    continue
            except (InvalidRequirement, ValueError):
                continue  # a damaged METADATA line says nothing reliable
            name = normalize(requirement.name)
            have = installed.get(name)
            if have is not None:
                try:
                    if requirement.specifier.contains(Version(have.version), prereleases=True):
                        continue
                except InvalidVersion:
                    continue
            found.append(
                Unmet(
                    f"{source.name} {source.version}", name, str(requirement.specifier), have.version if have else None
                )
            )
    return found
