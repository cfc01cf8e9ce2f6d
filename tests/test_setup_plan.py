"""The setup plan, built in-process as `tfm1 setup` builds it: a frozen value whose JSON is the `plan` step tools read,
and every decision of a run, on recorded machines and on real folders."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.conda_channel import host_subdir
from tests.support.setup_plan import plan_for
from tests.support.setup_world import World
from tfm1 import miniforge_release
from tfm1.errors import Tfm1Error
from tfm1.host import live_host
from tfm1.host.snapshot import SnapshotHost, load_snapshot
from tfm1.receipt import Receipt, real_prefix, write_receipt
from tfm1.setup.miniforge import Installer
from tfm1.setup.options import SetupOptions
from tfm1.setup.plan import CondaRootPlan
from tfm1.setup.sizes import Sizes

KEYS = [
    "profile",
    "lockfile",
    "lockfile_sha256",
    "bundle",
    "platform",
    "conda_root",
    "prefix",
    "replaces",
    "conda_packages",
    "pip_packages",
    "downloads",
    "download_bytes",
    "unknown_sizes",
    "unreachable",
    "sizes_not_asked_of",
    "verify",
    "kernel",
    "prefix_action",
    "steps",
]


def test_the_plan_json_keeps_its_keys_and_shapes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in world.env.items():
        monkeypatch.setenv(name, value)
    plan = plan_for(world.lock, live_host(), SetupOptions(prefix=world.prefix, verify=False))
    document = json.loads(json.dumps(plan.to_json(Sizes(10, 1, (), ("h",)))))
    assert list(document) == KEYS
    conda = sorted(p.url(world.conda_server.url) for p in world.channel.packages)
    wheels = [lock.url for lock in world.index.locks(world.pypi_server.url)]
    assert sorted(document["downloads"][:3]) == conda and document["downloads"][3:] == wheels  # conda, then pip
    assert document["sizes_not_asked_of"] == ["h"]
    assert document["bundle"] is None  # the files come from their URLs
    assert document["conda_root"] is None and document["prefix_action"] == "create" and document["replaces"] is None
    assert document["steps"] == ["prefix", "conda", "pip", "receipt"]
    assert document["kernel"] == f"{world.env['JUPYTER_DATA_DIR']}/kernels/tfm1-tf/kernel.json"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.verify = True  # type: ignore[misc]


# --- the plan on recorded machines ---------------------------------------------------------------------------
# A snapshot host answers as the recorded Mac did (its conda roots, home, hardware, environment): these are the
# decisions setup makes there, from the world's lock written for that machine's platform.

SCENARIOS = Path(__file__).parent / "scenarios"


def recorded(name: str) -> SnapshotHost:
    return SnapshotHost(load_snapshot((SCENARIOS / f"{name}.json").read_text()))


@pytest.fixture
def no_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TFM1_MINIFORGE_URL", "TFM1_MINIFORGE_SHA256"):
        monkeypatch.delenv(name, raising=False)


def test_on_a_mac_with_a_native_miniforge_the_plan_uses_it(world: World) -> None:
    world.write_lock(platform="osx-arm64")
    plan = plan_for(world.lock, recorded("healthy-tf2191-metal120"), SetupOptions())
    assert plan.conda_root == CondaRootPlan(Path("/Users/ana/miniforge3"), "use")
    assert (plan.prefix.path, plan.prefix.action) == (Path("/Users/ana/miniforge3/envs/tfm1"), "create")
    assert plan.steps == ("prefix", "conda", "pip", "receipt")
    assert plan.kernel.spec == Path("/Users/ana/Library/Jupyter/kernels/tfm1-tfm1/kernel.json")
    assert plan.lock.platform == "osx-arm64" and plan.python == Path("/Users/ana/miniforge3/envs/tfm1/bin/python")
    assert sorted(w.url for w in plan.archives) == sorted(p.url(world.conda_server.url) for p in world.channel.packages)


def test_on_a_mac_with_only_an_x86_conda_the_plan_installs_the_pinned_miniforge_beside_it(
    world: World, no_mirror: None, capsys: pytest.CaptureFixture[str]
) -> None:
    world.write_lock(platform="osx-arm64")
    plan = plan_for(world.lock, recorded("m1-intel-anaconda-x86-tf"), SetupOptions(name="tf"))
    root = Path("/Users/ana/miniforge3")
    assert plan.conda_root == CondaRootPlan(
        root, "install", Installer(miniforge_release.installer_url("arm64"), miniforge_release.SHA256["arm64"])
    )
    assert plan.prefix.path == root / "envs" / "tf" and plan.steps[0] == "miniforge"
    assert plan.to_json(Sizes(0, 0, (), ()))["conda_root"] == {
        "path": str(root),
        "action": "install",
        "url": miniforge_release.installer_url("arm64"),
        "sha256": miniforge_release.SHA256["arm64"],
    }
    (warning,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (warning["step"], warning["status"], warning["prefix"]) == ("conda-root", "warning", "/Users/ana/anaconda3")


def test_a_mirror_of_the_installer_keeps_the_pinned_hash(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFM1_MINIFORGE_URL", "https://mirror.example/Miniforge3.sh")
    monkeypatch.delenv("TFM1_MINIFORGE_SHA256", raising=False)
    world.write_lock(platform="osx-arm64")
    plan = plan_for(world.lock, recorded("m1-x86-miniconda-no-tf"), SetupOptions())
    assert plan.installer == Installer("https://mirror.example/Miniforge3.sh", miniforge_release.SHA256["arm64"])


def test_on_linux_without_a_conda_root_there_is_no_installer_to_trust(world: World, no_mirror: None) -> None:
    with pytest.raises(Tfm1Error, match="tfm1 pins no Miniforge installer for linux-64") as error:
        plan_for(world.lock, recorded("linux-venv-tf221"), SetupOptions())
    assert "TFM1_MINIFORGE_SHA256" in error.value.fix


# --- what the plan does with the prefix that is there -----------------------------------------------------------


def _made_by_tfm1(world: World, lock_sha256: str) -> None:
    """A receipt as setup writes it, for a lock other than the world's."""
    write_receipt(
        world.prefix,
        Receipt("custom", "/old/conda-lock.yml", lock_sha256, host_subdir(), prefix=real_prefix(world.prefix)),
    )


@pytest.mark.parametrize(
    ("there", "flags", "action"),
    [
        ("nothing", {}, "create"),
        ("an empty folder", {}, "create"),
        ("tfm1's, from another lock", {"update": True}, "update"),
        ("tfm1's, from another lock", {"force": True}, "replace"),
        ("tfm1's, from this lock", {"force": True}, "replace"),
        ("someone's", {"force": True}, "replace"),
    ],
)
def test_the_plan_creates_updates_or_replaces_the_prefix(
    world: World, there: str, flags: dict[str, Any], action: str
) -> None:
    from tfm1.lockfile import file_sha256

    if there != "nothing":
        world.prefix.mkdir(parents=True)
    if there.startswith("tfm1's"):
        _made_by_tfm1(world, file_sha256(world.lock) if there.endswith("this lock") else "0" * 64)
    if there == "someone's":
        (world.prefix / "mine.txt").write_text("mine")
    plan = plan_for(world.lock, live_host(), SetupOptions(prefix=world.prefix, **flags))
    assert plan.prefix.action == action
    assert plan.to_json(Sizes(0, 0, (), ()))["replaces"] == (str(world.prefix) if action != "create" else None)
    assert plan.prefix.replaces == (action != "create")


@pytest.mark.parametrize(
    ("there", "refused"),
    [("someone's", "already exists and was not made by tfm1"), ("tfm1's, from another lock", "--update")],
)
def test_the_plan_refuses_a_prefix_it_may_not_replace(world: World, there: str, refused: str) -> None:
    world.prefix.mkdir(parents=True)
    if there == "someone's":
        (world.prefix / "mine.txt").write_text("mine")
    else:
        _made_by_tfm1(world, "0" * 64)
    with pytest.raises(Tfm1Error) as error:
        plan_for(world.lock, live_host(), SetupOptions(prefix=world.prefix))
    assert refused in error.value.message + error.value.fix
