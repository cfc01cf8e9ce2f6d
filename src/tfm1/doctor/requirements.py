"""`pip check` for the TensorFlow stack, offline: which declared requirements the installed versions miss.

Two readers of a Requires-Dist line. The fast one reads the PEP 508 subset TensorFlow stacks write
(`name[extras] specs ; marker`, markers of comparisons joined by and/or with parentheses) and evaluates ranges with
tfm1.version_range, pre-release bounds such as `protobuf<5.0.0dev` included. Any line it does not read goes to
packaging.requirements, imported only then: it pulls in packaging.specifiers, tags, logging and dataclasses (tens of
ms, more than doctor's whole start). A line packaging rejects as well is not judged, and is returned as `Unread` with
the reason, never dropped in silence. tests/test_doctor_requirements.py holds the fast reader to packaging's answers
on every Requires-Dist line of every TensorFlow, tensorflow-macos, keras and tensorflow-metal release.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from tfm1.inspect.distributions import Distribution, normalize
from tfm1.version_range import InvalidRange, parse_range, parse_version, version_in

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"\s*({_NAME})\s*(?:\[\s*(?:{_NAME}(?:\s*,\s*{_NAME})*)?\s*\])?\s*(?:\(([^()]*)\)|([^()@;\[\]]*?))\s*"
)
_TOKEN = re.compile(r"\s*(\(|\)|===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b|and\b|or\b|'[^']*'|\"[^\"]*\"|[A-Za-z_.]+)")
# Markers packaging compares as versions when the other side makes a valid specifier with the operator
# (packaging.markers.MARKERS_REQUIRING_VERSION); every other marker compares as a string.
VERSION_MARKERS = frozenset({"python_version", "python_full_version", "implementation_version", "platform_release"})
# Strings have no order: packaging (26) reads `<` and `>` on them as never true, `<=` and `>=` as equality.
STRING_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: False,
    "<=": lambda a, b: a == b,
    ">": lambda a, b: False,
    ">=": lambda a, b: a == b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


class Requirement(NamedTuple):
    name: str  # normalized
    specifier: str  # "<2.0.0,>=1.23.5", empty for any version
    marker: str


class Unread(NamedTuple):
    """A Requires-Dist line, or an installed version, that no reader could judge: listed, not checked."""

    source: str  # "tensorflow 2.17.0"
    line: str
    reason: str

    def describe(self) -> str:
        return f"{self.source}: {self.line!r} ({self.reason})"


class Unmet(NamedTuple):
    source: str  # "tensorflow 2.16.1"
    name: str  # normalized
    specifier: str  # "~=0.3.1", empty for any version
    installed: str | None  # None when not installed

    def describe(self) -> str:
        have = f"{self.name} {self.installed}" if self.installed else f"{self.name} (not installed)"
        return f"{have}: {self.source} requires {self.name}{self.specifier}"


class UnreadableLine(ValueError):
    """Neither reader can judge the line; the message says why."""


def parse_requirement(line: str) -> Requirement:
    """The fast reader: a ValueError for anything outside its subset."""
    text, semicolon, marker = line.partition(";")
    match = _REQUIREMENT.fullmatch(text)
    if match is None or (semicolon and not marker.strip()):
        raise ValueError(f"not a requirement tfm1 reads: {line!r}")
    specifier = re.sub(r"\s+", "", match[2] if match[2] is not None else match[3])
    if match[2] is not None and not specifier:
        raise ValueError(f"empty parentheses: {line!r}")
    parse_range(specifier)  # raises InvalidRange (a ValueError) outside the subset
    return Requirement(normalize(match[1]), specifier, marker.strip())


def read_requirement(line: str) -> Requirement:
    """The fast reader's answer, else packaging's; UnreadableLine when packaging rejects the line too."""
    try:
        requirement = parse_requirement(line)
        if requirement.marker:
            # A marker the fast reader can evaluate is one it reads; any other goes to packaging with its line.
            evaluate_marker(requirement.marker, _SOME_ENVIRONMENT)
        return requirement
    except ValueError:
        pass
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    try:
        parsed = Parsed(line)
    except InvalidRequirement as error:
        raise UnreadableLine(f"not a PEP 508 requirement: {' '.join(str(error).split())}") from None
    return Requirement(normalize(parsed.name), str(parsed.specifier), str(parsed.marker) if parsed.marker else "")


def evaluate_marker(marker: str, environment: Mapping[str, str]) -> bool:
    """The fast reader's evaluation, as packaging.markers evaluates; a ValueError outside its subset."""
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

    def side() -> tuple[str, str]:  # (value, the variable's name or "" for a literal)
        token = take()
        if token[:1] in "'\"":
            return token[1:-1], ""
        if token not in environment:
            raise ValueError(f"unknown marker variable {token!r}")
        return environment[token], token

    def comparison() -> bool:
        if position < len(tokens) and tokens[position] == "(":
            take()
            result = disjunction()
            if take() != ")":
                raise ValueError(f"unbalanced marker: {marker!r}")
            return result
        left, left_key = side()
        operator = " ".join(take().split())
        right, right_key = side()
        if bool(left_key) == bool(right_key):
            raise ValueError(f"a marker compares a variable with a literal: {marker!r}")
        if (left_key or right_key) in VERSION_MARKERS and operator not in ("in", "not in"):
            # packaging: `Specifier(operator + right).contains(left)` whichever side the variable is on.
            try:
                parse_range(operator + right)  # first: an unparsable `left` would answer False before the range is read
            except InvalidRange:
                raise ValueError(f"{operator}{right!r}: not a range tfm1 reads") from None
            return version_in(left, operator + right)
        compare = STRING_OPERATORS.get(operator)
        if compare is None:
            raise ValueError(f"cannot compare strings with {operator}")
        return compare(left, right)

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


def marker_holds(marker: str, environment: Mapping[str, str]) -> bool:
    """Whether the marker holds, read fast or by packaging; UnreadableLine when packaging cannot evaluate it."""
    if not marker:
        return True
    try:
        return evaluate_marker(marker, environment)
    except ValueError:
        pass
    from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

    try:
        return Marker(marker).evaluate(dict(environment))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as error:
        raise UnreadableLine(f"marker not evaluated: {' '.join(str(error).split())}") from None


def in_range(version: str, specifier: str) -> bool:
    """`SpecifierSet(specifier).contains(version, prereleases=True)`, as pip check asks; packaging only when the
    range is outside tfm1.version_range's subset (a wildcard, a local label, `===`)."""
    try:
        return version_in(version, specifier)
    except InvalidRange:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(specifier).contains(version, prereleases=True)


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


_SOME_ENVIRONMENT = marker_environment("3.12", "Darwin", "arm64")


class Applicable(NamedTuple):
    requirements: list[Requirement]  # the lines whose markers hold for the target
    unread: list[Unread]


def applicable(dist: Distribution, environment: Mapping[str, str]) -> Applicable:
    """The requirements of `dist` that apply to the target interpreter, and the lines no reader could judge."""
    found: list[Requirement] = []
    unread: list[Unread] = []
    for line in dist.requires:
        try:
            requirement = read_requirement(line)
            if marker_holds(requirement.marker, environment):
                found.append(requirement)
        except UnreadableLine as error:
            unread.append(Unread(f"{dist.name} {dist.version}", line, str(error)))
    return Applicable(found, unread)


class RequirementCheck(NamedTuple):
    unmet: list[Unmet]
    unread: list[Unread]


def check_requirements(
    sources: Iterable[Distribution], installed: Mapping[str, Distribution], environment: Mapping[str, str]
) -> RequirementCheck:
    unmet: list[Unmet] = []
    unread: list[Unread] = []
    for source in sources:
        wanted = applicable(source, environment)
        unread += wanted.unread
        for requirement in wanted.requirements:
            have = installed.get(requirement.name)
            if have is not None and not requirement.specifier:
                continue  # any version will do
            if have is not None and parse_version(have.version) is None:
                unread.append(
                    Unread(
                        f"{have.name} {have.version}",
                        f"{requirement.name}{requirement.specifier}",
                        "the installed version is not a PEP 440 version: no range can judge it",
                    )
                )
                continue
            if have is not None and in_range(have.version, requirement.specifier):
                continue
            unmet.append(
                Unmet(
                    f"{source.name} {source.version}",
                    requirement.name,
                    requirement.specifier,
                    have.version if have else None,
                )
            )
    return RequirementCheck(unmet, unread)
