"""Doctor's reader of Requires-Dist answers what packaging answers, and skips no line in silence.

On the lines TensorFlow stacks carry (every Requires-Dist line of every tensorflow, tensorflow-macos, keras and
tensorflow-metal release on PyPI, read out of the real wheels) and on lines hypothesis makes up: same name, same
range, same marker verdict in each target environment, same version verdicts; a line packaging rejects is reported
as unread, never dropped. The fast reader must read every real line itself: packaging.requirements costs more than
doctor's whole start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Parsed
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.support.mac_site import MacSite, fixture_dist_info, fixture_head
from tfm1.doctor import diagnose
from tfm1.doctor.render import render_report
from tfm1.doctor.requirements import (
    UnreadableLine,
    check_requirements,
    evaluate_marker,
    in_range,
    marker_environment,
    marker_holds,
    parse_requirement,
    read_requirement,
)
from tfm1.inspect.distributions import Distribution, requires_dist

ENVIRONMENTS = [
    marker_environment("3.11.9", "Darwin", "arm64"),
    marker_environment("3.12", "Darwin", "x86_64"),
    marker_environment("3.8.10", "Linux", "x86_64"),
    marker_environment("3.13.1", "Windows", "AMD64"),
]
PROJECTS = ("tensorflow", "tensorflow-macos", "keras", "tensorflow-metal")
# Versions every range is asked about, besides those its own bounds suggest.
PROBES = ["0", "1.0", "1.20", "2.0.0rc1", "2.0.2", "3.20.3", "4.21.0", "4.25.3", "5.0.0.dev0", "5.28.3", "99"]


def probes(specifier: str) -> list[str]:
    """Each bound of a range, and its neighbours where the PEP 440 special cases live."""
    found = list(PROBES)
    for bound in re.findall(r"[0-9][0-9a-zA-Z.!+-]*", specifier):
        base = bound.split("+")[0].rstrip(".*")
        found += [bound, base, f"{base}.post1", f"{base}rc1", f"{base}.dev0", f"{base}+local", f"{base}.1"]
    return found


def assert_agrees(line: str) -> None:
    try:
        theirs = Parsed(line)
    except InvalidRequirement:
        with pytest.raises(UnreadableLine):
            read_requirement(line)
        return
    ours = read_requirement(line)
    assert ours.name == canonicalize_name(theirs.name), line
    assert SpecifierSet(ours.specifier) == theirs.specifier, line
    for environment in ENVIRONMENTS:
        try:
            expected = theirs.marker.evaluate(environment) if theirs.marker else True
        except (UndefinedComparison, UndefinedEnvironmentName):
            with pytest.raises(UnreadableLine):
                marker_holds(ours.marker, environment)
            continue
        assert marker_holds(ours.marker, environment) == expected, (line, environment["python_version"])
    for version in probes(str(theirs.specifier)):
        assert in_range(version, ours.specifier) == theirs.specifier.contains(version, prereleases=True), (
            line,
            version,
        )


# --- the lines real releases carry ------------------------------------------------------------------------------


def real_lines() -> Iterator[tuple[str, str]]:
    """(where, line) for every Requires-Dist line of every release of the TensorFlow stack's projects."""
    from tests.support.pypi_metadata import every_release_metadata

    for project in PROJECTS:
        for version, metadata in every_release_metadata(project).items():
            for line in requires_dist(metadata):
                yield f"{project} {version}", line


@pytest.mark.network
def test_every_real_line_reads_as_packaging_reads_it() -> None:
    lines = {line: where for where, line in real_lines()}
    assert len(lines) > 400  # 463 distinct lines over some 280 releases, as of 2026-12
    for line in lines:
        assert_agrees(line)
    slow = [f"{where}: {line}" for line, where in lines.items() if not _fast(line)]
    assert slow == [], "the fast reader must read these too, or every doctor run on them imports packaging"


def _fast(line: str) -> bool:
    try:
        requirement = parse_requirement(line)
        for environment in ENVIRONMENTS:
            if requirement.marker:
                evaluate_marker(requirement.marker, environment)
    except ValueError:
        return False
    return True


# --- lines hypothesis makes up ---------------------------------------------------------------------------------

NAMES = st.sampled_from(["numpy", "tf_keras", "Foo.Bar", "a", "ml-dtypes", "x-", "_x", "9lives", "tensorflow-io"])
EXTRAS = st.sampled_from(["", "", "[gpu]", "[a,b]", "[ a , b ]", "[]", "[a,]", "[-x]", "[backend]"])
RELEASES = st.sampled_from(["1", "1.0", "2.16", "2.16.0", "3.20.3", "5.0.0", "0.3.1", "1!2.0"])
SUFFIXES = st.sampled_from(["", "", "", "rc0", "-rc1", "dev", ".dev0", ".post1", "a1", ".*", "+local", "b2.post3"])
OPERATORS = st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "", "=>"])
CLAUSES = st.builds(
    lambda op, space, release, suffix: f"{op}{space}{release}{suffix}",
    OPERATORS,
    st.sampled_from(["", " "]),
    RELEASES,
    SUFFIXES,
)
SPECIFIERS = st.one_of(
    st.just(""),
    st.lists(CLAUSES, min_size=1, max_size=3).map(",".join),
    st.lists(CLAUSES, min_size=1, max_size=3).map(lambda c: "(" + " , ".join(c) + ")"),
    st.lists(CLAUSES, min_size=1, max_size=2).map(lambda c: " " + ",,".join(c)),
)
VARIABLES = st.sampled_from(
    [
        "python_version",
        "python_full_version",
        "platform_machine",
        "sys_platform",
        "platform_system",
        "os_name",
        "implementation_name",
        "platform_release",
        "extra",
        "os.name",
        "sys.platform",
        "platform.machine",
        "python_implementation",
        "foo_bar",
    ]
)
LITERALS = st.sampled_from(
    ["3.8", "3.12", "3.11.2", "darwin", "arm64", "Darwin", "2.*", "", "1.0+local", "x86_64 arm64", "and-cuda", "3"]
).map(lambda text: repr(text))
MARKER_OPERATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in", "not  in"])


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    variable, literal, operator = draw(VARIABLES), draw(LITERALS), draw(MARKER_OPERATORS)
    shape = draw(st.sampled_from(["var-lit", "var-lit", "lit-var", "var-var", "lit-lit", "missing"]))
    return {
        "var-lit": f"{variable} {operator} {literal}",
        "lit-var": f"{literal} {operator} {variable}",
        "var-var": f"{variable} {operator} {draw(VARIABLES)}",
        "lit-lit": f"{literal} {operator} {draw(LITERALS)}",
        "missing": f"{variable} {operator}",
    }[shape]


MARKERS = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(["and", "or"]), inner),
        inner.map(lambda m: f"({m})"),
        inner.map(lambda m: f"({m}"),
    ),
    max_leaves=4,
)
LINES = st.builds(
    lambda name, extras, spec, url, marker: f"{name}{extras}{spec}{url}" + (f"; {marker}" if marker else ""),
    NAMES,
    EXTRAS,
    SPECIFIERS,
    st.sampled_from(["", "", "", " @ https://example.com/x.whl"]),
    st.one_of(st.just(""), MARKERS),
)


@settings(max_examples=3000, deadline=None)
@given(LINES)
@example("numpy (<2.0.0,>=1.23.5)")
@example("protobuf!=4.21.0,!=4.21.1,<5.0.0dev,>=3.20.3")
@example("keras (<2.10.0,>=2.9.0rc0)")
@example('tensorflow-intel ==2.16.0-rc0 ; platform_system == "Windows"')
@example(
    "typing-extensions>=3.6.6; python_version < '3.8' or (platform_machine != 'arm64' and sys_platform == 'darwin')"
)
@example("six; '3.8' ~= python_version")
@example("x; platform_machine < 'arm64'")
@example("x; os.name == 'posix'")
@example("x; os_name === 'posix'")
@example("numpy; platform_release != 'darwin'")
@example("numpy; platform_release ~= 'darwin'")
@example("pkg @ https://example.com/pkg.whl")
@example("numpy==2.*")
@example("x; python_version <")
@example("x;")
@example("x ()")
def test_made_up_lines_read_as_packaging_reads_them(line: str) -> None:
    assert_agrees(line)


# --- doctor on the real TensorFlow 2.17.0 METADATA: the protobuf conflict, and nothing skipped in silence ---------

TF_217 = "tensorflow-2.17.0-cp311-cp311-macosx_12_0_arm64.whl"


def _tensorflow_217(tmp_path: Path, extra_lines: str = "") -> MacSite:
    mac = MacSite(tmp_path, "3.11")
    metadata, wheel = fixture_dist_info(TF_217)
    head, _, body = metadata.partition("\n\n")
    files = {
        "tensorflow/__init__.py": b"",
        "tensorflow/libtensorflow_framework.2.dylib": fixture_head("libtensorflow_framework-2.12.0-arm64.head"),
    }
    mac.dist("tensorflow", "2.17.0", metadata=head + "\n" + extra_lines + "\n" + body, wheel=wheel, files=files)
    for requirement in (read_requirement(line) for line in requires_dist(metadata)):
        if marker_holds(requirement.marker, marker_environment("3.11.9", "Darwin", "arm64")):
            mac.dist(requirement.name, _lowest(requirement.specifier))
    return mac


def _lowest(specifier: str) -> str:
    """A version in the range: its lower bound, or the version it pins (the range's own numbers)."""
    bounds = re.findall(r"(?:>=|==|~=)([0-9][0-9.]*)", specifier)
    return bounds[0] if bounds else "1.0"


def test_the_real_metadata_is_met_by_versions_in_its_ranges(tmp_path: Path) -> None:
    report = diagnose(_tensorflow_217(tmp_path).host())
    assert report.codes == ["metal-missing"]
    assert report.facts["requirements"] == {"checked": ["tensorflow 2.17.0"], "unread": [], "no_requires_dist": []}


def test_protobuf_upgraded_past_the_pre_release_bound_is_reported(tmp_path: Path) -> None:
    mac = _tensorflow_217(tmp_path)
    (protobuf,) = mac.site.glob("protobuf-*.dist-info")
    protobuf.rename(mac.site / "protobuf-5.28.3.dist-info")
    report = diagnose(mac.host())
    (conflict,) = [f for f in report.findings if f.code == "tf-requirement-conflict"]
    assert conflict.evidence["unmet"] == [
        "protobuf 5.28.3: tensorflow 2.17.0 requires "
        "protobuf!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<5.0.0dev,>=3.20.3"
    ]
    assert conflict.fix[0].endswith(
        "install 'protobuf!=4.21.0,!=4.21.1,!=4.21.2,!=4.21.3,!=4.21.4,!=4.21.5,<5.0.0dev,>=3.20.3'"
    )


def test_a_line_packaging_rejects_is_listed_and_noted_not_dropped(tmp_path: Path) -> None:
    bad = "Requires-Dist: broken-line (>=1.0"
    wildcard = "Requires-Dist: six ==1.*"  # outside the fast subset: packaging reads it
    mac = _tensorflow_217(tmp_path, f"{bad}\n{wildcard}")
    (six,) = mac.site.glob("six-*.dist-info")
    six.rename(mac.site / "six-2.0.0.dist-info")
    report = diagnose(mac.host())
    (unread,) = report.facts["requirements"]["unread"]
    assert (unread["source"], unread["line"]) == ("tensorflow 2.17.0", "broken-line (>=1.0")
    assert unread["reason"].startswith("not a PEP 508 requirement")
    (conflict,) = [f for f in report.findings if f.code == "tf-requirement-conflict"]
    assert any(line.startswith("six 2.0.0: tensorflow 2.17.0 requires six==1.*") for line in conflict.evidence["unmet"])

    import io

    text = io.StringIO()
    render_report(report, text)
    assert "Note: not checked: tensorflow 2.17.0's requirement 'broken-line (>=1.0'" in " ".join(
        text.getvalue().split()
    )


def test_an_installed_version_no_range_can_judge_is_listed() -> None:
    source = Distribution("tensorflow", "2.17.0", "/site", requires=("numpy<2.0.0,>=1.23.5",))
    installed = {"numpy": Distribution("numpy", "1.26.4-local-build", "/site")}
    check = check_requirements([source], installed, ENVIRONMENTS[0])
    assert check.unmet == []
    (unread,) = check.unread
    assert "not a PEP 440 version" in unread.reason and unread.source == "numpy 1.26.4-local-build"
