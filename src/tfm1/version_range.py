"""PEP 440 version ranges for the compatibility data and Requires-Dist, without importing `packaging.specifiers`.

`packaging.specifiers` pulls in `packaging.tags`, logging and subprocess: ~20 ms, twice the interpreter's own
start-up, for the few dozen ranges `tfm1 doctor` evaluates. This module evaluates what the data and the TensorFlow
stack's METADATA use (`>=`, `<=`, `>`, `<`, `==`, `!=`, `~=`, comma-separated, on public versions, pre-, post- and
dev-releases included: TensorFlow requires `protobuf<5.0.0dev`) with `packaging.version`, and refuses anything else
(wildcards, local labels, `===`). It answers exactly what `SpecifierSet(spec).contains(version, prereleases=True)`
answers; tests/test_version_range.py holds it to that.
"""

from __future__ import annotations

import re
from functools import cache

from packaging.version import InvalidVersion, Version

# Longest operators first, so that "<=" is not read as "<". The version: PEP 440's public form, as packaging's own
# specifier pattern spells it for these operators (separators and spellings such as `-rc0`, `dev`, `.post1`).
_CLAUSE = re.compile(
    r"\s*(~=|==|!=|<=|>=|<|>)\s*v?"
    r"((?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*"
    r"(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?"
    r"(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?"
    r"(?:[-_.]?dev[-_.]?[0-9]*)?)\s*",
    re.IGNORECASE | re.ASCII,
)
_RELEASE = re.compile(r"(?:[0-9]+!)?([0-9]+(?:\.[0-9]+)*)")


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
                f"{spec!r}: tfm1's version ranges take >=, <=, >, <, ==, != or ~= on a public version, comma-separated"
            )
        operator, version = match.groups()
        release = _RELEASE.match(version)
        if operator == "~=" and (release is None or "." not in release[1]):
            raise InvalidRange(f"{spec!r}: ~= needs at least two release numbers (PEP 440)")
        clauses.append((operator, Version(version)))
    return tuple(clauses)


def _version(
    epoch: int,
    release: tuple[int, ...],
    pre: tuple[str, int] | None = None,
    post: int | None = None,
    dev: int | None = None,
) -> Version:
    """A version from its parts (packaging 24 has no `Version.from_parts`)."""
    text = f"{epoch}!" + ".".join(map(str, release))
    text += f"{pre[0]}{pre[1]}" if pre is not None else ""
    text += f".post{post}" if post is not None else ""
    text += f".dev{dev}" if dev is not None else ""
    return Version(text)


def _same_family(a: Version, b: Version) -> bool:
    """Same epoch, release (trailing zeros ignored) and pre-release: `b`, its post-, dev- and local builds."""
    return a.epoch == b.epoch and _trim(a.release) == _trim(b.release) and a.pre == b.pre


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


def _satisfies(version: Version, operator: str, bound: Version) -> bool:
    """PEP 440's operators as packaging (26) draws their version ranges."""
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
        # "<2.20" stops below 2.20's first pre-release (2.20.dev0), although 2.20rc1 sorts below 2.20;
        # "<5.0.0dev", itself a pre-release, is a plain bound.
        limit = bound if bound.is_prerelease else _version(bound.epoch, bound.release, None, bound.post, 0)
        return version < limit
    if operator == ">":
        if bound.dev is not None:  # ">2.5.dev0": the next version up is 2.5.dev1
            return version >= _version(bound.epoch, bound.release, bound.pre, bound.post, bound.dev + 1)
        if bound.post is not None:  # ">1.0.post1": from 1.0.post2.dev0 up
            return version >= _version(bound.epoch, bound.release, bound.pre, bound.post + 1, 0)
        # ">2.16" admits none of 2.16's post-releases or local builds, although they sort above it.
        return version > bound and not _same_family(version, bound)
    # "~=2.13.0" is ">=2.13.0" up to the next series' first pre-release (2.14.dev0).
    prefix = bound.release[:-1]
    return public >= bound and version < _version(bound.epoch, (*prefix[:-1], prefix[-1] + 1), dev=0)


def version_in(version: str, spec: str) -> bool:
    """Whether `version` is in `spec`; an unparsable version is in no range."""
    parsed = parse_version(version)
    return parsed is not None and all(_satisfies(parsed, op, bound) for op, bound in parse_range(spec))
