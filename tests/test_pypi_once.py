"""`Once`: concurrent askers of one key share one computation; a failure is not kept."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tfm1.pypi.once import Once


def test_concurrent_askers_share_one_computation_per_key() -> None:
    once: Once[str, int] = Once()
    calls: list[str] = []
    lock = threading.Lock()

    def compute(key: str) -> int:
        with lock:
            calls.append(key)
        time.sleep(0.05)  # long enough for the other askers to arrive while it runs
        return len(key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda key: once.get(key, lambda: compute(key)), ["a", "bb"] * 8))
    assert results == [1, 2] * 8
    assert sorted(calls) == ["a", "bb"]


def test_a_failure_is_not_kept() -> None:
    once: Once[str, int] = Once()

    def fail() -> int:
        raise RuntimeError("upstream down")

    with pytest.raises(RuntimeError):
        once.get("page", fail)
    assert once.get("page", lambda: 7) == 7
    assert once.get("page", fail) == 7  # kept from now on
