"""`tfm1 verify`: run TensorFlow's reference examples in an environment and check the results, not just the devices."""

from __future__ import annotations

import argparse
import json
import sys

from tfm1.errors import ExitCode


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="run TensorFlow checks in an environment and compare GPU results with the CPU",
        description="Run a self-contained check script with the environment's own Python (tfm1 never imports "
        "TensorFlow): build and versions, devices, an exact matmul, a small Keras training run, and on a GPU the same "
        "computations compared with the CPU plus a speed-up. A crash is turned into a diagnosis. Exit status: "
        "0 nothing failed, 1 a check failed or the interpreter crashed or timed out, 2 bad usage or no interpreter.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--name", metavar="N", help="the conda environment named N")
    target.add_argument("--prefix", metavar="PATH", help="the environment at PATH (runs PATH/bin/python)")
    target.add_argument("--python", metavar="PATH", help="this interpreter")
    target.add_argument(
        "--kernel",
        metavar="NAME",
        help="the Jupyter kernelspec NAME (or a path to its folder): its argv[0] and env, as Jupyter starts it",
    )
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--quick", action="store_true", help="only the build, devices and tensor math checks")
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="S",
        help="stop the checks after S seconds (default: %(default)g)",
    )
    parser.add_argument(
        "--expect-gpu",
        choices=("auto", "yes", "no"),
        default="auto",
        help="yes: a GPU must be listed and pass; no: none needed (the checks run on the CPU, the Metal plugin must "
        "still load); auto (default): a listed GPU must pass, and one must be listed on a bare-metal Apple-silicon "
        "Mac with tensorflow-metal",
    )
    parser.add_argument(
        "--dataset",
        choices=("synthetic", "mnist"),
        default="synthetic",
        help="training data for the Keras check: generated (default) or MNIST from Keras' local cache "
        "(~/.keras/datasets/mnist.npz; never downloaded)",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tfm1.host import live_host
    from tfm1.verify import render, run_checks
    from tfm1.verify.evaluate import TITLES
    from tfm1.verify.target import choose_target

    environ = None
    if args.kernel:
        from tfm1.verify.kernel import kernel_target
        from tfm1.verify.target import VerifyTarget

        kernel = kernel_target(live_host(), args.kernel)
        target, environ = VerifyTarget(kernel.python, f"--kernel {kernel.spec}"), kernel.env
    else:
        target = choose_target(live_host(), python=args.python, prefix=args.prefix, name=args.name)
    # Progress goes to stderr so stdout stays the result (the table, or the JSON document).
    status_console = Console(stderr=True, highlight=False)
    with status_console.status(f"Checking TensorFlow in {target.python}") as status:

        def progress(stage: str) -> None:
            what = "importing TensorFlow" if stage == "import" else f"the {TITLES.get(stage, stage)} check"
            status.update(f"Checking TensorFlow in {target.python}: {what}")

        result = run_checks(
            target.python,
            quick=args.quick,
            timeout=args.timeout,
            dataset=args.dataset,
            expect_gpu=args.expect_gpu,
            progress=progress,
            environ=environ,
        )
    if args.json:
        document = result.to_json()
        document["target"] = {"python": target.python, "source": target.source}
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render(result, Console(highlight=False))
    return ExitCode.OK if result.ok else ExitCode.FAILED
