"""The TensorFlow distribution names live once, in compat_data; every list of them is derived from it, and the
standalone verify script's copy is pinned to it."""

from __future__ import annotations

import pytest

from tfm1.compat_data import OTHER_TENSORFLOW, TENSORFLOW_DISTRIBUTIONS, TENSORFLOW_FAMILY, TENSORFLOW_NAMES
from tfm1.inspect.distributions import REQUIREMENT_SOURCES, WATCHED
from tfm1.lock.gate import real_tensorflow
from tfm1.verify import check_script
from tfm1.verify.evaluate import tensorflow_version

NOT_TENSORFLOW = ("tensorflow-metal", "keras", "tf-keras", "numpy")


def test_every_name_says_what_it_is() -> None:
    assert TENSORFLOW_FAMILY == ("tensorflow", "tensorflow-macos")
    assert set(OTHER_TENSORFLOW) == set(TENSORFLOW_NAMES) - set(TENSORFLOW_FAMILY)
    assert all(meaning.strip() for meaning in TENSORFLOW_DISTRIBUTIONS.values())


def test_the_verify_script_copy_is_the_compat_data_list() -> None:
    # check_script.py runs alone in the target environment and cannot import tfm1.
    tensorflow = tuple(n for n in check_script.DISTRIBUTIONS if n not in NOT_TENSORFLOW)
    assert tensorflow == TENSORFLOW_NAMES
    assert set(check_script.DISTRIBUTIONS) == {*TENSORFLOW_NAMES, *NOT_TENSORFLOW}


@pytest.mark.parametrize("name", TENSORFLOW_NAMES)
def test_each_name_is_seen_by_doctor_verify_and_the_gate(name: str) -> None:
    assert name in WATCHED and name in REQUIREMENT_SOURCES
    assert tensorflow_version({"build": {"distributions": {name: "2.16.2"}}}) == "2.16.2"
    assert real_tensorflow({name: "2.16.2"}, "linux-64") == [name]
