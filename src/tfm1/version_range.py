"""PEP 440 version ranges for the compatibility data, without importing `packaging.specifiers`.

`packaging.specifiers` pulls in `packaging.tags`, logging and subprocess: ~20 ms, twice the interpreter's own
start-up, for the dozen simple ranges `tfm1 doctor` evaluates. This module evaluates the subset the data uses
(`>=`, `<=`, `>`, `<`, `==`, `!=`, `~=`, comma-separated, on final-release versions without wildcards) with
`packaging.version`, and refuses anything else. It answers exactly what
`SpecifierSet(spec).contains(version, prereleases=True)` answers; tests/test_version_range.py holds it to that.
"""

from __future__ import annotations

import re
from functools import cache

from packaging.version import InvalidVersion, Version

# Longest operators first, so that "<=" is not read as "<".
_CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)*)\s*")


class InvalidRange(ValueError):
    pass


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@cache
def parse_range(spec: str) -> tuple[tuple[str, Version], ...]:
    """`">=2.16,<2.20"` as `((">=", Version("2.16")), ("<", Version("2.20")))`; `""` allows every version."""
    clauses = []
    for text in spec.split(",") if spec.strip() else ():
        match = _CLAUSE.fullmatch(text)
        if match is None:
            raise InvalidRange(
                f"{spec!r}: tfm1's version ranges take >=, <=, >, <, ==, != or ~= on a final release, comma-separated"
            )
        operator, version = match.groups()
        if operator == "~=" and "." not in version:
            raise InvalidRange(f"{spec!r}: ~= needs at least two release numbers (PEP 440)")
        clauses.append((operator, Version(version)))
    return tuple(clauses)


def _same_release(a: Version, b: Version) -> bool:
    """Same epoch and release, ignoring trailing zeros: 2.20 and 2.20.0 are one release."""
    return a.epoch == b.epoch and _trim(a.release) == _trim(b.release)


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


def _satisfies(version: Version, operator: str, bound: Version) -> bool:
    # A local label (+cpu) never moves a version against a bound without one (PEP 440, local versions).
    public = Version(version.public) if version.local is not None else version
    if operator == ">=":
        return public >= bound
    if operator == "<=":
        return public <= bound
    if operator == "==":
        return public == bound
    if operator == "!=":
        return public != bound
    if operator == "<":
        # "<2.20" does not admit 2.20's own pre-releases (2.20.0rc1) although they sort below it.
        return public < bound and not (version.is_prerelease and _same_release(version, bound))
    if operator == ">":
        # ">2.16" does not admit 2.16's post-releases or local builds although they sort above it.
        return version > bound and not (
            (version.is_postrelease or version.local is not None) and _same_release(version, bound)
        )
    # "~=2.13.0" is ">=2.13.0" and the same release series "2.13.*".
    prefix = bound.release[:-1]
    padded = public.release + (0,) * max(0, len(prefix) - len(public.release))
    return public >= bound and public.epoch == bound.epoch and padded[: len(prefix)] == prefix


def version_in(version: str, spec: str) -> bool:
    """Whether `version` is in `spec`; an unparsable version is in no range."""
    parsed = parse_version(version)
    return parsed is not None and all(_satisfies(parsed, op, bound) for op, bound in parse_range(spec))
