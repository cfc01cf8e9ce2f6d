"""`pip check` for the TensorFlow stack, offline: which declared requirements the installed versions miss.

Not packaging.requirements: it imports packaging.specifiers, tags, logging and dataclasses (tens of ms, more than
doctor's whole start) for the few dozen Requires-Dist lines of a TensorFlow stack. This reads the PEP 508 subset
they use (`name[extras] specs ; marker`, markers of comparisons joined by and/or with parentheses) and evaluates
ranges with tfm1.version_range; a line outside the subset (a URL, a wildcard, a pre-release bound) raises
ValueError and is skipped, as a damaged line would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

from tfm1.inspect.distributions import Distribution, normalize
from tfm1.version_range import parse_range, parse_version, version_in

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?([^()@;]*?)\)?\s*$")
_TOKEN = re.compile(r"\s*(\(|\)|===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b|and\b|or\b|'[^']*'|\"[^\"]*\"|[A-Za-z_.]+)")
VERSION_MARKERS = frozenset({"python_version", "python_full_version", "implementation_version"})
FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!=", "~=": "~="}


class Requirement(NamedTuple):
    name: str  # normalized
    specifier: str  # "<2.0.0,>=1.23.5", empty for any version
    marker: str


def parse_requirement(line: str) -> Requirement:
    text, _, marker = line.partition(";")
    match = _REQUIREMENT.match(text)
    if match is None:
        raise ValueError(f"not a requirement tfm1 reads: {line!r}")
    specifier = re.sub(r"\s+", "", match[2])
    parse_range(specifier)  # raises InvalidRange (a ValueError) outside the subset
    return Requirement(normalize(match[1]), specifier, marker.strip())


def evaluate_marker(marker: str, environment: Mapping[str, str]) -> bool:
    tokens: list[str] = _TOKEN.findall(marker)
    if "".join(t.replace(" ", "") for t in tokens) != re.sub(r"\s+", "", marker):
        raise ValueError(f"not a marker tfm1 reads: {marker!r}")
    position = 0

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"marker ends early: {marker!r}")
        position += 1
        return tokens[position - 1]

    def value() -> tuple[str, bool]:  # (text, is a variable)
        token = take()
        if token[:1] in "'\"":
            return token[1:-1], False
        if token not in environment:
            raise ValueError(f"unknown marker variable {token!r}")
        return environment[token], token in VERSION_MARKERS

    def comparison() -> bool:
        if position < len(tokens) and tokens[position] == "(":
            take()
            result = disjunction()
            if take() != ")":
                raise ValueError(f"unbalanced marker: {marker!r}")
            return result
        left, left_version = value()
        operator = " ".join(take().split())
        right, right_version = value()
        if operator in ("in", "not in"):
            return (left in right) == (operator == "in")
        if left_version or right_version:
            if right_version:  # "3.8" <= python_version: compare from the variable's side
                left, right, operator = right, left, FLIPPED.get(operator, operator)
            return version_in(left, f"{operator}{right}")
        if operator in ("==", "==="):
            return left == right
        if operator == "!=":
            return left != right
        raise ValueError(f"cannot compare strings with {operator}")

    def chain(keyword: str, operand: Callable[[], bool]) -> bool:
        """`operand (keyword operand)*` for `and` / `or`: every operand is read, none is skipped by a short circuit."""
        results = [operand()]
        while position < len(tokens) and tokens[position] == keyword:
            take()
            results.append(operand())
        return all(results) if keyword == "and" else any(results)

    def conjunction() -> bool:
        return chain("and", comparison)

    def disjunction() -> bool:
        return chain("or", conjunction)

    result = disjunction()
    if position != len(tokens):
        raise ValueError(f"marker has trailing text: {marker!r}")
    return result


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
                requirement = parse_requirement(line)
                if requirement.marker and not evaluate_marker(requirement.marker, environment):
                    continue
            except ValueError:
                continue  # outside the subset, or a damaged METADATA line: says nothing reliable
            name = requirement.name
            have = installed.get(name)
            if have is not None and (
                parse_version(have.version) is None or version_in(have.version, requirement.specifier)
            ):
                continue  # in range, or a version no range can judge
            found.append(
                Unmet(f"{source.name} {source.version}", name, requirement.specifier, have.version if have else None)
            )
    return found
