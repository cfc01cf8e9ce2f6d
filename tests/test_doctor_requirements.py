"""The PEP 508 subset doctor reads from Requires-Dist agrees with packaging on the lines TensorFlow stacks carry."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from tfm1.doctor.requirements import evaluate_marker, marker_environment, parse_requirement

LINES = [
    "absl-py>=1.0.0",
    "ml-dtypes~=0.3.1",
    "numpy<2.0.0,>=1.23.5",
    "numpy (<2.0.0,>=1.23.5)",
    "tensorflow-io-gcs-filesystem>=0.23.1; python_version < '3.12'",
    'tensorflow-intel==2.16.1; platform_system == "Windows"',
    'tensorflow-macos==2.15.0; platform_system == "Darwin" and platform_machine == "arm64"',
    'nvidia-cudnn-cu12==8.9.4.25; extra == "and-cuda"',
    'typing-extensions>=3.6.6; python_version < "3.8" or (platform_machine != "arm64" and sys_platform == "darwin")',
    "keras[backend]>=3.0.0; '3.9' <= python_version",
    "six; platform_machine in 'x86_64 arm64'",
    "grpcio<2.0,>=1.24.3; python_full_version >= '3.12.0'",
]
ENVIRONMENTS = [
    marker_environment("3.11.9", "Darwin", "arm64"),
    marker_environment("3.12", "Darwin", "x86_64"),
    marker_environment("3.8.10", "Linux", "x86_64"),
]


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=["py311-arm64", "py312-x86", "py38-linux"])
def test_same_answers_as_packaging(line: str, environment: dict[str, str]) -> None:
    ours = parse_requirement(line)
    theirs = Requirement(line)
    assert ours.name == theirs.name.lower().replace("_", "-")
    assert sorted(ours.specifier.split(",")) == sorted(str(theirs.specifier).split(","))
    expected = theirs.marker.evaluate(environment) if theirs.marker else True
    assert (evaluate_marker(ours.marker, environment) if ours.marker else True) == expected
    if theirs.marker:
        assert Marker(ours.marker).evaluate(environment) == expected


@pytest.mark.parametrize(
    "line",
    [
        "pkg @ https://example.com/pkg.whl",
        "numpy==2.*",
        "x; python_version <",
        "x; (python_version < '3'",
        "x; os.system('rm') == '1'",
        "x; unknown_var == '1'",
        "x; python_version < '3.12' junk",
        "x; platform_machine < 'arm64'",
    ],
)
def test_lines_outside_the_subset_are_refused(line: str) -> None:
    with pytest.raises(ValueError):
        requirement = parse_requirement(line)
        evaluate_marker(requirement.marker, ENVIRONMENTS[0])
