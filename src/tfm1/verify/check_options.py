"""What `tfm1 verify` checks (`CheckOptions`): how much, for how long, on which data, and what a missing GPU means."""

from __future__ import annotations

from dataclasses import dataclass

from tfm1.errors import UsageError
from tfm1.verify.evaluate import EXPECT_GPU

DATASETS = ("synthetic", "mnist")


@dataclass(frozen=True)
class CheckOptions:
    quick: bool = False  # build, devices and tensor math only
    timeout: float = 300.0  # seconds before the check script's process group is killed
    dataset: str = "synthetic"  # one of DATASETS: the Keras check's training data
    expect_gpu: str = "auto"  # one of tfm1.verify.evaluate.EXPECT_GPU (what each means is written there)

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise UsageError(f"unknown dataset {self.dataset!r}", f"use one of: {', '.join(DATASETS)}")
        if self.expect_gpu not in EXPECT_GPU:
            raise UsageError(f"unknown GPU expectation {self.expect_gpu!r}", f"use one of: {', '.join(EXPECT_GPU)}")

    def script_args(self) -> list[str]:
        """The check script's command line for these options."""
        hide_gpu = ["--hide-gpu"] if self.expect_gpu == "no" else []
        return ["--dataset", self.dataset, *(["--quick"] if self.quick else []), *hide_gpu]
