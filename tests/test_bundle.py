"""`tfm1 bundle` and `tfm1 setup --bundle` on the test world: a bundle built from the local channel and index, then
installed on a "new Mac" (fresh caches) with no network at all, and refused whole when any member was changed."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support.cli import one_error
from tests.support.miniforge_stand_in import fake_installer
from tests.support.setup_world import World, assert_no_prefix, json_envelope, json_steps, tfm1

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection is refused


@pytest.fixture
def bundled(world: World) -> World:
    """The world with a fake Miniforge installer pinned by URL and sha256 (there is none for Linux to download)."""
    installer = world.tmp / "Miniforge3-test-Linux-x86_64.sh"
    installer.write_text("#!/bin/sh\necho a stand-in for the Miniforge installer\n")
    world.env["TFM1_MINIFORGE_URL"] = installer.as_uri()
    world.env["TFM1_MINIFORGE_SHA256"] = hashlib.sha256(installer.read_bytes()).hexdigest()
    return world


def platform_of(world: World) -> str:
    import yaml

    (platform,) = yaml.safe_load(world.lock.read_text())["metadata"]["platforms"]
    return str(platform)


def bundle(world: World, output: Path, *args: str) -> dict[str, object]:
    result = tfm1(
        "bundle",
        "--lockfile",
        str(world.lock),
        "--platform",
        platform_of(world),
        "-o",
        str(output),
        "--json",
        *args,
        env=world.env,
    )
    assert result.returncode == 0, result.stderr
    envelope = json_envelope(result.stdout)
    assert envelope["ok"] is True
    result_json = envelope["result"]
    assert isinstance(result_json, dict)
    return result_json


def offline(world: World, cache: Path) -> dict[str, str]:
    """A Mac that has never downloaded anything and cannot reach anything: empty caches, every proxy and index
    pointing nowhere, and the world's channel and index gone from its servers."""
    shutil.rmtree(world.channel.root, ignore_errors=True)
    shutil.rmtree(world.index.root, ignore_errors=True)
    nowhere = {
        name: UNREACHABLE
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
    }
    return {
        **world.env,
        **nowhere,
        "PIP_INDEX_URL": f"{UNREACHABLE}/simple",
        "UV_INDEX_URL": f"{UNREACHABLE}/simple",
        "TFM1_CACHE_DIR": str(cache / "tfm1"),
        "UV_CACHE_DIR": str(cache / "uv"),
    }


def setup_from(world: World, file: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return tfm1("setup", "--bundle", str(file), "--prefix", str(world.prefix), "--yes", "--no-verify", *args, env=env)


def served(world: World) -> int:
    return len(world.conda_server.requests) + len(world.pypi_server.requests)


# --- building ------------------------------------------------------------------------------------------------


def test_bundle_holds_every_file_of_the_lock_and_a_second_one_is_identical_and_downloads_nothing(
    bundled: World,
) -> None:
    first = bundle(bundled, bundled.tmp / "one.tar")
    assert first["files"] == len(bundled.channel.packages) + len(bundled.index.wheels) + 1  # + the installer
    assert first["downloaded"] == first["files"]
    requests = served(bundled)
    second = bundle(bundled, bundled.tmp / "two.tar")
    assert served(bundled) == requests, "the second bundle of the same lock downloaded again"
    assert second["downloaded"] == 0
    assert (bundled.tmp / "one.tar").read_bytes() == (bundled.tmp / "two.tar").read_bytes()
    assert first["sha256"] == second["sha256"]
    with tarfile.open(bundled.tmp / "one.tar") as archive:
        members = archive.getmembers()
        names = [m.name for m in members]
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
        lock_bytes = archive.extractfile("conda-lock.yml").read()  # type: ignore[union-attr]
    assert names[:2] == ["manifest.json", "conda-lock.yml"]
    assert names[2:] == sorted(names[2:])
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(946684800, 0, 0, 0o644)}
    assert lock_bytes == bundled.lock.read_bytes()
    assert manifest["lockfile_sha256"] == hashlib.sha256(lock_bytes).hexdigest()
    assert [m["name"] for m in manifest["members"]] == names[1:]
    packages = {p.sha256 for p in bundled.channel.packages}
    assert packages <= {m["sha256"] for m in manifest["members"] if m["kind"] == "conda"}
    assert manifest["tfm1_version"]


def test_bundle_never_replaces_an_existing_file(bundled: World) -> None:
    output = bundled.tmp / "taken.tar"
    output.write_text("someone's file")
    result = tfm1(
        "bundle",
        "--lockfile",
        str(bundled.lock),
        "--platform",
        platform_of(bundled),
        "-o",
        str(output),
        env=bundled.env,
    )
    assert result.returncode == 2
    assert "already exists" in one_error(result.stderr)
    assert output.read_text() == "someone's file"


def test_check_passes_a_whole_bundle_offline_and_names_a_changed_one(bundled: World, tmp_path: Path) -> None:
    file = bundled.tmp / "b.tar"
    bundle(bundled, file)
    env = offline(bundled, tmp_path / "elsewhere")
    ok = tfm1("bundle", "--check", str(file), "--json", env=env)
    assert ok.returncode == 0, ok.stderr
    assert json_envelope(ok.stdout)["result"]["platform"] == platform_of(bundled)
    flip_byte(file, member_of_kind(file, "wheel"))
    bad = tfm1("bundle", "--check", str(file), env=env)
    assert bad.returncode == 1
    assert "does not have the sha256 its manifest names" in one_error(bad.stderr)


# --- installing ----------------------------------------------------------------------------------------------


def test_setup_from_a_bundle_needs_no_network(bundled: World, tmp_path: Path) -> None:
    file = bundled.tmp / "b.tar"
    bundle(bundled, file)
    requests = served(bundled)
    env = offline(bundled, tmp_path / "new-mac")
    result = setup_from(bundled, file, env, "--json")
    assert result.returncode == 0, result.stderr
    assert served(bundled) == requests
    python = bundled.prefix / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import tfm1_probe; print(tfm1_probe.VALUE)"], capture_output=True)
    assert probe.stdout.split() == [b"42"], probe.stderr
    receipt = json.loads((bundled.prefix / "etc/tfm1/receipt.json").read_text())
    assert receipt["lockfile_sha256"] == hashlib.sha256(bundled.lock.read_bytes()).hexdigest()
    # The lock the receipt names is the bundle's, kept in the cache once the whole bundle passed its check.
    kept = Path(receipt["lockfile"])
    assert kept.is_relative_to(tmp_path / "new-mac" / "tfm1" / "bundles")
    assert kept.read_bytes() == bundled.lock.read_bytes()
    steps = [json.loads(line) for line in result.stdout.splitlines()[:-1]]
    assert any(s["step"] == "bundle" and s["status"] == "ok" for s in steps)
    # A second run from the same bundle: up to date, nothing read from it but its head.
    again = setup_from(bundled, file, env)
    assert again.returncode == 0, again.stderr
    assert "already set up" in again.stdout


def test_dry_run_shows_the_plan_from_the_bundle_alone(bundled: World, tmp_path: Path) -> None:
    file = bundled.tmp / "b.tar"
    bundle(bundled, file)
    env = offline(bundled, tmp_path / "new-mac")
    result = setup_from(bundled, file, env, "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    (plan,) = [json.loads(line) for line in result.stdout.splitlines()[:-1] if '"step": "plan"' in line]
    assert plan["bundle"] == str(file)
    assert plan["unreachable"] == [] and plan["unknown_sizes"] == 0
    assert plan["download_bytes"] > 0
    assert_no_prefix(bundled)
    assert not (tmp_path / "new-mac" / "tfm1" / "downloads").exists()
    assert not (tmp_path / "new-mac" / "tfm1" / "bundles").exists(), "a dry run kept the bundle's lock"


def member_of_kind(file: Path, kind: str) -> str:
    with tarfile.open(file) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
    return str(next(m["name"] for m in manifest["members"] if m["kind"] == kind))


def flip_byte(file: Path, name: str) -> None:
    """Change one byte in the middle of member `name`, in place."""
    with tarfile.open(file) as archive:
        info = archive.getmember(name)
    at = info.offset_data + info.size // 2
    data = bytearray(file.read_bytes())
    data[at] ^= 0x01
    file.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["manifest", "lockfile", "conda", "wheel", "miniforge"])
def test_a_flipped_byte_in_any_member_refuses_the_install_and_changes_nothing(
    bundled: World, tmp_path: Path, kind: str
) -> None:
    file = bundled.tmp / "b.tar"
    bundle(bundled, file)
    flip_byte(file, "manifest.json" if kind == "manifest" else member_of_kind(file, kind))
    env = offline(bundled, tmp_path / "new-mac")
    result = setup_from(bundled, file, env)
    assert result.returncode in (1, 2)
    assert "cannot be used" in one_error(result.stderr)
    assert_no_prefix(bundled)
    store = tmp_path / "new-mac" / "tfm1" / "downloads"
    assert not store.exists() or [p for p in store.iterdir()] == [], "a refused bundle left files in the store"
    assert not (tmp_path / "new-mac" / "tfm1" / "bundles").exists(), "a refused bundle's lock was kept"


def test_a_truncated_bundle_is_refused(bundled: World, tmp_path: Path) -> None:
    file = bundled.tmp / "b.tar"
    bundle(bundled, file)
    data = file.read_bytes()
    file.write_bytes(data[: len(data) * 2 // 3])
    result = setup_from(bundled, file, offline(bundled, tmp_path / "new-mac"))
    assert result.returncode == 1
    assert "cannot be used" in one_error(result.stderr)
    assert_no_prefix(bundled)


def test_a_member_the_manifest_does_not_name_is_refused(bundled: World, tmp_path: Path) -> None:
    file = bundled.tmp / "b.tar"
    bundle(bundled, file)
    with tarfile.open(file, "a") as archive:
        extra = b"#!/bin/sh\necho surprise\n"
        info = tarfile.TarInfo("files/" + "0" * 64 + "/extra.sh")
        info.size = len(extra)
        archive.addfile(info, io.BytesIO(extra))
    result = setup_from(bundled, file, offline(bundled, tmp_path / "new-mac"))
    assert result.returncode == 1
    assert "which its manifest does not name" in one_error(result.stderr)
    assert_no_prefix(bundled)


def test_a_bundle_for_another_platform_is_refused(bundled: World, tmp_path: Path) -> None:
    bundled.write_lock(platform="osx-arm64")
    file = bundled.tmp / "mac.tar"
    result = tfm1(
        "bundle", "--lockfile", str(bundled.lock), "--platform", "osx-arm64", "-o", str(file), env=bundled.env
    )
    assert result.returncode == 0, result.stderr
    refused = setup_from(bundled, file, offline(bundled, tmp_path / "new-mac"))
    assert refused.returncode == 2
    assert "is for osx-arm64, and this machine is" in one_error(refused.stderr)
    assert_no_prefix(bundled)


def test_setup_from_a_bundle_installs_miniforge_from_it(world: World, tmp_path: Path) -> None:
    """A new Mac with no conda root: the Miniforge installer comes out of the bundle, checked against its pin, and
    the environment goes into the root it installs; its own URL is gone, and nothing else is reachable."""
    installer, sha256 = fake_installer(world.tmp / "mirror")
    world.env["TFM1_MINIFORGE_URL"] = installer.as_uri()
    world.env["TFM1_MINIFORGE_SHA256"] = sha256
    file = world.tmp / "b.tar"
    bundle(world, file)
    installer.unlink()
    home = tmp_path / "home"
    home.mkdir()
    env = {**offline(world, tmp_path / "new-mac"), "HOME": str(home)}
    result = tfm1("setup", "--bundle", str(file), "--name", "tf", "--yes", "--no-verify", "--json", env=env)
    assert result.returncode == 0, result.stderr
    steps = json_steps(result.stdout)
    plan = next(s for s in steps if s["step"] == "plan")
    assert plan["conda_root"] == {
        "path": str(home / "miniforge3"),
        "action": "install",
        "url": installer.as_uri(),
        "sha256": sha256,
    }
    assert any(s["step"] == "miniforge" and s["status"] == "ok" for s in steps)
    assert (home / "miniforge3" / "conda-meta").is_dir()
    receipt = json.loads((home / "miniforge3" / "envs" / "tf" / "etc/tfm1/receipt.json").read_text())
    assert receipt["lockfile_sha256"] == hashlib.sha256(world.lock.read_bytes()).hexdigest()
