"""tfm1's TensorFlow check, run by the interpreter under test. Standard library and TensorFlow only.

    python check_script.py OUT.json [--quick] [--dataset synthetic|mnist] [--accelerator DEVICE]

It measures and tfm1 judges (`tfm1.verify.evaluate`), so every pass/fail rule is testable without TensorFlow.
The result goes to OUT.json, rewritten atomically after every stage: when the interpreter dies (SIGILL at
`import tensorflow`, a segfault in a Metal kernel) the stages before are still there to read. Progress goes to
stdout as `@@tfm1-stage NAME` lines; anything else TensorFlow prints is ignored by the caller.

This file runs on every Python TensorFlow for macOS supports (3.8+), so no syntax newer than that.
`--accelerator /CPU:0` runs the GPU comparison against the CPU itself, which exercises this code on
machines without a GPU.
"""

from __future__ import annotations

import os

# Before TensorFlow is imported, or it logs at INFO to stderr; errors stay visible for the crash diagnosis.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import json
import platform
import subprocess
import sys
import time
import traceback
from importlib import metadata
from typing import Any, Callable, Dict, List  # noqa: UP035 - runs on Python 3.8

FORMAT = 1
SEED = 42
# Distributions whose versions tfm1 reports and compares with a receipt. This script runs alone in the target
# environment, so the TensorFlow names are a copy of tfm1.compat_data.TENSORFLOW_NAMES (tests/test_compat_names.py
# keeps the two the same).
DISTRIBUTIONS = (
    "tensorflow",
    "tensorflow-macos",
    "tensorflow-cpu",
    "tensorflow-intel",
    "tensorflow-cpu-aws",
    "tf-nightly",
    "tf-nightly-macos",
    "tf-nightly-cpu",
    "tensorflow-metal",
    "keras",
    "tf-keras",
    "numpy",
)
MATMUL_A = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
MATMUL_B = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
# Small enough that the full check finishes well under a minute on a laptop CPU, large enough that a
# model which learns nothing cannot pass: 10 balanced classes, so chance is about 0.1.
TRAIN_SAMPLES = 4096
TEST_SAMPLES = 1024
EPOCHS = 5
BATCH = 64
SIGNAL = 0.2  # share of a synthetic sample that is its class's image; the rest is noise
TIMING_SIZE = 2048
TIMING_REPEATS = 3

Json = Dict[str, Any]  # noqa: UP006


class Recorder:
    """The result document, saved after every stage."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data: Json = {"tfm1_check": FORMAT, "stage": None, "finished": False}

    def stage(self, name: str) -> None:
        self.data["stage"] = name
        self.save()
        sys.stdout.write("@@tfm1-stage %s\n" % name)  # noqa: UP031 - runs on Python 3.8
        sys.stdout.flush()

    def save(self) -> None:
        partial = self.path + ".part"
        with open(partial, "w", encoding="utf-8") as handle:  # noqa: PTH123
            json.dump(self.data, handle)
        os.replace(partial, self.path)  # noqa: PTH105


def error_of(exc: BaseException) -> Json:
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:4000],
        "traceback": traceback.format_exc(limit=6)[-4000:],
    }


def timed(function: Callable[[], Json]) -> Json:
    start = time.perf_counter()
    try:
        out = function()
    except Exception as exc:  # a failing stage is a result, and later stages still run
        out = {"error": error_of(exc)}
    out["seconds"] = round(time.perf_counter() - start, 4)
    return out


def sysctl(name: str) -> str | None:
    try:
        done = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def build_facts() -> Json:
    versions = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    darwin = platform.system() == "Darwin"
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "system": platform.system(),
        "machine": platform.machine(),
        "macos": platform.mac_ver()[0],
        "hw_optional_arm64": sysctl("hw.optional.arm64") if darwin else None,
        "proc_translated": sysctl("sysctl.proc_translated") if darwin else None,
        # 1 inside a virtual machine (macOS 11.3+), e.g. GitHub's hosted Mac runners; absent on older systems.
        "hv_vmm_present": sysctl("kern.hv_vmm_present") if darwin else None,
        "distributions": versions,
    }


def tensor(value: Any) -> Json:
    """A tensor as JSON: its shape, flat float values and the device it lives on."""
    return {
        "shape": [int(d) for d in value.shape],
        "values": [float(v) for v in value.numpy().reshape(-1).tolist()],
        "device": str(value.device),
    }


def import_tensorflow() -> Json:
    import tensorflow as tf  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return {"ok": True, "tensorflow": tf.__version__, "module": os.path.dirname(tf.__file__)}  # noqa: PTH120


def devices(tf: Any, hide_gpu: bool) -> Json:
    gpus = tf.config.list_physical_devices("GPU")
    out: Json = {"cpu": [d.name for d in tf.config.list_physical_devices("CPU")], "gpu": [d.name for d in gpus]}
    if hide_gpu and gpus:
        # Before any op runs: the later checks then place everything on the CPU, which is what they prove.
        tf.config.set_visible_devices([], "GPU")
        out["gpu_hidden"] = True
    return out


def tensor_math(tf: Any) -> Json:
    return {"result": tensor(tf.matmul(tf.constant(MATMUL_A), tf.constant(MATMUL_B)))}


def synthetic_data(tf: Any) -> tuple[Any, Any, Any, Any, str]:
    """MNIST-shaped data with a rule a small network can learn: each of the ten classes has its own fixed
    random image, and a sample is its class's image blended with noise. Labels are drawn uniformly, so
    chance is about 0.1."""
    with tf.device("/CPU:0"):
        generator = tf.random.Generator.from_seed(SEED)
        prototypes = generator.uniform((10, 784))
        labels = generator.uniform((TRAIN_SAMPLES + TEST_SAMPLES,), maxval=10, dtype=tf.int64)
        noise = generator.uniform((TRAIN_SAMPLES + TEST_SAMPLES, 784))
        x = SIGNAL * tf.gather(prototypes, labels) + (1.0 - SIGNAL) * noise
    return x[:TRAIN_SAMPLES], labels[:TRAIN_SAMPLES], x[TRAIN_SAMPLES:], labels[TRAIN_SAMPLES:], "synthetic"


def mnist_path() -> str:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")  # noqa: PTH111, PTH118
    return os.path.join(home, "datasets", "mnist.npz")  # noqa: PTH118


def mnist_data(tf: Any) -> tuple[Any, Any, Any, Any, str]:
    """The real MNIST from Keras' cache, read directly: keras' loader would download when its hash check fails."""
    import numpy  # type: ignore[import-not-found,unused-ignore]  # TensorFlow's dependency; reads the .npz

    path = mnist_path()
    with numpy.load(path) as data:
        x_train, y_train = data["x_train"][:TRAIN_SAMPLES], data["y_train"][:TRAIN_SAMPLES]
        x_test, y_test = data["x_test"][:TEST_SAMPLES], data["y_test"][:TEST_SAMPLES]

    def prepare(x: Any) -> Any:
        return tf.constant(x.reshape(len(x), 784).astype("float32") / 255.0)

    return prepare(x_train), tf.constant(y_train), prepare(x_test), tf.constant(y_test), path


def keras_training(tf: Any, dataset: str) -> Json:
    tf.keras.utils.set_random_seed(SEED)
    note = ""
    if dataset == "mnist" and os.path.isfile(mnist_path()):  # noqa: PTH113
        x_train, y_train, x_test, y_test, source = mnist_data(tf)
    else:
        if dataset == "mnist":
            note = "no MNIST at %s; used synthetic data" % mnist_path()  # noqa: UP031
        x_train, y_train, x_test, y_test, source = synthetic_data(tf)
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(784,)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train, tf.one_hot(y_train, 10), epochs=EPOCHS, batch_size=BATCH, verbose=0, shuffle=True
    ).history
    test = model.evaluate(x_test, tf.one_hot(y_test, 10), verbose=0, return_dict=True)
    counts = tf.math.bincount(tf.cast(y_test, tf.int32), minlength=10).numpy().tolist()
    return {
        "keras": str(getattr(tf.keras, "__version__", "") or ""),
        "source": source,
        "note": note,
        "seed": SEED,
        "train_samples": int(x_train.shape[0]),
        "test_samples": int(x_test.shape[0]),
        "epochs": EPOCHS,
        "loss": [float(v) for v in history["loss"]],
        "accuracy": [float(v) for v in history["accuracy"]],
        "test_loss": float(test["loss"]),
        "test_accuracy": float(test["accuracy"]),
        # The accuracy of always answering the most frequent class: the bar a model must clear.
        "chance": max(counts) / float(sum(counts)),
        "weights_device": variable_device(model.weights[0]),
    }


def variable_device(variable: Any) -> str:
    # Keras 2 weights are tf.Variables; Keras 3 wraps one in `.value`.
    device = getattr(variable, "device", None) or getattr(getattr(variable, "value", None), "device", "")
    return str(device)


def train_step(tf: Any, device: str) -> Json:
    """One SGD step of the Dense(128, relu) -> Dense(10, softmax) model on `device`, from fixed weights."""
    with tf.device("/CPU:0"):
        generator = tf.random.Generator.from_seed(SEED)
        x0 = generator.uniform((32, 784))
        labels0 = tf.one_hot(generator.uniform((32,), maxval=10, dtype=tf.int64), 10)
        w1_0 = generator.normal((784, 128), stddev=0.05)
        w2_0 = generator.normal((128, 10), stddev=0.05)
    with tf.device(device):
        x, labels = tf.identity(x0), tf.identity(labels0)
        w1, b1 = tf.Variable(w1_0), tf.Variable(tf.zeros((128,)))
        w2, b2 = tf.Variable(w2_0), tf.Variable(tf.zeros((10,)))
        with tf.GradientTape() as tape:
            logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
            # Cross-entropy spelt out as Keras computes it, from ops every device plugin has, so that no op
            # silently falls back to the CPU and hides what the GPU computes.
            probabilities = tf.clip_by_value(tf.nn.softmax(logits), 1e-7, 1.0)
            loss = -tf.reduce_mean(tf.reduce_sum(labels * tf.math.log(probabilities), axis=1))
        gradients = tape.gradient(loss, [w1, b1, w2, b2])
        for variable, gradient in zip([w1, b1, w2, b2], gradients):  # noqa: B905 - runs on Python 3.8
            variable.assign_sub(0.1 * gradient)
        updated = tf.identity(w2)
    return {"loss": tensor(loss), "logits": tensor(logits), "updated_w2": tensor(updated)}


def dense_relu(tf: Any, device: str) -> Json:
    """Dense + relu in graph mode, where grappler fuses MatMul, BiasAdd and Relu into one kernel."""
    with tf.device("/CPU:0"):
        generator = tf.random.Generator.from_seed(SEED + 1)
        x0 = generator.normal((32, 784))
        w0 = generator.normal((784, 64), stddev=0.05)
        b0 = generator.normal((64,), stddev=0.1)

    def dense(x: Any, w: Any, b: Any) -> Any:
        return tf.nn.relu(tf.matmul(x, w) + b)

    layer = tf.function(dense)

    with tf.device(device):
        return {"result": tensor(layer(tf.identity(x0), tf.identity(w0), tf.identity(b0)))}


def matmul_seconds(tf: Any, device: str) -> float:
    with tf.device(device):
        a = tf.random.stateless_uniform((TIMING_SIZE, TIMING_SIZE), seed=(SEED, 1))
        b = tf.random.stateless_uniform((TIMING_SIZE, TIMING_SIZE), seed=(SEED, 2))
        tf.reduce_sum(tf.matmul(a, b)).numpy()  # warm-up: kernel selection and first allocation
        best = float("inf")
        for _ in range(TIMING_REPEATS):
            start = time.perf_counter()
            # .numpy() waits for the device: GPU ops are asynchronous.
            tf.reduce_sum(tf.matmul(a, b)).numpy()
            best = min(best, time.perf_counter() - start)
    return best


def accelerator_checks(tf: Any, accelerator: str) -> Json:
    out: Json = {"accelerator": accelerator}
    for device, key in ((accelerator, "accelerator_results"), ("/CPU:0", "cpu_results")):
        with tf.device(device):
            matmul = tensor(tf.matmul(tf.constant(MATMUL_A), tf.constant(MATMUL_B)))
        out[key] = {"matmul": matmul, "train_step": train_step(tf, device), "dense_relu": dense_relu(tf, device)}
    out["timing"] = {
        "size": TIMING_SIZE,
        "accelerator_seconds": matmul_seconds(tf, accelerator),
        "cpu_seconds": matmul_seconds(tf, "/CPU:0"),
    }
    return out


def main(argv: List[str]) -> int:  # noqa: UP006
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dataset", choices=("synthetic", "mnist"), default="synthetic")
    parser.add_argument("--accelerator", default="/GPU:0")
    parser.add_argument("--hide-gpu", action="store_true", help="list the GPUs, then run every check on the CPU")
    args = parser.parse_args(argv)
    record = Recorder(args.out)

    record.stage("build")
    record.data["build"] = timed(build_facts)

    record.stage("import")
    record.data["import"] = timed(import_tensorflow)
    if "error" in record.data["import"]:
        record.data["finished"] = True
        record.save()
        return 0
    import tensorflow as tf  # type: ignore[import-not-found,import-untyped,unused-ignore]

    stages: list[tuple[str, Callable[[], Json]]] = [
        ("devices", lambda: devices(tf, args.hide_gpu)),
        ("math", lambda: tensor_math(tf)),
    ]
    if not args.quick:
        stages.append(("keras", lambda: keras_training(tf, args.dataset)))
        if args.accelerator != "/GPU:0" or (not args.hide_gpu and tf.config.list_physical_devices("GPU")):
            stages.append(("gpu", lambda: accelerator_checks(tf, args.accelerator)))
    for name, function in stages:
        record.stage(name)
        record.data[name] = timed(function)
    record.data["finished"] = True
    record.save()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
