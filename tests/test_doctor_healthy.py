"""No false alarm on a healthy install: every tensorflow-macos release 2.9–2.16 and every TensorFlow 2.13–2.21.

Each install is what pip would put on a Mac with Apple silicon: uv resolves the release, its declared dependencies
and the tensorflow-metal tfm1's data pairs it with, for aarch64-apple-darwin (a known-broken range in the data is
kept out, as a working guide would). The result is laid out as dist-info folders in a venv: the TensorFlow
distributions, keras and tensorflow-metal with their real METADATA and WHEEL out of the very wheels, the files their
wheels hold listed in RECORD (or no RECORD at all), and TensorFlow's framework library and the Metal plugin as the
real first 32 KB of the real binaries. Doctor may then raise no error and no warning, except metal-missing where no
tensorflow-metal loads with that TensorFlow.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.caches import TEST_CACHE, building
from tests.support.mac_site import MacSite
from tfm1.compat import load
from tfm1.compat_data import TENSORFLOW_FAMILY, TENSORFLOW_NAMES
from tfm1.doctor import diagnose
from tfm1.inspect.distributions import normalize

pytestmark = pytest.mark.network

# Final releases with a macOS arm64 wheel, as of 2026-12-05 (test_the_lists_are_every_release keeps them whole).
TENSORFLOW_MACOS = ["2.9.0", "2.9.1", "2.9.2", "2.10.0", "2.11.0", "2.12.0", "2.13.0", "2.13.1", "2.14.0", "2.14.1"]
TENSORFLOW_MACOS += ["2.15.0", "2.15.1", "2.16.1", "2.16.2"]
TENSORFLOW = ["2.13.0", "2.13.1", "2.14.0", "2.14.1", "2.15.0", "2.15.1", "2.16.1", "2.16.2", "2.17.0", "2.17.1"]
TENSORFLOW += ["2.18.0", "2.18.1", "2.19.0", "2.19.1", "2.20.0", "2.21.0"]
RELEASES = [("tensorflow-macos", v) for v in TENSORFLOW_MACOS] + [("tensorflow", v) for v in TENSORFLOW]
FRAMEWORK = "tensorflow/libtensorflow_framework.2.dylib"
PLUGIN = "tensorflow-plugins/libmetal_plugin.dylib"
RESOLUTIONS = TEST_CACHE / "doctor-healthy"


def python_for(project: str, version: str) -> str:
    """The newest Python both the release and its tensorflow-metal have wheels for (3.11 has no wheel before
    tensorflow-macos 2.12; tensorflow-metal has none for 3.12 before 1.2.0)."""
    return "3.10" if project == "tensorflow-macos" and tuple(map(int, version.split(".")[:2])) < (2, 12) else "3.11"


def resolve(requirements: list[str], constraints: list[str], python: str) -> list[tuple[str, str]]:
    """uv's resolution for a Mac with Apple silicon, kept in the test cache: (name, version) pairs."""
    key = hashlib.sha256(json.dumps([requirements, constraints, python]).encode()).hexdigest()[:24]
    cached = RESOLUTIONS / f"{key}.json"
    with building(cached):
        return _resolve(key, cached, requirements, constraints, python)


def _resolve(
    key: str, cached: Path, requirements: list[str], constraints: list[str], python: str
) -> list[tuple[str, str]]:
    if cached.exists():
        return [(str(name), str(version)) for name, version in json.loads(cached.read_text())]
    import uv

    RESOLUTIONS.mkdir(parents=True, exist_ok=True)
    (RESOLUTIONS / f"{key}.in").write_text("\n".join(requirements) + "\n")
    (RESOLUTIONS / f"{key}.constraints").write_text("\n".join(constraints) + "\n")
    result = subprocess.run(
        [
            uv.find_uv_bin(),
            *(
                "pip",
                "compile",
                str(RESOLUTIONS / f"{key}.in"),
                "--constraint",
                str(RESOLUTIONS / f"{key}.constraints"),
            ),
            *("--no-config", "--python", sys.executable, "--python-platform", "aarch64-apple-darwin"),
            *("--python-version", python, "--only-binary", ":all:", "--no-header", "--no-annotate", "--quiet"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "UV_CACHE_DIR": str(TEST_CACHE / "uv"), "UV_PYTHON_DOWNLOADS": "never"},
    )
    assert result.returncode == 0, result.stderr
    pins = [tuple(line.split("==", 1)) for line in result.stdout.splitlines() if "==" in line]
    cached.write_text(json.dumps(pins))
    return pins  # type: ignore[return-value]


def healthy_install(tmp_path: Path, project: str, version: str, *, record: bool) -> tuple[MacSite, str | None]:
    """The venv pip would make for `project==version` and its matching tensorflow-metal; the metal version."""
    from tests.support.pypi_metadata import member_head, member_names, member_text, release_wheel

    compat = load()
    python = python_for(project, version)
    metal = compat.metal_for(version)
    requirements = [f"{project}=={version}"]
    if metal is not None:
        assert python in metal.python, (version, metal.version)
        requirements.append(f"tensorflow-metal=={metal.version}")
    releases = [release for name in TENSORFLOW_FAMILY if (release := compat.tensorflow(name, version)) is not None]
    constraints = sorted({broken.fix for release in releases for broken in release.known_broken})
    mac = MacSite(tmp_path, python)
    for name, pinned in resolve(requirements, constraints, python):
        name = normalize(name)
        if name not in (*TENSORFLOW_NAMES, "keras", "tensorflow-metal"):
            mac.dist(name, pinned)  # doctor reads these by name and version only
            continue
        wheel = release_wheel(name, pinned, python)
        names = member_names(wheel)
        files = {}
        if FRAMEWORK in names:
            files = {"tensorflow/__init__.py": b"", FRAMEWORK: member_head(wheel, FRAMEWORK)}
        if PLUGIN in names:
            files[PLUGIN] = member_head(wheel, PLUGIN)
        listed = names if record and name in TENSORFLOW_NAMES else None
        metadata, wheel_file = member_text(wheel, "METADATA"), member_text(wheel, "WHEEL")
        mac.dist(name, pinned, metadata=metadata, wheel=wheel_file, record=listed, files=files)
    return mac, metal.version if metal else None


@pytest.mark.parametrize("record", [True, False], ids=["RECORD", "no-RECORD"])
@pytest.mark.parametrize(("project", "version"), RELEASES, ids=[f"{p}-{v}" for p, v in RELEASES])
def test_a_healthy_install_raises_nothing(tmp_path: Path, project: str, version: str, record: bool) -> None:
    mac, metal = healthy_install(tmp_path, project, version, record=record)
    report = diagnose(mac.host("14.5"))
    found = [(f.code, f.severity) for f in report.findings]
    if (project, version) == ("tensorflow-macos", "2.15.1"):
        # Not a healthy install whatever comes with it: the empty wheel (requires only itself).
        assert found == [("tensorflow-macos-empty", "error")]
        return
    assert found == ([] if metal else [("metal-missing", "warning")])
    assert report.facts["requirements"]["unread"] == []
    assert report.facts["requirements"]["no_requires_dist"] == []
    assert report.facts["requirements"]["checked"]
    binaries = report.facts["python"]["binaries"]
    assert [b["path"].rsplit("/", 2)[-2:] for b in binaries] == [
        ["tensorflow", "libtensorflow_framework.2.dylib"],
        *([["tensorflow-plugins", "libmetal_plugin.dylib"]] if metal else []),
    ]
    assert all(b["slices"][0]["arch"] == "arm64" for b in binaries)


def test_apple_labelled_two_of_these_arm64_wheels_x86_64(tmp_path: Path) -> None:
    """What the cases for tensorflow-macos 2.11.0 and 2.12.0 above stand on: their WHEEL says x86_64."""
    for version in ("2.11.0", "2.12.0"):
        mac, _ = healthy_install(tmp_path / version, "tensorflow-macos", version, record=True)
        distribution = diagnose(mac.host("14.5")).facts["python"]["distributions"]["tensorflow-macos"]
        assert [tag.endswith("_x86_64") for tag in distribution["tags"]] == [True]


def test_the_lists_are_every_release() -> None:
    from tests.support.pypi_metadata import index

    def releases(project: str, first: tuple[int, int], last: tuple[int, int]) -> list[str]:
        found = {
            wheel.version
            for wheel in index().all_wheels(project)
            if any(t.platform.startswith("macosx_") and t.platform.endswith("_arm64") for t in wheel.tags)
            and not wheel.version.is_prerelease
            and not wheel.version.is_postrelease
            and first <= wheel.version.release[:2] <= last
        }
        return [str(v) for v in sorted(found)]

    assert releases("tensorflow-macos", (2, 9), (2, 16)) == TENSORFLOW_MACOS
    assert releases("tensorflow", (2, 13), (2, 21)) == TENSORFLOW
