"""Setup's preflight on the recorded real-world machines of tests/scenarios (doctor's snapshots).

A snapshot host answers exactly as the recorded Mac did, so these are the decisions setup would make there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfm1.errors import Tfm1Error
from tfm1.host.snapshot import SnapshotHost, load_snapshot
from tfm1.setup.miniforge import choose_root, host_platform
from tfm1.setup.preflight import preflight

SCENARIOS = Path(__file__).parent / "scenarios"


def host(name: str) -> SnapshotHost:
    return SnapshotHost(load_snapshot((SCENARIOS / f"{name}.json").read_text()))


def test_rosetta_shell_blocks_with_the_native_shell_fix_even_with_force() -> None:
    for force in (False, True):
        with pytest.raises(Tfm1Error) as error:
            preflight(host("rosetta-terminal-universal2-python-x86-tf"), None, metal=True, force=force)
        assert "[rosetta-process]" in error.value.message
        assert error.value.fix.startswith("arch -arm64 /bin/zsh -l; then re-run tfm1 setup")


def test_old_macos_blocks() -> None:
    with pytest.raises(Tfm1Error) as error:
        preflight(host("m1-bigsur-tf-duplicate"), None, metal=True, force=True)
    assert "[macos-too-old]" in error.value.message and "softwareupdate" in error.value.fix


def test_intel_mac_blocks_a_metal_profile_only() -> None:
    intel = host("intel-mac-x86-tf2162")
    with pytest.raises(Tfm1Error) as error:
        preflight(intel, None, metal=True, force=True)
    assert "[intel-mac]" in error.value.message and "without tensorflow-metal" in error.value.fix
    assert preflight(intel, None, metal=False, force=False).overridden == []
    assert host_platform(intel) == "osx-64"


def test_x86_python_blocks_unless_forced_and_the_x86_root_is_left_alone() -> None:
    machine = host("m1-intel-anaconda-x86-tf")
    with pytest.raises(Tfm1Error) as error:
        preflight(machine, None, metal=True, force=False)
    assert "[x86-python]" in error.value.message and "--force" in error.value.fix
    result = preflight(machine, None, metal=True, force=True)
    assert [f.code for f in result.overridden] == ["x86-python"]
    assert "x86-conda" in [f.code for f in result.warnings]
    assert host_platform(machine) == "osx-arm64"
    choice = choose_root(machine, "osx-arm64")
    assert choice.root is None and choice.skipped  # the osx-64 Anaconda is never used


def test_healthy_mac_passes_and_uses_its_native_miniforge() -> None:
    machine = host("healthy-tf2191-metal120")
    assert preflight(machine, None, metal=True, force=False).warnings == []
    choice = choose_root(machine, "osx-arm64")
    assert choice.root is not None and choice.root.name == "miniforge3" and choice.skipped == []
