"""Fixtures the test areas share: every cache pointed at the test cache (all tests), and the setup tests' local
channel and index, built once per session for test_setup*.py (a session fixture is shared across modules here)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.caches import UNSET, cache_environment
from tests.support.setup_world import World, build_inputs, make_world

# A test run started as a background job of a non-interactive shell (`... &` in a script) inherits SIGINT ignored,
# and so would every tfm1 the tests start (Python then raises no KeyboardInterrupt): the Ctrl-C tests need what a
# user at a terminal has. A Python-level handler is reset to the default by exec, so children get SIG_DFL.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def test_caches() -> Iterator[None]:
    """In-process calls and every `tfm1` subprocess (they inherit os.environ) cache into the test cache."""
    with pytest.MonkeyPatch.context() as patch:
        for name in UNSET:
            patch.delenv(name, raising=False)
        for name, value in cache_environment().items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_inputs(tmp_path_factory)


@pytest.fixture
def world(tmp_path: Path, built: tuple[Path, Path]) -> Iterator[World]:
    yield from make_world(tmp_path, built)
