"""The conda layer solved by py-rattler against a real channel built in the test and served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import rattler
from conda_lock.lockfile import parse_conda_lock_file

from tests.support.cli import tfm1, tfm1_json
from tests.support.conda_channel import build_channel, host_subdir
from tests.support.http import StaticServer
from tfm1.lockfile import read_lockfile

PYTHON = "{}.{}".format(*sys.version_info[:2])


def _profile(envs: Path, channel: str, *extra: str) -> Path:
    folder = envs / "local"
    folder.mkdir(parents=True)
    lines = [
        "name: local",
        "description: the conda layer from a local channel",
        f"channels: [{channel}]",
        f"platforms: [{host_subdir()}]",
        "dependencies:",
        f"  - python={PYTHON}",
        "  - pip",
        *extra,
    ]
    (folder / "environment.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_rattler_solves_the_conda_layer_and_the_lock_installs(tmp_path: Path) -> None:
    channel = build_channel(tmp_path / "channel")
    with StaticServer(channel.root) as server:
        folder = _profile(tmp_path / "envs", server.url)
        code, data = tfm1_json("lock", "--envs", str(tmp_path / "envs"))
        assert code == 0, data
        (result,) = data["profiles"]
        assert result["status"] == "created"
        assert result["python"] == {host_subdir(): channel.package("python").version}
        assert result["changes"][host_subdir()]["added"] == {
            "pip": channel.package("pip").version,
            "python": channel.package("python").version,
        }
        lock = read_lockfile(folder / "conda-lock.yml")
        locked = {p.name: p for p in lock.for_platform(host_subdir(), "conda")}
        assert set(locked) == {"python", "pip"}  # the data package is in the channel but not asked for
        for name, entry in locked.items():
            package = channel.package(name)
            assert (entry.url, entry.md5, entry.sha256) == (package.url(server.url), package.md5, package.sha256)
        assert locked["pip"].dependencies == {"python": ">=3.7"}

        # Both parsers read it, and rattler installs it (checking every hash) into a working environment.
        assert {p.name for p in parse_conda_lock_file(folder / "conda-lock.yml").package} == {"python", "pip"}
        environment = rattler.LockFile.from_path(folder / "conda-lock.yml").default_environment()
        assert environment is not None
        (platform,) = environment.platforms()
        records = environment.conda_repodata_records_for_platform(platform) or []
        prefix = tmp_path / "prefix"
        asyncio.run(rattler.install(records, target_prefix=prefix))
        version = subprocess.run(
            [str(prefix / "bin" / "python"), "-m", "pip", "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert version.startswith(f"pip {channel.package('pip').version} ")

        # A second run solves to the same records: nothing is rewritten.
        code, data = tfm1_json("lock", "--envs", str(tmp_path / "envs"))
        assert (code, data["profiles"][0]["status"]) == (0, "unchanged")


def test_an_unsatisfiable_conda_spec_fails_with_rattlers_reason(tmp_path: Path) -> None:
    channel = build_channel(tmp_path / "channel")
    with StaticServer(channel.root) as server:
        folder = _profile(tmp_path / "envs", server.url, "  - numpy")
        result = tfm1("lock", "--envs", str(tmp_path / "envs"))
    assert result.returncode == 1
    assert "local: failed" in result.stdout
    assert f"cannot solve the conda layer (python={PYTHON}, pip, numpy) for {host_subdir()}" in result.stdout
    assert "numpy" in result.stdout.split("cannot solve the conda layer", 1)[1]
    assert "Traceback" not in result.stderr
    assert not (folder / "conda-lock.yml").exists()


def test_an_unreachable_channel_fails_cleanly(tmp_path: Path) -> None:
    with StaticServer(tmp_path) as server:
        url = server.url
    folder = _profile(tmp_path / "envs", url + "/gone")  # the server is closed: connection refused
    result = tfm1("lock", "--envs", str(tmp_path / "envs"))
    assert result.returncode == 1
    assert "cannot solve the conda layer" in result.stdout
    assert "check that the channels can be reached, or keep the locked conda layer with --pip-only" in result.stdout
    assert "Traceback" not in result.stderr
    assert not (folder / "conda-lock.yml").exists()
