"""The setup plan is a frozen value whose JSON is the `plan` step tools read."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tfm1.setup.plan import CondaRootPlan, SetupPlan

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
]


def _plan(root: CondaRootPlan | None) -> SetupPlan:
    return SetupPlan(
        "metal", "/l.yml", "ab", "osx-arm64", root, "/p", None, 3, 2, ("https://x/a",), 10, 1, (), ("h",), True, None
    )


def test_the_plan_json_keeps_its_keys_and_shapes() -> None:
    document = json.loads(json.dumps(_plan(None).to_json()))
    assert list(document) == KEYS
    assert document["downloads"] == ["https://x/a"] and document["sizes_not_asked_of"] == ["h"]
    install = _plan(CondaRootPlan("/r", True, "https://i", "cd")).to_json()["conda_root"]
    assert install == {"path": "/r", "action": "install", "url": "https://i", "sha256": "cd"}
    assert _plan(CondaRootPlan("/r", False)).to_json()["conda_root"] == {"path": "/r", "action": "use"}


def test_the_plan_cannot_change_once_built() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _plan(None).prefix = "/elsewhere"  # type: ignore[misc]
