"""`tfm1 verify`: run TensorFlow's reference examples in an environment and check the results, not just the devices."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from tfm1.commands.common import EnvName, EnvPrefix, JsonFlag, exclusive, run_command

if TYPE_CHECKING:
    from tfm1.envelope import Outcome


class Dataset(str, Enum):
    synthetic = "synthetic"
    mnist = "mnist"


class ExpectGpu(str, Enum):
    auto = "auto"
    yes = "yes"
    no = "no"


def _positive(seconds: float) -> float:
    if not seconds > 0:
        raise typer.BadParameter(f"must be more than 0: {seconds:g}")
    return seconds


def register(app: typer.Typer) -> None:
    app.command(short_help="run TensorFlow checks in an environment and compare GPU results with the CPU")(verify)


def verify(
    ctx: typer.Context,
    name: EnvName = None,
    prefix: EnvPrefix = None,
    python: Annotated[str | None, typer.Option(metavar="PATH", help="this interpreter")] = None,
    kernel: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="the Jupyter kernelspec NAME (or a path to its folder): its argv[0] and env, as Jupyter starts it",
        ),
    ] = None,
    as_json: JsonFlag = False,
    quick: Annotated[bool, typer.Option("--quick", help="only the build, devices and tensor math checks")] = False,
    timeout: Annotated[
        float, typer.Option(metavar="S", callback=_positive, help="stop the checks after S seconds")
    ] = 300.0,
    dataset: Annotated[
        Dataset,
        typer.Option(
            help="training data for the Keras check: generated (default) or MNIST from Keras' local cache "
            "(~/.keras/datasets/mnist.npz; never downloaded)"
        ),
    ] = Dataset.synthetic,
    expect_gpu: Annotated[
        ExpectGpu,
        typer.Option(
            help="yes: a GPU must be listed and pass; no: none needed (the checks run on the CPU, the Metal plugin "
            "must still load); auto: a listed GPU must pass, and one must be listed on a bare-metal Apple-silicon "
            "Mac with tensorflow-metal"
        ),
    ] = ExpectGpu.auto,
) -> None:
    """Run a self-contained check script with the environment's own Python (tfm1 never imports TensorFlow):
    build and versions, devices, an exact matmul, a small Keras training run, and on a GPU the same computations
    compared with the CPU plus a speed-up. A crash is turned into a diagnosis.

    Exit status: 0 nothing failed, 1 a check failed or the interpreter crashed or timed out, 2 bad usage, no
    interpreter, or no environment by that name.
    """
    exclusive(ctx, name=name, prefix=prefix, python=python, kernel=kernel)

    def check() -> Outcome:
        from tfm1.verify import CheckOptions
        from tfm1.verify.command import verify_environment

        options = CheckOptions(quick=quick, timeout=timeout, dataset=dataset.value, expect_gpu=expect_gpu.value)
        return verify_environment(options, name=name, prefix=prefix, python=python, kernel=kernel)

    run_command("verify", check, as_json=as_json)
