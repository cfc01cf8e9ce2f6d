"""Fix lines name the host's own tools: on a Mac, ls -lO and chflags (macOS has no lsattr); on Linux, lsattr."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfm1.host.snapshot import SnapshotHost, load_snapshot
from tfm1.setup.hints import undeletable_hint

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.mark.parametrize(
    ("scenario", "names", "never"),
    [
        ("healthy-tf2191-metal120", ("ls -lO", "chflags -R nouchg"), "lsattr"),
        ("linux-venv-tf221", ("lsattr -R",), "chflags"),
    ],
)
def test_the_undeletable_files_hint_names_the_host_s_tools(scenario: str, names: tuple[str, ...], never: str) -> None:
    host = SnapshotHost(load_snapshot((SCENARIOS / f"{scenario}.json").read_text()))
    hint = undeletable_hint(host)
    assert all(name in hint for name in names), hint
    assert never not in hint
