"""Poisoned caches are never installed, and failed runs leave nothing in the cache.

Setup installs only from files whose sha256 it has just checked against the lock: a conda package is
extracted anew from its verified archive for every install, a wheel is installed from its verified file with
a fresh uv cache. So an edit in tfm1's download store, in an extracted package left in `pkgs/` by an older
tfm1, or in uv's own cache, never reaches an environment.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from rattler.package_streaming import extract

from tests.support.conda_channel import PLACEHOLDER, build_package
from tests.support.pypi_index import make_wheel
from tests.support.setup_world import World, assert_no_prefix


def _probe(python: Path) -> str:
    return subprocess.run(
        [str(python), "-c", "import tfm1_probe; print(tfm1_probe.VALUE)"], capture_output=True, text=True, check=True
    ).stdout.strip()


def assert_only_verified_downloads(cache: Path) -> None:
    """Everything in tfm1's cache is a complete download under `downloads/<its sha256>/`: no temp or lock debris."""
    for path in sorted(cache.rglob("*")):
        relative = path.relative_to(cache)
        if path.is_dir():
            assert any(path.iterdir()), f"empty folder {relative} left in the cache"
            assert relative.parts[0] == "downloads" and len(relative.parts) <= 2, relative
            continue
        assert len(relative.parts) == 3 and relative.parts[0] == "downloads", relative
        assert hashlib.sha256(path.read_bytes()).hexdigest() == relative.parts[1], f"{relative} is not what it says"


def test_a_poisoned_download_is_fetched_again(world: World) -> None:
    assert world.setup().returncode == 0
    package = world.channel.package("tfm1-test-data")
    cached = world.tmp / "cache" / "downloads" / package.sha256 / package.filename
    evil = build_package(world.tmp / "evil", "tfm1-test-data", "1.0", prefix_files={"share/x": f"{PLACEHOLDER} evil"})
    cached.write_bytes(evil.path.read_bytes())
    before = world.conda_server.requests.count(world.conda_path("tfm1-test-data"))
    second = world.tmp / "envs" / "second"
    result = world.setup("--prefix", str(second))
    assert result.returncode == 0, result.stderr
    assert (second / "share/tfm1-test-data/prefix.txt").read_text() == f"prefix={second}\n"
    assert not (second / "share" / "x").exists()
    assert world.conda_server.requests.count(world.conda_path("tfm1-test-data")) == before + 1
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == package.sha256  # the store holds the genuine file


def test_a_poisoned_extracted_package_is_never_linked(world: World) -> None:
    """An extracted package edited consistently (file and its paths.json hash): rattler's own validation passes it."""
    package = world.channel.package("tfm1-test-data")
    extracted = world.tmp / "cache" / "pkgs" / f"{package.name}-{package.version}-{package.build}"
    extract(package.path, extracted)
    poisoned = f"prefix={PLACEHOLDER}\nevil\n".encode()
    (extracted / "share/tfm1-test-data/prefix.txt").write_bytes(poisoned)
    paths = json.loads((extracted / "info/paths.json").read_text())
    for entry in paths["paths"]:
        if entry["_path"] == "share/tfm1-test-data/prefix.txt":
            entry.update(sha256=hashlib.sha256(poisoned).hexdigest(), size_in_bytes=len(poisoned))
    (extracted / "info/paths.json").write_text(json.dumps(paths))
    result = world.setup()
    assert result.returncode == 0, result.stderr
    assert (world.prefix / "share/tfm1-test-data/prefix.txt").read_text() == f"prefix={world.prefix}\n"
    # Each archive was fetched once, by tfm1: rattler linked from the staging folder and downloaded nothing.
    assert sorted(world.conda_server.requests) == sorted(world.conda_path(p.name) for p in world.channel.packages)
    assert (extracted / "share/tfm1-test-data/prefix.txt").read_bytes() == poisoned  # not ours: left as it was


def test_a_poisoned_uv_cache_is_never_installed(world: World) -> None:
    from tfm1.uv.binary import uv_binary

    # Fill uv's cache (the one setup's uv would use) with the locked wheel, as an earlier install would have.
    scratch = world.tmp / "scratch-venv"
    env = {**world.env}
    subprocess.run(
        [uv_binary(), "venv", "--python", sys.executable, str(scratch)], env=env, check=True, capture_output=True
    )
    (lock,) = world.index.locks(world.pypi_server.url)
    requirements = world.tmp / "requirements.txt"
    requirements.write_text(f"{lock.name} @ {lock.url} --hash=sha256:{lock.sha256}\n")
    install = [uv_binary(), "pip", "install", "--python", str(scratch / "bin/python"), "--require-hashes"]
    subprocess.run([*install, "-r", str(requirements)], env=env, check=True, capture_output=True)
    assert _probe(scratch / "bin/python") == "42"
    unpacked = list(Path(world.env["UV_CACHE_DIR"]).rglob("tfm1_probe/__init__.py"))
    assert unpacked, "uv kept no unpacked copy of the wheel: nothing to poison"
    for module in unpacked:
        module.write_text("VALUE = 'evil'\n")
    result = world.setup()
    assert result.returncode == 0, result.stderr
    assert _probe(world.prefix / "bin/python") == "42"


def test_a_failed_download_leaves_nothing_in_the_cache(world: World) -> None:
    world.conda_server.fault(world.conda_path("tfm1-test-data"), "404")
    world.pypi_server.fault(world.wheel_path(), "404")
    result = world.setup()
    assert result.returncode == 1
    assert_no_prefix(world)
    assert_only_verified_downloads(world.tmp / "cache")
    world.conda_server.fault(world.conda_path("tfm1-test-data"), "drop")
    assert world.setup().returncode == 1
    assert_only_verified_downloads(world.tmp / "cache")


def test_a_tampered_wheel_in_the_store_is_replaced(world: World) -> None:
    assert world.setup().returncode == 0
    (lock,) = world.index.locks(world.pypi_server.url)
    cached = world.tmp / "cache" / "downloads" / lock.sha256 / world.index.wheels[0].name
    cached.write_bytes(make_wheel(world.tmp / "evil", "tfm1-probe", "1.0", value="evil").read_bytes())
    second = world.tmp / "envs" / "second"
    result = world.setup("--prefix", str(second), TFM1_PIP_INSTALLER="pip")
    assert result.returncode == 0, result.stderr
    assert _probe(second / "bin/python") == "42"
    assert_only_verified_downloads(world.tmp / "cache")
