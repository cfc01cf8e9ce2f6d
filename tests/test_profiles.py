"""`tfm1 profiles` and `tfm1.profiles`: what each profile is, from the checkout or from inside the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import tfm1, tfm1_json
from tfm1.profiles import envs_dir, get_profile, list_profiles

ROOT = Path(__file__).resolve().parents[1]


def test_profiles_json_lists_the_locked_versions() -> None:
    code, data = tfm1_json("profiles")
    assert code == 0
    rows = {row["name"]: row for row in data["profiles"]}
    assert list(rows) == ["metal", "cpu", "keras2", "notebook", "tensorflow-macos"]  # the default first
    assert [r["name"] for r in data["profiles"] if r["default"]] == ["metal"]
    summary = {
        name: (r["tensorflow_package"], r["tensorflow"], r["tensorflow_metal"], r["python_locked"], r["platforms"])
        for name, r in rows.items()
    }
    assert summary == {
        "metal": ("tensorflow", "2.19.1", "1.2.0", "3.12.13", ["osx-arm64"]),
        "cpu": ("tensorflow", "2.21.0", "", "3.12.13", ["osx-arm64", "linux-64"]),
        "keras2": ("tensorflow-macos", "2.15.0", "1.1.0", "3.11.15", ["osx-arm64"]),
        "notebook": ("tensorflow", "2.19.1", "1.2.0", "3.12.13", ["osx-arm64"]),
        "tensorflow-macos": ("tensorflow", "2.16.2", "1.2.0", "3.12.13", ["osx-arm64"]),
    }
    assert rows["tensorflow-macos"]["tensorflow_macos"] == "2.16.2"
    assert all(r["description"] and r["locked"] for r in rows.values())
    assert rows["keras2"]["pip"] == ["tensorflow-macos==2.15.0", "tensorflow-metal==1.1.0", "ipykernel"]


def test_profiles_table_for_people() -> None:
    result = tfm1("profiles", env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    metal = next(line for line in lines if line.lstrip("│ ").startswith("metal (default)"))
    assert "2.19.1" in metal and "1.2.0" in metal and "3.12.13" in metal
    keras2 = next(line for line in lines if line.lstrip("│ ").startswith("keras2"))
    assert "2.15.0 (macos)" in keras2  # the tensorflow-macos package is TensorFlow itself up to 2.15
    assert "2.16.2 (macos shim)" in result.stdout
    assert "- (CPU only)" in result.stdout and "osx-arm64, linux-64" in result.stdout


def test_profile_fields() -> None:
    profile = get_profile("cpu")
    assert profile.environment_file == envs_dir() / "cpu" / "environment.yml"
    assert profile.lockfile == envs_dir() / "cpu" / "conda-lock.yml"
    assert (profile.channels, profile.conda_specs, profile.pip_specs) == (
        ("conda-forge",),
        ("python=3.12", "pip"),
        ("tensorflow==2.21.0", "ipykernel"),
    )
    assert envs_dir() == ROOT / "envs"  # the checkout's, so `tfm1 lock` edits the committed files


@pytest.mark.parametrize(
    ("spec", "python"), [("python=3.11", "3.11"), ("python 3.12.*", "3.12"), ("python==3.10", "3.10")]
)
def test_python_pin_forms(tmp_path: Path, spec: str, python: str) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "environment.yml").write_text(
        f"channels: [conda-forge]\nplatforms: [linux-64]\ndependencies:\n  - {spec}\n  - pip\n", encoding="utf-8"
    )
    (profile,) = list_profiles(tmp_path)
    assert (profile.name, profile.python, profile.description, profile.pip_specs) == ("p", python, "", ())


@pytest.mark.network
@pytest.mark.slow
def test_the_wheel_ships_envs_and_tfm1_finds_them_there(tmp_path: Path) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [sys.executable, "-m", "uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
        env=env,
    )
    (wheel,) = (tmp_path / "dist").glob("tfm1-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for profile in ("metal", "tensorflow-macos", "keras2", "cpu", "notebook"):
        assert {f"tfm1/envs/{profile}/environment.yml", f"tfm1/envs/{profile}/conda-lock.yml"} <= names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a wheel's purelib content is its root
    result = subprocess.run(
        [sys.executable, "-m", "tfm1", "profiles", "--json"],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(site)},
        cwd=tmp_path,
        check=True,
    )
    assert f'"environment_file": "{site / "tfm1" / "envs" / "metal" / "environment.yml"}"' in result.stdout
    assert '"tensorflow": "2.19.1"' in result.stdout


def test_a_yaml_error_in_environment_yml_is_one_line_with_its_position(tmp_path: Path) -> None:
    folder = tmp_path / "envs" / "bad"
    folder.mkdir(parents=True)
    (folder / "environment.yml").write_text("channels: [conda-forge\nplatforms: [osx-arm64]\n", encoding="utf-8")
    for command in (("lock", "--check"), ("profiles",)):
        result = tfm1(*command, "--envs", str(tmp_path / "envs"))
        assert result.returncode == 1
        (line, fix) = result.stderr.splitlines()
        assert line.startswith(f"tfm1: error: {folder / 'environment.yml'} is not valid YAML: ")
        assert " at line 2, column 10" in line and fix.startswith("  fix: fix the file's YAML")


@pytest.mark.parametrize("command", [("lock", "--check"), ("lock",), ("profiles",)])
def test_a_missing_envs_folder_is_a_usage_error(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = tfm1(*command, "--envs", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"tfm1: error: no profiles folder at {tmp_path / 'nope'}.",
        "  fix: pass --envs a folder holding <profile>/environment.yml",
    ]


def _installed_copy(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """tfm1 as a wheel installs it: the package with envs/ inside, no checkout around it."""
    site = tmp_path / "install" / "site"
    shutil.copytree(ROOT / "src" / "tfm1", site / "tfm1", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "envs", site / "tfm1" / "envs")
    return site, {**os.environ, "PYTHONPATH": str(site)}


def test_lock_refuses_to_rewrite_the_profiles_inside_an_installed_package(tmp_path: Path) -> None:
    site, env = _installed_copy(tmp_path)
    packaged = site / "tfm1" / "envs"
    before = {p: p.read_bytes() for p in packaged.rglob("*.yml")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tfm1", *args], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
        )

    for args in (("lock", "--no-linkage"), ("lock", "--pip-only", "--envs", str(packaged / ".." / "envs"))):
        result = run(*args)
        assert result.returncode == 2, result.stderr
        (line, fix) = result.stderr.splitlines()
        assert (
            line.startswith("tfm1: error: ") and "is the copy of the profiles inside the installed tfm1 package" in line
        )
        assert fix.endswith("and pass --envs DIR, e.g. `tfm1 lock --envs ./envs`")
    assert {p: p.read_bytes() for p in packaged.rglob("*.yml")} == before
    checked = run("lock", "--check", "--profile", "metal")  # reading them is fine
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"({packaged / 'metal' / 'conda-lock.yml'})" in checked.stdout
    # A copy outside the package may be locked: this one pins a broken pair, refused before any network access.
    copy = tmp_path / "envs"
    shutil.copytree(packaged / "metal", copy / "metal")
    environment = copy / "metal" / "environment.yml"
    environment.write_text(environment.read_text().replace("tensorflow==2.19.1", "tensorflow==2.21.0"))
    refused = run("lock", "--envs", str(copy))
    assert refused.returncode == 1 and "metal: refused" in refused.stdout, refused.stdout + refused.stderr


def test_profiles_fit_80_columns() -> None:
    result = tfm1("profiles", env={**os.environ, "COLUMNS": "80"})
    assert result.returncode == 0
    (heading, *lines) = result.stdout.splitlines()
    # The folder's own line is as long as the folder (never broken, to be copied whole); the rest fit in 80.
    assert heading == f"Profiles in {ROOT / 'envs'}"
    assert max(len(line) for line in lines) <= 80
    assert len(lines) <= 20, result.stdout  # a table and one paragraph per profile, not a wrapped grid
    assert "2.15.0 (macos)" in result.stdout and "tensorflow-macos 2.15.0" in result.stdout and "…" not in result.stdout


def test_the_envs_folder_of_the_current_directory_is_read_and_named(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "envs" / "cpu", tmp_path / "envs" / "cpu")
    code, data = tfm1_json("profiles", cwd=tmp_path)
    assert code == 0 and data["envs"] == str(tmp_path / "envs")
    assert [row["name"] for row in data["profiles"]] == ["cpu"]
    shown = tfm1("profiles", cwd=tmp_path)
    assert f"Profiles in {tmp_path / 'envs'}\n" in shown.stdout
    checked = tfm1("lock", "--check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[0] == f"profiles: {tmp_path / 'envs'}"
    code, data = tfm1_json("lock", "--check", cwd=tmp_path)
    assert data["envs"] == str(tmp_path / "envs") and [p["profile"] for p in data["profiles"]] == ["cpu"]
