"""The setup plan is a frozen value whose JSON is the `plan` step tools read."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.support.setup_plan import plan_for
from tests.support.setup_world import World
from tfm1.host import live_host
from tfm1.setup.options import SetupOptions
from tfm1.setup.sizes import Sizes

KEYS = [
    "profile",
    "lockfile",
    "lockfile_sha256",
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
    assert document["conda_root"] is None and document["prefix_action"] == "create" and document["replaces"] is None
    assert document["steps"] == ["prefix", "conda", "pip", "receipt"]
    assert document["kernel"] == f"{world.env['JUPYTER_DATA_DIR']}/kernels/tfm1-tf/kernel.json"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.verify = True  # type: ignore[misc]
