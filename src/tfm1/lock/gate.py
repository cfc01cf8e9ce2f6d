"""The gate: the checks every locked set of packages passes before a lock is written (and in `--check`).

It reads the same compatibility data as `tfm1 doctor` (`tfm1.compat`): the tensorflow-metal / TensorFlow pair,
the Python versions each has wheels for, TensorFlow's numpy range, the empty tensorflow-macos 2.15.1, the
oldest macOS the wheels support, and two TensorFlow distributions in one environment. All offline. The binary
check (`linkage`) reads the real wheels and needs the network; `tfm1 lock` runs it (unless `--no-linkage`) and
refuses a lock it could not run on, `--check` does not run it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tfm1.compat_data import TENSORFLOW_FAMILY, TENSORFLOW_NAMES
from tfm1.lock.targets import MACOS_TARGET_TEXT, minor

if TYPE_CHECKING:
    from tfm1.compat import Compat
    from tfm1.pypi.index import Index

Severity = Literal["error", "warning"]
METAL = "tensorflow-metal"
_ONE_LINKAGE_CHECK = threading.Semaphore(1)  # profiles are locked in parallel; linkage checks are not


@dataclass(frozen=True)
class GateFinding:
    severity: Severity
    subject: str  # the pair or package, e.g. "tensorflow 2.21.0 + tensorflow-metal 1.2.0"
    reason: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "subject": self.subject, "reason": self.reason}


def _later(version: str, than: str) -> bool:
    from packaging.version import Version

    return Version(version) > Version(than)


def real_tensorflow(packages: dict[str, str], platform: str) -> list[str]:
    """Names of the distributions in `packages` that hold TensorFlow itself (not a meta, shim or empty wheel)."""
    from tfm1.compat import load

    compat = load()
    names = [n for n in TENSORFLOW_NAMES if n in packages]
    if not platform.startswith("osx-"):
        return names  # the meta/shim/empty kinds are macOS arm64 facts
    return [n for n in names if compat.kind(n, packages[n]) == "real"]


def check(
    packages: dict[str, str], platform: str, python: str, macos: str = MACOS_TARGET_TEXT, *, partial: bool = False
) -> list[GateFinding]:
    """Findings for `packages` (name -> version) locked for conda `platform` and CPython `python`.

    `partial`: `packages` are only the exact pins of an environment.yml, checked before anything is resolved
    (a shim's TensorFlow is not among them yet).
    """
    from tfm1.compat import load

    compat = load()
    found: list[GateFinding] = []
    on_mac = platform.startswith("osx-")
    for name in TENSORFLOW_FAMILY:
        if on_mac and name in packages and compat.kind(name, packages[name]) == "empty":
            found.append(
                GateFinding(
                    "error",
                    f"{name} {packages[name]}",
                    "an empty wheel whose only requirement is itself: it installs no tensorflow module",
                )
            )
    real = real_tensorflow(packages, platform)
    if len(real) > 1:
        listed = " and ".join(f"{n} {packages[n]}" for n in real)
        found.append(GateFinding("error", listed, "both provide the tensorflow package and overwrite each other"))
    tf_name = real[0] if real else None
    if tf_name and on_mac:
        found += _tensorflow(compat, tf_name, packages, python, macos)
    if METAL in packages:
        found += _metal(compat, packages, tf_name, platform, python, macos, partial)
    return found


def _tensorflow(compat: Compat, name: str, packages: dict[str, str], python: str, macos: str) -> list[GateFinding]:
    from tfm1.version_range import version_in

    version = packages[name]
    release = compat.tensorflow(name, version)
    if release is None:
        return [GateFinding("warning", f"{name} {version}", "not in tfm1's compatibility data: unverified")]
    found = []
    subject = f"{name} {version}"
    if release.python_arm64 and minor(python) not in release.python_arm64:
        found.append(
            GateFinding(
                "error",
                f"{subject} + Python {minor(python)}",
                f"{name} {version} has macOS arm64 wheels only for Python {', '.join(release.python_arm64)}",
            )
        )
    numpy = packages.get("numpy")
    if numpy and release.numpy and not version_in(numpy, release.numpy):
        found.append(GateFinding("error", f"{subject} + numpy {numpy}", f"{name} {version} needs numpy{release.numpy}"))
    if _later(release.macos_min, macos):
        found.append(GateFinding("error", subject, f"needs macOS {release.macos_min}, the lock targets macOS {macos}"))
    return found


def _metal(
    compat: Compat, packages: dict[str, str], tf_name: str | None, platform: str, python: str, macos: str, partial: bool
) -> list[GateFinding]:
    metal = packages[METAL]
    subject = f"{METAL} {metal}"
    if platform != "osx-arm64":
        return [GateFinding("error", subject, f"tensorflow-metal is for macOS on Apple silicon, not {platform}")]
    found = []
    release = compat.metal(metal)
    if release is not None:
        if minor(python) not in release.python:
            found.append(
                GateFinding(
                    "error",
                    f"{subject} + Python {minor(python)}",
                    f"tensorflow-metal {metal} has wheels only for Python {', '.join(release.python)}",
                )
            )
        if _later(release.macos_min, macos):
            found.append(GateFinding("error", subject, f"needs macOS {release.macos_min}, the lock targets {macos}"))
    if tf_name is None:
        if partial:
            return found
        found.append(GateFinding("error", subject, "tensorflow-metal without TensorFlow: nothing loads the plugin"))
        return found
    tf_version = packages[tf_name]
    verdict = compat.pair(tf_version, metal)
    pair = f"{tf_name} {tf_version} + {subject}"
    if verdict.status == "broken":
        found.append(GateFinding("error", pair, f"{verdict.reason}: {verdict.error}"))
    elif verdict.status in ("degraded", "unverified"):
        found.append(GateFinding("warning", pair, f"{verdict.status}: {verdict.reason}"))
    return found


def linkage(packages: dict[str, str], platform: str, python: str, *, index: Index | None = None) -> list[GateFinding]:
    """The binary check of the TF / tensorflow-metal pair: do the plugin's imports resolve in TF's libraries?

    A check that cannot run is an error too: a lock must not hold a pair nobody checked (`--no-linkage` skips it
    knowingly). One check runs at a time: reading a TensorFlow wheel's libraries can take gigabytes of memory.
    """
    from tfm1.errors import Tfm1Error
    from tfm1.linkage import check_pair

    metal = packages.get(METAL)
    real = real_tensorflow(packages, platform)
    if metal is None or len(real) != 1:
        return []  # nothing to check, or check() already refused the set
    tf_version = packages[real[0]]
    pair = f"{real[0]} {tf_version} + {METAL} {metal}"
    try:
        with _ONE_LINKAGE_CHECK:
            result = check_pair(tf_version, metal, python=minor(python), index=index)
    except Tfm1Error as error:
        return [_not_run(pair, error.message)]
    except Exception as error:  # any failure of the check refuses the lock, in one line, never a traceback
        return [_not_run(pair, f"{type(error).__name__}: {error}")]
    if result.loads:
        return []
    missing = ", ".join(result.missing[:3]) + (" ..." if len(result.missing) > 3 else "")
    return [
        GateFinding(
            "error", pair, f"the plugin cannot load: {result.reason}" + (f" (missing: {missing})" if missing else "")
        )
    ]


def _not_run(pair: str, reason: str) -> GateFinding:
    reason = " ".join(reason.split())
    return GateFinding(
        "error",
        pair,
        f"the binary linkage check could not run ({reason}); the lock is not written unchecked: retry, "
        "or pass --no-linkage to lock without it",
    )
