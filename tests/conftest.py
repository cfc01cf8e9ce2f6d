"""Fixtures shared by the setup tests: the local channel and index, built once per session, and a fresh world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.setup_world import World, build_inputs, make_world


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_inputs(tmp_path_factory)


@pytest.fixture
def world(tmp_path: Path, built: tuple[Path, Path]) -> Iterator[World]:
    yield from make_world(tmp_path, built)
