"""What `tfm1 verify` checks, as the check script's command line; a value outside the known ones is refused."""

from __future__ import annotations

import pytest

from tfm1.errors import UsageError
from tfm1.verify import CheckOptions


@pytest.mark.parametrize(
    ("options", "args"),
    [
        (CheckOptions(), ["--dataset", "synthetic"]),
        (CheckOptions(quick=True, dataset="mnist"), ["--dataset", "mnist", "--quick"]),
        (CheckOptions(expect_gpu="no"), ["--dataset", "synthetic", "--hide-gpu"]),
        (CheckOptions(expect_gpu="yes", timeout=5), ["--dataset", "synthetic"]),
    ],
)
def test_the_script_gets_the_options(options: CheckOptions, args: list[str]) -> None:
    assert options.script_args() == args


@pytest.mark.parametrize(
    ("keywords", "message"),
    [({"dataset": "cifar"}, "unknown dataset 'cifar'"), ({"expect_gpu": "maybe"}, "unknown GPU expectation 'maybe'")],
)
def test_unknown_values_are_refused(keywords: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        CheckOptions(**keywords)  # type: ignore[arg-type]
