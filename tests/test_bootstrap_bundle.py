"""`bootstrap/install.sh --bundle FILE` on a pretend Mac with no network: Miniforge and tfm1 (the hand-over probe)
come from a bundle that `tfm1 bundle --wheels` made from the test world, checked before anything is changed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.support.bootstrap_sandbox import (
    INSTALLER_NAME,
    Sandbox,
    build_probe_wheel,
    fake_miniforge_installer,
    probe_log_entries,
)
from tests.support.setup_world import World, tfm1
from tests.test_bundle import UNREACHABLE, flip_byte


@pytest.fixture
def offline_mac(world: World, tmp_path: Path) -> tuple[Sandbox, Path]:
    installer = tmp_path / INSTALLER_NAME
    installer.write_bytes(fake_miniforge_installer())
    sha256 = hashlib.sha256(installer.read_bytes()).hexdigest()
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    shutil.copy(build_probe_wheel(), wheels)
    world.write_lock(platform="osx-arm64")
    file = tmp_path / "fleet.tar"
    env = {**world.env, "TFM1_MINIFORGE_URL": installer.as_uri(), "TFM1_MINIFORGE_SHA256": sha256}
    made = tfm1(
        "bundle",
        "--lockfile",
        str(world.lock),
        "--platform",
        "osx-arm64",
        "--wheels",
        str(wheels),
        "-o",
        str(file),
        env=env,
    )
    assert made.returncode == 0, made.stderr
    sandbox = Sandbox.create(tmp_path / "mac", extra_tools=("tar", "awk"))
    sandbox.env.update(
        {
            "TFM1_MINIFORGE_URL": "https://mirror.invalid/" + INSTALLER_NAME,  # never fetched: the bundle has it
            "TFM1_MINIFORGE_SHA256": sha256,
            "TFM1_PROBE_LOG": str(tmp_path / "probe.jsonl"),
            "PIP_INDEX_URL": f"{UNREACHABLE}/simple",
            **{name: UNREACHABLE for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")},
        }
    )
    return sandbox, file


def test_install_sh_installs_miniforge_and_tfm1_from_the_bundle_and_hands_it_over(
    offline_mac: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    sandbox, file = offline_mac
    result = sandbox.run("--yes", "--bundle", str(file))
    assert result.returncode == 0, result.stderr
    assert sandbox.calls("curl") == []
    assert len(sandbox.calls("miniforge-installer")) == 1
    assert (sandbox.home / ".tfm1/venv/bin/tfm1").exists()
    (handed,) = probe_log_entries(tmp_path / "probe.jsonl")
    assert handed["argv"] == ["setup", "--bundle", str(file), "--yes"]


def test_install_sh_refuses_a_changed_tfm1_wheel_before_changing_anything(
    offline_mac: tuple[Sandbox, Path],
) -> None:
    sandbox, file = offline_mac
    from tests.test_bundle import member_of_kind

    wheel = next(n for n in _names(file) if n.startswith("tfm1/") and n.endswith(".whl"))
    assert member_of_kind(file, "tfm1")
    flip_byte(file, wheel)
    result = sandbox.run("--yes", "--bundle", str(file))
    assert result.returncode == 1
    assert "does not have the sha256 its manifest names" in result.stderr
    assert sandbox.calls("miniforge-installer") == []
    assert sandbox.home_files() == set()
    assert list(sandbox.tmp.iterdir()) == []


def _names(file: Path) -> list[str]:
    import tarfile

    with tarfile.open(file) as archive:
        return archive.getnames()
