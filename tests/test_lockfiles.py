"""The committed lockfiles: they parse with conda-lock's and py-rattler's parsers, cover every platform, carry
every hash, hold wheels that install on their platform and Python, and pass the gate. All offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rattler
from conda_lock.lockfile import parse_conda_lock_file
from packaging.utils import parse_wheel_filename

from tests.support.cli import tfm1, tfm1_json
from tfm1.compat import load
from tfm1.errors import Tfm1Error
from tfm1.lock import gate
from tfm1.lockfile import dumps, read_lockfile, write_lockfile
from tfm1.profiles import Profile, list_profiles

PROFILES = list_profiles()
IDS = [p.name for p in PROFILES]


def _python_of(profile: Profile, platform: str) -> str:
    lock = read_lockfile(profile.lockfile)
    (python,) = [p.version for p in lock.for_platform(platform, "conda") if p.name == "python"]
    return python


def test_the_profiles_exist_with_their_pins() -> None:
    found = {p.name: (p.pins, p.python, p.platforms) for p in PROFILES}
    assert found == {
        "metal": ({"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0"}, "3.12", ("osx-arm64",)),
        "tensorflow-macos": ({"tensorflow-macos": "2.16.2", "tensorflow-metal": "1.2.0"}, "3.12", ("osx-arm64",)),
        "keras2": ({"tensorflow-macos": "2.15.0", "tensorflow-metal": "1.1.0"}, "3.11", ("osx-arm64",)),
        "cpu": ({"tensorflow": "2.21.0"}, "3.12", ("osx-arm64", "linux-64")),
        "notebook": ({"tensorflow": "2.19.1", "tensorflow-metal": "1.2.0"}, "3.12", ("osx-arm64",)),
    }
    assert PROFILES[0].name == "metal" and PROFILES[0].default


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_every_profile_carries_a_jupyter_kernel_and_only_notebook_jupyterlab(profile: Profile) -> None:
    lock = read_lockfile(profile.lockfile)
    for platform in profile.platforms:
        wheels = {p.name for p in lock.for_platform(platform, "pip")}
        assert {"ipykernel", "pyzmq", "jupyter-client"} <= wheels, platform
        assert ("jupyterlab" in wheels) == (profile.name == "notebook"), platform


def test_the_notebook_profile_shares_the_metal_conda_layer() -> None:
    conda = {p.name: read_lockfile(p.lockfile).for_platform("osx-arm64", "conda") for p in PROFILES}
    assert conda["notebook"] == conda["metal"]


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_conda_lock_parses_it_with_every_platform(profile: Profile) -> None:
    parsed = parse_conda_lock_file(profile.lockfile)
    assert set(parsed.metadata.platforms) == set(profile.platforms)
    for platform in profile.platforms:
        managers = {p.manager for p in parsed.package if platform in p.platform}
        assert managers == {"conda", "pip"}, platform


@pytest.mark.slow
@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_conda_lock_render_reads_it_for_every_platform(profile: Profile, tmp_path: Path) -> None:
    """conda-lock's own CLI (what its users run before `conda-lock install`) renders every platform of the lock."""
    conda_lock = Path(sys.executable).parent / "conda-lock"
    done = subprocess.run(
        [str(conda_lock), "render", "--kind", "explicit", "--filename-template", "render-{platform}.lock",
         str(profile.lockfile)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lock = read_lockfile(profile.lockfile)
    for platform in profile.platforms:
        rendered = (tmp_path / f"render-{platform}.lock").read_text().splitlines()
        assert "@EXPLICIT" in rendered
        urls = [line for line in rendered if line.startswith("https://")]
        assert len(urls) == len(lock.for_platform(platform, "conda")) and all("#" in url for url in urls)


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_rattler_parses_it_with_every_platform(profile: Profile) -> None:
    environment = rattler.LockFile.from_path(profile.lockfile).default_environment()
    assert environment is not None
    platforms = {p.name: p for p in environment.platforms()}
    assert set(platforms) == set(profile.platforms)
    for name, platform in platforms.items():
        records = environment.conda_repodata_records_for_platform(platform) or []
        assert {"python", "pip"} <= {r.name.normalized for r in records}, name
        assert all(r.sha256 is not None and r.md5 is not None for r in records)
        wheels = environment.pypi_packages_for_platform(platform) or []
        assert any(w.name in ("tensorflow", "tensorflow-macos") for w in wheels)


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_conda_layer_is_python_and_pip_from_conda_forge_with_both_hashes(profile: Profile) -> None:
    lock = read_lockfile(profile.lockfile)
    for platform in profile.platforms:
        conda = lock.for_platform(platform, "conda")
        assert "numpy" not in {p.name for p in conda}  # a conda numpy beside pip TensorFlow breaks it
        for entry in conda:
            assert re.fullmatch(
                rf"https://conda\.anaconda\.org/conda-forge/({platform}|noarch)/[^/]+\.conda", entry.url
            )
            assert entry.md5 and re.fullmatch(r"[0-9a-f]{32}", entry.md5), entry.name
            assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry.name
        assert _python_of(profile, platform).startswith(profile.python + ".")


def _wheel_fits(filename: str, platform: str, python: str) -> bool:
    """Independent of tfm1.lock.targets: the tags a pip on macOS 12 arm64 / glibc 2.28 x86_64 would take."""
    major, minor = (int(x) for x in python.split(".")[:2])
    cp = f"cp{major}{minor}"
    for tag in parse_wheel_filename(filename)[3]:
        abi3 = tag.abi == "abi3" and re.fullmatch(r"cp3\d+", tag.interpreter) and int(tag.interpreter[3:]) <= minor
        pure = tag.abi == "none" and tag.interpreter in ("py3", f"py{major}{minor}", cp)
        python_ok = (tag.interpreter == cp and tag.abi == cp) or bool(abi3) or pure
        if tag.platform == "any":
            platform_ok = True
        elif platform == "osx-arm64":
            match = re.fullmatch(r"macosx_(\d+)_(\d+)_(arm64|universal2)", tag.platform)
            platform_ok = match is not None and (int(match.group(1)), int(match.group(2))) <= (12, 0)
        else:
            match = re.fullmatch(r"manylinux_2_(\d+)_x86_64", tag.platform)
            platform_ok = (match is not None and int(match.group(1)) <= 28) or tag.platform in (
                "manylinux2014_x86_64",
                "manylinux2010_x86_64",
                "manylinux1_x86_64",
            )
        if python_ok and platform_ok:
            return True
    return False


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_every_pip_entry_is_one_wheel_for_the_platform_and_the_locked_python(profile: Profile) -> None:
    lock = read_lockfile(profile.lockfile)
    for platform in profile.platforms:
        python = _python_of(profile, platform)
        pip = lock.for_platform(platform, "pip")
        names = [p.name for p in pip]
        assert len(names) == len(set(names)), "one entry per package"
        for entry in pip:
            assert entry.url.startswith("https://files.pythonhosted.org/") and entry.filename.endswith(".whl")
            assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
            assert _wheel_fits(entry.filename, platform, python), (platform, entry.filename)
            assert str(parse_wheel_filename(entry.filename)[1]) == entry.version


def test_the_tensorflow_wheels_are_the_real_ones() -> None:
    def url(profile: str, name: str, platform: str = "osx-arm64") -> str:
        lock = read_lockfile(next(p for p in PROFILES if p.name == profile).lockfile)
        (entry,) = [p for p in lock.for_platform(platform, "pip") if p.name == name]
        return entry.filename

    assert url("metal", "tensorflow") == "tensorflow-2.19.1-cp312-cp312-macosx_12_0_arm64.whl"
    assert url("metal", "tensorflow-metal") == "tensorflow_metal-1.2.0-cp312-cp312-macosx_12_0_arm64.whl"
    assert url("keras2", "tensorflow-macos") == "tensorflow_macos-2.15.0-cp311-cp311-macosx_12_0_arm64.whl"
    assert url("keras2", "tensorflow-metal") == "tensorflow_metal-1.1.0-cp311-cp311-macosx_12_0_arm64.whl"
    assert url("tensorflow-macos", "tensorflow") == "tensorflow-2.16.2-cp312-cp312-macosx_12_0_arm64.whl"
    assert url("cpu", "tensorflow", "linux-64").startswith("tensorflow-2.21.0-cp312-cp312-manylinux")


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_the_locked_pairs_pass_the_gate(profile: Profile) -> None:
    lock = read_lockfile(profile.lockfile)
    for platform in profile.platforms:
        versions = lock.versions(platform)
        findings = gate.check(versions, platform, _python_of(profile, platform))
        assert [f for f in findings if f.severity == "error"] == []
        if "tensorflow-metal" in versions:
            (real,) = gate.real_tensorflow(versions, platform)
            assert load().pair(versions[real], versions["tensorflow-metal"]).status == "works"


@pytest.mark.parametrize("profile", PROFILES, ids=IDS)
def test_writing_a_read_lock_gives_the_same_bytes(profile: Profile) -> None:
    assert dumps(read_lockfile(profile.lockfile)) == profile.lockfile.read_text(encoding="utf-8")


def test_lock_check_passes_on_the_committed_locks() -> None:
    result = tfm1("lock", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(f"{p.name}: ok" in result.stdout for p in PROFILES)


def test_lock_check_needs_no_network() -> None:
    """Every proxy points at a closed port: anything that reached out would fail."""
    dead = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead, "NO_PROXY": ""}
    env.update({key.lower(): value for key, value in env.items() if key.endswith("_PROXY")})
    result = tfm1("lock", "--check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lock_check_json() -> None:
    code, data = tfm1_json("lock", "--check", "--profile", "metal")
    assert code == 0
    (profile,) = data["profiles"]
    assert (profile["profile"], profile["ok"], profile["problems"], profile["diff"]) == ("metal", True, [], "")


def test_unknown_profile_is_a_usage_error() -> None:
    result = tfm1("lock", "--check", "--profile", "nope")
    assert result.returncode == 2
    assert result.stderr.startswith("tfm1: error: no profile named 'nope' (known: metal, ")
    assert "Traceback" not in result.stderr


def test_envs_ship_inside_the_wheel_config() -> None:
    from tests.support.pyproject import pyproject

    assert pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"] == {"envs": "tfm1/envs"}


def test_a_lockfile_that_cannot_be_written_is_one_error_and_leaves_no_partial_file(tmp_path: Path) -> None:
    """The rename fails (a folder sits where the lockfile goes; tests run as root, so permissions would not stop
    a write): a Tfm1Error naming the path and the reason, and no temporary file left behind."""
    lock = read_lockfile(PROFILES[0].lockfile)
    target = tmp_path / "metal" / "conda-lock.yml"
    target.mkdir(parents=True)
    with pytest.raises(Tfm1Error) as raised:
        write_lockfile(lock, target)
    assert raised.value.message == f"cannot write lockfile {target}: Is a directory"
    assert "--envs DIR" in raised.value.fix
    assert sorted(p.name for p in target.parent.iterdir()) == ["conda-lock.yml"]
    # Beside a file, not a folder: the parent cannot be created.
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(Tfm1Error, match=r"^cannot write lockfile .*/file/conda-lock\.yml: "):
        write_lockfile(lock, tmp_path / "file" / "conda-lock.yml")


def test_a_written_lockfile_leaves_only_itself(tmp_path: Path) -> None:
    lock = read_lockfile(PROFILES[0].lockfile)
    target = tmp_path / "conda-lock.yml"
    assert write_lockfile(lock, target) is True
    assert write_lockfile(lock, target) is False  # unchanged: not rewritten
    assert [p.name for p in tmp_path.iterdir()] == ["conda-lock.yml"]
    assert read_lockfile(target) == lock


def test_a_yaml_error_in_a_lockfile_is_one_line_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "conda-lock.yml"
    path.write_text("version: 1\nmetadata:\n  platforms: [osx-arm64\n  channels: x\n", encoding="utf-8")
    with pytest.raises(Tfm1Error) as raised:
        read_lockfile(path)
    message = raised.value.message
    assert message.startswith(f"{path} is not a conda-lock version 1 lockfile: invalid YAML: ")
    assert "expected ',' or ']'" in message and message.endswith(" at line 4, column 11")  # libyaml's wording
    assert "\n" not in message
