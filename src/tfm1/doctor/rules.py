"""Rules: each turns the picture of a machine into findings with evidence and the exact fix.

Every rule is a function of (picture, compat data) that yields findings; `RULES` runs them all.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from typing import NamedTuple

from tfm1.compat import Compat
from tfm1.compat_data import TENSORFLOW_NAMES
from tfm1.doctor.codes import Severity
from tfm1.doctor.report import Finding
from tfm1.inspect import Picture
from tfm1.inspect.distributions import Distribution
from tfm1.inspect.interpreter import Interpreter
from tfm1.jupyter.kernelspecs import TFM1_KERNEL_PREFIX
from tfm1.macho import MachOInfo, Slice
from tfm1.version_range import parse_version

SETUP = "tfm1 setup"
# Off macOS only the cpu profile has the host's platform (linux-64); the default profile is osx-arm64 Metal.
SETUP_CPU = "tfm1 setup --profile cpu"
NATIVE_SHELL = "arch -arm64 /bin/zsh -l"


class Context(NamedTuple):
    picture: Picture
    compat: Compat

    @property
    def apple_silicon(self) -> bool:
        return bool(self.picture.machine.apple_silicon)

    @property
    def python(self) -> Interpreter | None:
        it = self.picture.interpreter
        return it if it is not None and it.exists else None

    @property
    def setup(self) -> str:
        return SETUP if self.picture.machine.is_macos else SETUP_CPU

    def pip(self, *args: str) -> str:
        python = self.python.path if self.python else "python3"
        return " ".join([shlex.quote(python), "-m", "pip", *(shlex.quote(a) for a in args)])

    def real_tensorflow(self) -> list[Distribution]:
        """Installed distributions that hold TensorFlow itself (not meta packages, shims or the empty one)."""
        if self.python is None:
            return []
        names = TENSORFLOW_NAMES
        dists = [self.python.distributions[n] for n in names if n in self.python.distributions]
        return [d for d in dists if self.is_real(d)]

    def is_real(self, dist: Distribution, it: Interpreter | None = None) -> bool:
        return self.realness(dist, it)[0]

    def realness(self, dist: Distribution, it: Interpreter | None = None) -> tuple[bool, str]:
        """Whether `dist` holds TensorFlow itself, and from what: the files it installed (its RECORD), else
        TensorFlow's binaries in its site-packages when no other distribution there can own them, else its name
        and version in tfm1's data."""
        if dist.ships_tensorflow is not None:
            listed = "lists" if dist.ships_tensorflow else "lists no"
            return dist.ships_tensorflow, f"its RECORD {listed} tensorflow/ files"
        it = it or self.python
        files = it.tensorflow_files(dist.location) if it is not None else []
        if it is not None and files:
            # Another TensorFlow distribution in the same folder whose RECORD does not rule it out may own them.
            rivals = [
                d
                for d in it.distributions.values()
                if d.name in TENSORFLOW_NAMES and d.name != dist.name and d.location == dist.location
            ]
            if not any(d.ships_tensorflow is not False for d in rivals):
                return True, f"no RECORD; TensorFlow's binaries are in its site-packages ({files[0][0]})"
        if dist.wheel_archs and "arm64" not in dist.wheel_archs:
            # The data's meta, shim and empty kinds describe the macOS arm64 wheels; other builds hold TensorFlow.
            return True, "no RECORD; its WHEEL tag names no arm64 build, and only arm64 wheels are meta packages"
        kind = self.compat.kind(dist.name, dist.version)
        return kind == "real", f"no RECORD; tfm1's data: the macOS arm64 {dist.name} {dist.version} wheel is {kind}"

    def tensorflow_archs(self, dist: Distribution, it: Interpreter | None = None) -> tuple[set[str], dict[str, object]]:
        """The architectures a TensorFlow build is for and the evidence: its binary's Mach-O header whenever one
        was read (Apple's arm64 tensorflow-macos 2.11.0 and 2.12.0 wheels say x86_64 in their WHEEL file), else
        the WHEEL tag."""
        it = it or self.python
        binary = it.tensorflow_binary(dist.location) if it is not None else None
        if binary is not None:
            path, info = binary
            return set(info.archs), {"decided_by": "Mach-O header", "binary": path, "archs": list(info.archs)}
        if dist.wheel_archs:
            return dist.wheel_archs, {
                "decided_by": "WHEEL tag (no TensorFlow binary could be read)",
                "tags": list(dist.tags),
            }
        return set(), {}

    def markers(self, it: Interpreter) -> dict[str, str]:
        """The PEP 508 marker values of the target interpreter."""
        from tfm1.doctor.requirements import marker_environment

        machine = self.picture.machine
        arch = ("arm64" if self.apple_silicon and it.macho.has("arm64") else "x86_64") if machine.is_macos else ""
        return marker_environment(it.version or "3", machine.system, arch or machine.process_arch)

    def tensorflow(self) -> Distribution | None:
        real = self.real_tensorflow()
        return real[0] if real else None

    def recommended_install(self) -> str:
        rec = self.compat.recommended
        return self.pip("install", f"tensorflow=={rec['tensorflow']}", f"tensorflow-metal=={rec['tensorflow_metal']}")


Rule = Callable[[Context], Iterator[Finding]]


def not_macos(ctx: Context) -> Iterator[Finding]:
    machine = ctx.picture.machine
    if not machine.is_macos:
        yield Finding(
            "not-macos",
            "info",
            f"This host runs {machine.system or 'an unknown system'}, not macOS: Metal checks do not apply",
            {"system": machine.system, "machine": machine.process_arch},
            detail="tensorflow-metal exists only for macOS; doctor still checks the Python environment.",
        )


def intel_mac(ctx: Context) -> Iterator[Finding]:
    machine = ctx.picture.machine
    if machine.is_macos and machine.apple_silicon is False:
        yield Finding(
            "intel-mac",
            "info",
            "Intel Mac: TensorFlow stops at 2.16.2 and tensorflow-metal at 1.0.0 here",
            {"hw.optional.arm64": "absent or 0", "chip": machine.chip, "process_arch": machine.process_arch},
            detail="The last x86_64 macOS wheels are tensorflow 2.16.2 and tensorflow-metal 1.0.0 (AMD GPUs).",
        )


def rosetta_process(ctx: Context) -> Iterator[Finding]:
    machine = ctx.picture.machine
    ancestor = machine.translated_ancestor
    if not machine.is_macos:
        return
    if machine.translated:
        title = "This shell runs under Rosetta (x86_64 emulation): everything it starts is x86_64"
        evidence = {"sysctl.proc_translated": "1", "process_arch": machine.process_arch}
    elif ancestor is not None:
        title = (
            f"The shell runs under Rosetta: {ancestor.name} (pid {ancestor.pid}) is translated to x86_64, "
            "so what it starts runs as x86_64 wherever it can"
        )
        evidence = {"translated_process": f"{ancestor.name} (pid {ancestor.pid})", "P_TRANSLATED": "set"}
    else:
        return
    yield Finding(
        "rosetta-process",
        "error",
        title,
        evidence,
        [
            "# untick Terminal's 'Open using Rosetta' (Finder > Applications > Utilities > Terminal > Get Info),",
            "# or start a native shell now, then re-run tfm1 doctor:",
            NATIVE_SHELL,
        ],
        "An x86_64 process loads x86_64 TensorFlow, which uses AVX; Rosetta lacked AVX before macOS 15, so "
        "`import tensorflow` dies with 'illegal hardware instruction'.",
    )


def _parse_macos(text: str) -> tuple[int, ...]:
    """`14.5` → (14, 5); () when any part is not plain ASCII digits (a hostile `14.²`): nothing to compare."""
    parts = text.split(".")
    return tuple(int(p) for p in parts) if all(p.isascii() and p.isdigit() for p in parts) else ()


WHEEL_MACOS = re.compile(r"^macosx_(\d+)_(\d+)_")


def _running_slice(ctx: Context, info: MachOInfo) -> Slice | None:
    """The slice of a binary that this Mac runs: arm64 on Apple silicon when there is one."""
    return (info.slice("arm64") if ctx.apple_silicon else None) or info.slice("x86_64") or next(iter(info.slices), None)


def _needed_macos(ctx: Context) -> tuple[str, str, dict[str, str]]:
    """The newest macOS anything in the target environment needs: (version, why, evidence).

    A binary's own LC_BUILD_VERSION beats what a wheel tag claims (tensorflow-metal 1.2.0 is tagged 12.0 but its
    plugin says 12.1; tensorflow-macos 2.11.0 is tagged 12.0, its libraries say 11.3), so the tags of a distribution
    whose binary was read do not count, nor those of the meta packages, which hold no binary. tfm1's recommended
    minimum stands in only while no TensorFlow binary was read.
    """
    python = ctx.python
    needed, reason, evidence = "", "", {}

    def consider(version: str, why: str, found: dict[str, str]) -> None:
        nonlocal needed, reason, evidence
        parsed, current = _parse_macos(version), _parse_macos(needed)
        if parsed > current or (parsed == current and "binary" in found and "binary" not in evidence):
            needed, reason, evidence = version, why, found

    read: set[str] = set()  # distributions whose binaries told their minimum macOS
    tensorflow_read = False
    for dist in python.distributions.values() if python else ():
        binary = None
        if dist.name in TENSORFLOW_NAMES:
            if not ctx.is_real(dist):
                read.add(dist.name)  # a meta package or shim: nothing of its own to run
                continue
            binary = python.tensorflow_binary(dist.location) if python else None
        elif dist.name == "tensorflow-metal":
            binary = python.plugin_binary(dist.location) if python else None
        running = _running_slice(ctx, binary[1]) if binary else None
        if running is not None and running.minos:
            read.add(dist.name)
            tensorflow_read = tensorflow_read or dist.name in TENSORFLOW_NAMES
    if not tensorflow_read:
        consider(
            ctx.compat.recommended["macos"],
            "current TensorFlow and tensorflow-metal wheels are built for it",
            {"decided_by": "tfm1's recommended versions (no TensorFlow binary was read)"},
        )
    for dist in python.distributions.values() if python else ():
        if dist.name in read:
            continue
        for tag in dist.tags:
            match = WHEEL_MACOS.match(tag.rsplit("-", 1)[-1])  # a malformed tag (macosx_12) tells nothing
            if match:
                consider(
                    f"{match[1]}.{match[2]}",
                    f"the installed {dist.name} {dist.version} wheel needs it",
                    {"decided_by": "WHEEL tag", "wheel_tag": tag},
                )
    binaries = [(python.resolved, python.macho), *python.binaries] if python else []
    for path, info in binaries:
        running = _running_slice(ctx, info)
        if running is not None and running.minos:
            consider(
                running.minos,
                f"{path} needs (its LC_BUILD_VERSION minos)",
                {"decided_by": "LC_BUILD_VERSION", "binary": path, "minos": running.minos, "arch": running.arch},
            )
    return needed, reason, evidence


def macos_too_old(ctx: Context) -> Iterator[Finding]:
    machine = ctx.picture.machine
    if not machine.is_macos or not _parse_macos(machine.macos):
        return
    needed, reason, evidence = _needed_macos(ctx)
    if _parse_macos(machine.macos) < _parse_macos(needed):
        yield Finding(
            "macos-too-old",
            "error",
            f"macOS {machine.macos} is older than {needed}, which {reason}",
            {"macos": machine.macos, "needed": needed, **evidence},
            [f"softwareupdate --list  # then install macOS {needed} or later"],
            "Every TensorFlow wheel since 2.10 is tagged macosx_12_0; "
            "on macOS 11 only tensorflow-macos <= 2.9.2 installs.",
        )


def macos_version_compat(ctx: Context) -> Iterator[Finding]:
    # Judged from the target interpreter's own SDK, not from tfm1's: binaries built against the 10.15 SDK or
    # older are told macOS 10.16 on 11+ (https://github.com/ziglang/zig/issues/7569,
    # https://github.com/python/cpython/pull/136339), and pip then derives only macosx_10_x tags.
    machine = ctx.picture.machine
    it = ctx.python
    if not machine.is_macos or it is None or _parse_macos(machine.macos)[:1] < (11,):
        return
    running = _running_slice(ctx, it.macho)
    sdk = _parse_macos(running.sdk) if running is not None else ()
    fix = ["export SYSTEM_VERSION_COMPAT=0", "# or use a Python built for macOS 11+: " + SETUP]
    if not sdk:
        yield from _version_compat_without_sdk(ctx, it, fix)
        return
    if running is None or sdk >= (10, 16):
        return
    yield Finding(
        "macos-version-compat",
        "warning",
        f"{it.path} was built against the macOS {running.sdk} SDK: it sees macOS {machine.macos} as 10.16, "
        "so pip rejects macosx_11+ wheels",
        {
            "python": it.resolved,
            "sdk": running.sdk,
            "kern.osproductversion": machine.macos,
            "decided_by": "LC_BUILD_VERSION sdk of the target Python",
        },
        fix,
        "A Python built against a pre-11 SDK sees the compatibility version 10.16, so "
        "`pip install tensorflow` finds 'No matching distribution'.",
    )


def _version_compat_without_sdk(ctx: Context, it: Interpreter, fix: list[str]) -> Iterator[Finding]:
    """No SDK is known for the target Python (a version 1 snapshot records architectures only): what the Python
    that ran tfm1 was told, `platform.mac_ver()` against `kern.osproductversion`, is the evidence left."""
    machine = ctx.picture.machine
    if _parse_macos(machine.macos_reported)[:2] != (10, 16):
        return
    yield Finding(
        "macos-version-compat",
        "warning",
        f"The Python that ran tfm1 was told macOS {machine.macos_reported} on macOS {machine.macos}: a Python "
        "built against a pre-11 SDK, for which pip rejects macosx_11+ wheels",
        {
            "platform.mac_ver": machine.macos_reported,
            "kern.osproductversion": machine.macos,
            "python": it.path,
            "decided_by": "platform.mac_ver() of the Python that ran tfm1: no SDK is recorded for the target Python",
        },
        [*fix, f"{shlex.quote(it.path)} -c 'import platform; print(platform.mac_ver()[0])'  # 10.16: the same"],
        "Only a Python built against the 10.15 SDK or older is told 10.16 on macOS 11 and later. The SDK of "
        f"{it.path} itself is unknown here, so this is about the Python that ran tfm1, which may be another one.",
    )


def python_missing(ctx: Context) -> Iterator[Finding]:
    it = ctx.picture.interpreter
    if it is None or not it.exists:
        where = it.path if it is not None else "python3 on PATH"
        yield Finding(
            "python-missing",
            "warning",
            f"No Python interpreter behind {where}: {it.problem}"
            if it and it.problem
            else f"No Python interpreter found ({where})",
            {"python": it.path if it else None, "source": it.source if it else "PATH"},
            [ctx.setup],
            "tfm1 setup installs an arm64 Miniforge and a locked TensorFlow environment.",
        )


def x86_python(ctx: Context) -> Iterator[Finding]:
    it = ctx.python
    if not ctx.apple_silicon or it is None or not it.macho.is_macho or it.macho.has("arm64"):
        return
    yield Finding(
        "x86-python",
        "error",
        f"The Python in use is x86_64-only: it runs under Rosetta on this Apple-silicon Mac ({it.path})",
        {"python": it.path, "resolved": it.resolved, "archs": list(it.macho.archs), "kind": it.kind},
        [SETUP, "# or use a native Python, e.g. Miniforge arm64 or /opt/homebrew/bin/python3"],
        "Everything installed into it is x86_64, and x86_64 TensorFlow crashes with 'illegal hardware "
        "instruction' under Rosetta; tensorflow-metal has no x86_64 wheel after 1.0.0.",
    )


def x86_conda(ctx: Context) -> Iterator[Finding]:
    if not ctx.apple_silicon:
        return
    target = ctx.python.prefix if ctx.python else ""
    # Outside the roots only a conda record's osx-64 counts: an x86_64 venv is x86-python's business.
    others = [env for env in ctx.picture.other_envs if env.subdir == "osx-64"]
    envs = [env for root in ctx.picture.conda_roots for env in [root.env, *root.envs]] + others
    # Both are evidence: the records' subdir says what every package in it was built for, the interpreter's
    # Mach-O what runs them. Either one being x86_64 makes the environment x86_64.
    why: dict[str, str] = {}
    for env in envs:
        if env.subdir == "osx-64":
            why.setdefault(env.prefix, "conda-meta records: subdir osx-64")
        elif env.python_archs and not any(a in ("arm64", "arm64e") for a in env.python_archs):
            why.setdefault(env.prefix, f"bin/python's Mach-O: {'+'.join(env.python_archs)}")
    x86 = list(why)
    if not x86:
        return
    in_use = any(target == p or target.startswith(p.rstrip("/") + "/") for p in x86)
    yield Finding(
        "x86-conda",
        "error" if in_use else "warning",
        ("The conda in use is an Intel (osx-64) install" if in_use else "An Intel (osx-64) conda is installed")
        + f": {', '.join(x86)}",
        {"osx-64 prefixes": x86, "target_prefix": target or None, "decided_by": why},
        [SETUP, "# tfm1 leaves the x86 install alone; remove it yourself when nothing needs it"],
        "An x86 Anaconda or Miniconda on an M-series Mac installs x86_64 packages under Rosetta: Apple's "
        "channel fails with 'PackagesNotFoundError: tensorflow-deps' and TensorFlow dies with SIGILL.",
    )


def x86_homebrew(ctx: Context) -> Iterator[Finding]:
    brew = ctx.picture.homebrew
    if not ctx.apple_silicon or not brew.intel:
        return
    python_on_path = ctx.python.path if ctx.python and ctx.python.source == "PATH" else ""
    # The python3 it puts first on PATH is Intel's by where it lives, unless its own Mach-O says otherwise.
    x86_binary = ctx.python is not None and (not ctx.python.macho.is_macho or not ctx.python.macho.has("arm64"))
    takes_over = brew.intel_first_on_path and python_on_path.startswith("/usr/local/") and x86_binary
    fix = (
        ['eval "$(/opt/homebrew/bin/brew shellenv)"  # add this line last in ~/.zprofile']
        if brew.arm
        else [
            "# from a native shell, install Homebrew for Apple silicon (it goes to /opt/homebrew):",
            '/bin/bash -c "$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)"',
        ]
    )
    yield Finding(
        "x86-homebrew",
        "error" if takes_over else "warning",
        "An Intel Homebrew lives in /usr/local" + (" and comes first on PATH" if brew.intel_first_on_path else ""),
        {
            "intel_homebrew": "/usr/local",
            "arm_homebrew": brew.arm,
            "intel_first_on_path": brew.intel_first_on_path,
            "decided_by": "/usr/local/Homebrew or /usr/local/bin/brew present, $PATH order"
            + (
                ", the Mach-O of the python3 on PATH" if takes_over and ctx.python and ctx.python.macho.is_macho else ""
            ),
        },
        fix,
        "Its python3 and pip3 are x86_64 and run under Rosetta.",
    )


def python_unsupported(ctx: Context) -> Iterator[Finding]:
    it = ctx.python
    if it is None or not it.minor or not ctx.picture.machine.is_macos:
        return
    arch = "arm64" if ctx.apple_silicon and it.macho.has("arm64") else "x86_64"
    if it.minor not in ctx.compat.tensorflow_pythons(arch):
        yield Finding(
            "python-unsupported",
            "error",
            f"Python {it.minor} has no TensorFlow wheel for macOS {arch}",
            {"python": it.path, "version": it.version, "arch": arch},
            [ctx.setup],
            "pip answers 'No matching distribution found for tensorflow'. tfm1 setup makes a Python 3.12 env.",
        )
        return
    if arch != "arm64":
        return
    newest = ctx.compat.newest_metal_python(it.minor, "arm64")
    recommended = ctx.compat.recommended["tensorflow_metal"]
    if newest is None or newest.version != recommended:
        limit = (
            "no tensorflow-metal wheel at all: no GPU"
            if newest is None
            else f"tensorflow-metal {newest.version} at most (TensorFlow {newest.works})"
        )
        wanted = ctx.compat.metal(recommended)
        yield Finding(
            "python-unsupported",
            "warning",
            f"Python {it.minor} gets {limit}",
            {"python": it.path, "version": it.version, "newest_metal": newest.version if newest else None},
            [ctx.setup],
            f"tensorflow-metal {recommended} has wheels for Python {', '.join(wanted.python if wanted else ())}.",
        )


def _is_x86(archs: set[str]) -> bool:
    return bool(archs) and not archs & {"arm64", "arm64e"}


def x86_tensorflow(ctx: Context) -> Iterator[Finding]:
    if not ctx.apple_silicon or ctx.python is None:
        return
    for dist in ctx.real_tensorflow():
        archs, evidence = ctx.tensorflow_archs(dist)
        if _is_x86(archs):
            yield Finding(
                "x86-tensorflow",
                "error",
                f"{dist.name} {dist.version} is an x86_64 build: 'import tensorflow' dies with "
                "'illegal hardware instruction'",
                {
                    "distribution": f"{dist.name} {dist.version}",
                    **evidence,
                    "tags": list(dist.tags),
                    "location": dist.location,
                },
                [ctx.setup],
                "x86_64 TensorFlow is compiled with AVX, which Rosetta 2 lacked before macOS 15.",
            )


def _empty_tensorflow_macos(ctx: Context) -> Distribution | None:
    """tensorflow-macos 2.15.1, the empty wheel, when the files agree: no real TensorFlow, no package to import."""
    it = ctx.python
    dist = it.distributions.get("tensorflow-macos") if it is not None else None
    if it is None or dist is None or it.tensorflow_importable or ctx.real_tensorflow():
        return None
    return dist if ctx.compat.kind(dist.name, dist.version) == "empty" and dist.ships_tensorflow is not True else None


def tensorflow_macos_empty(ctx: Context) -> Iterator[Finding]:
    dist = _empty_tensorflow_macos(ctx)
    if dist is None:
        return
    yield Finding(
        "tensorflow-macos-empty",
        "error",
        f"tensorflow-macos {dist.version} is an empty wheel: there is no TensorFlow to import",
        {
            "distribution": f"tensorflow-macos {dist.version}",
            "tensorflow_package": False,
            "decided_by": ctx.realness(dist)[1] + "; no tensorflow/__init__.py is installed",
        },
        [ctx.pip("uninstall", "-y", "tensorflow-macos"), ctx.recommended_install()],
        "tensorflow-macos 2.15.1 requires only itself, so `import tensorflow` says \"No module named 'tensorflow'\".",
    )


def tf_duplicate(ctx: Context) -> Iterator[Finding]:
    real = ctx.real_tensorflow()
    if len(real) > 1:
        names = [d.name for d in real]
        yield Finding(
            "tf-duplicate",
            "error",
            "Two TensorFlow builds are installed into one environment: "
            + ", ".join(f"{d.name} {d.version}" for d in real),
            {
                "distributions": [f"{d.name} {d.version}" for d in real],
                "decided_by": {d.name: ctx.realness(d)[1] for d in real},
            },
            [ctx.pip("uninstall", "-y", *names), ctx.recommended_install()],
            "Both write the same `tensorflow` package; the files on disk are a mix of the two.",
        )


def metal_tf_mismatch(ctx: Context) -> Iterator[Finding]:
    it = ctx.python
    tf = ctx.tensorflow()
    if it is None or tf is None or "tensorflow-metal" not in it.distributions:
        return
    metal = it.distributions["tensorflow-metal"].version
    verdict = ctx.compat.pair(tf.version, metal)
    if verdict.status == "works":
        return
    fitting = ctx.compat.metal_for(tf.version)
    fix = [ctx.pip("install", f"tensorflow-metal=={fitting.version}")] if fitting else [ctx.recommended_install()]
    fix += ["# or, for CPU only:", ctx.pip("uninstall", "-y", "tensorflow-metal")]
    severity: Severity = "error" if verdict.status == "broken" else "warning"
    title = {
        "broken": f"tensorflow-metal {metal} cannot load with TensorFlow {tf.version}: 'import tensorflow' fails",
        "degraded": f"tensorflow-metal {metal} with TensorFlow {tf.version}: {verdict.reason}",
        "unverified": f"tensorflow-metal {metal} with TensorFlow {tf.version} is not a known-good pair",
    }[verdict.status]
    yield Finding(
        "metal-tf-mismatch",
        severity,
        title,
        {
            "tensorflow": f"{tf.name} {tf.version}",
            "tensorflow-metal": metal,
            "expected_error": verdict.error or None,
            "decided_by": "tfm1's compatibility data" + (f" ({verdict.source})" if verdict.source else ""),
        },
        fix,
        verdict.reason + ". TensorFlow loads every plugin in tensorflow-plugins/ at import, so a plugin that "
        "cannot load breaks `import tensorflow` itself.",
    )


def _range_finding(ctx: Context, package: str, code: str) -> Iterator[Finding]:
    """`package` outside the range the installed TensorFlow's METADATA declares for the target interpreter, or
    in a range tfm1's data knows that TensorFlow cannot run with (each such range with its source)."""
    it = ctx.python
    tf = ctx.tensorflow()
    if it is None or tf is None or package not in it.distributions:
        return
    installed = it.distributions[package]
    if parse_version(installed.version) is None:
        return  # no range judges it; the requirement check lists it as not read
    declared = ""
    if tf.requires:  # imported only when there is a line to read
        from tfm1.doctor.requirements import applicable, in_range

        requirements = applicable(tf, ctx.markers(it)).requirements
        declared = ",".join(r.specifier for r in requirements if r.name == package)
    broken = ctx.compat.known_broken(tf.name, tf.version, package, installed.version)
    if declared and not in_range(installed.version, declared):
        wanted = declared
        decided_by = f"Requires-Dist in the installed {tf.name} {tf.version}'s METADATA"
        detail = f"{tf.name} {tf.version} declares {package}{declared}."
    elif broken is not None:
        wanted = ",".join(part for part in (declared, broken.fix.removeprefix(package)) if part)
        decided_by = f"tfm1's data: {package}{broken.versions} is known not to work with it ({broken.source})"
        detail = f"{tf.name} {tf.version} does not rule out {package}{broken.versions}, but cannot run with it."
    else:
        return
    fix = [ctx.pip("install", f"{package}{wanted}")]
    if package == "numpy":
        detail += " Outside it: 'A module that was compiled using NumPy 1.x cannot be run in NumPy 2.x'."
        if installed.installer == "conda":
            detail += " This numpy came from conda; pip-installed TensorFlow wants pip's numpy."
    keras_version = parse_version(installed.version)
    if package == "keras" and keras_version is not None and keras_version.major < 3:
        fix.append("# or keep Keras 2 code working with tf-keras:")
        fix.append(ctx.pip("install", f"tf-keras~={'.'.join(tf.version.split('.')[:2])}.0"))
        fix.append("export TF_USE_LEGACY_KERAS=1")
    yield Finding(
        code,
        "error",
        f"{package} {installed.version} is outside {tf.name} {tf.version}'s range ({wanted})",
        {
            package: installed.version,
            "tensorflow": f"{tf.name} {tf.version}",
            "required": wanted,
            "decided_by": decided_by,
        },
        fix,
        detail,
    )


def numpy_too_new(ctx: Context) -> Iterator[Finding]:
    yield from _range_finding(ctx, "numpy", "numpy-too-new")


def keras_mismatch(ctx: Context) -> Iterator[Finding]:
    yield from _range_finding(ctx, "keras", "keras-mismatch")


def _requirement_sources(it: Interpreter) -> list[Distribution]:
    names = (*TENSORFLOW_NAMES, "tensorflow-metal", "keras")
    return [it.distributions[n] for n in names if n in it.distributions]


def tf_requirement_conflict(ctx: Context) -> Iterator[Finding]:
    it = ctx.python
    if it is None:
        return
    sources = [d for d in _requirement_sources(it) if d.requires]
    if not sources:
        return
    from tfm1.doctor.requirements import check_requirements

    machine = ctx.picture.machine
    environment = ctx.markers(it)
    # numpy and keras ranges have their own findings (numpy-too-new, keras-mismatch): not reported twice.
    covered = {package for package, rule in RANGE_RULES.items() if any(True for _ in rule(ctx))}
    unmet = [u for u in check_requirements(sources, it.distributions, environment).unmet if u.name not in covered]
    if not unmet:
        return
    first = unmet[0]
    if len(unmet) == 1:
        title = (
            f"{first.name} {first.installed} is outside {first.source}'s requirement {first.name}{first.specifier}"
            if first.installed
            else f"{first.name} is not installed, but {first.source} requires {first.name}{first.specifier}"
        )
    else:
        title = f"{len(unmet)} requirements of the TensorFlow stack are not met: " + ", ".join(
            f"{u.name}{u.specifier}" for u in unmet
        )
    wanted: dict[str, list[str]] = {}
    for u in unmet:
        wanted.setdefault(u.name, []).extend([u.specifier] if u.specifier else [])
    yield Finding(
        "tf-requirement-conflict",
        "error",
        title,
        {
            "unmet": [u.describe() for u in unmet],
            "markers": f"Python {it.minor or '?'}, {machine.system}, {environment['platform_machine']}",
            "decided_by": "Requires-Dist in the installed distributions' METADATA",
        },
        [ctx.pip("install", *(name + ",".join(specs) for name, specs in wanted.items()))],
        "Read from the Requires-Dist of the installed distributions' METADATA, like `pip check`: a version "
        "outside the declared range commonly breaks `import tensorflow`.",
    )


def requirement_facts(picture: Picture, compat: Compat) -> dict[str, list[object]]:
    """What the requirement check read, and what it could not judge: never dropped in silence."""
    ctx = Context(picture, compat)
    it = ctx.python
    sources = _requirement_sources(it) if it is not None else []
    checked = [d for d in sources if d.requires]
    unread: list[object] = []
    if it is not None and checked:
        from tfm1.doctor.requirements import check_requirements

        unread = [u._asdict() for u in check_requirements(checked, it.distributions, ctx.markers(it)).unread]
    return {
        "checked": [f"{d.name} {d.version}" for d in checked],
        "unread": unread,
        # A real TensorFlow always declares its requirements: without them nothing of its ranges was checked.
        "no_requires_dist": [
            f"{d.name} {d.version}" for d in sources if not d.requires and d.name in TENSORFLOW_NAMES and ctx.is_real(d)
        ],
    }


def kernel_x86(ctx: Context) -> Iterator[Finding]:
    if not ctx.apple_silicon:
        return
    for kernel, it in ctx.picture.kernels:
        if it is None or not it.exists:
            continue
        x86_python = it.macho.is_macho and not it.macho.has("arm64")
        x86_tf = [
            (f"{d.name} {d.version}", evidence)
            for d in it.distributions.values()
            if d.name in TENSORFLOW_NAMES and ctx.is_real(d, it)
            for archs, evidence in [ctx.tensorflow_archs(d, it)]
            if _is_x86(archs)
        ]
        if not x86_python and not x86_tf:
            continue
        what = f"its Python {it.path} is x86_64-only" if x86_python else f"its environment holds x86_64 {x86_tf[0][0]}"
        yield Finding(
            "kernel-x86",
            "error",
            f"The Jupyter kernel '{kernel.name}' ({kernel.display_name}) runs under Rosetta: {what}",
            {
                "kernel": kernel.spec,
                "python": it.path,
                "archs": list(it.macho.archs),
                "tensorflow": [name for name, _ in x86_tf],
                "decided_by": "Mach-O header of its Python"
                if x86_python
                else {name: evidence.get("decided_by") for name, evidence in x86_tf},
            },
            [f"jupyter kernelspec uninstall {shlex.quote(kernel.name)}", ctx.setup],
            "A notebook runs the kernel's own interpreter, not the shell's: x86_64 TensorFlow there dies with "
            "'illegal hardware instruction' although `python` in Terminal works.",
        )


def kernel_missing_env(ctx: Context) -> Iterator[Finding]:
    for kernel, _ in ctx.picture.kernels:
        if not kernel.exists:
            uninstall = f"jupyter kernelspec uninstall {shlex.quote(kernel.name)}"
            if kernel.name.startswith(TFM1_KERNEL_PREFIX) and kernel.python.endswith("/bin/python"):
                # A kernel tfm1 setup registered (tfm1-<name>): setup at its prefix builds the environment again
                # and takes its kernel back; or the kernel goes, as `tfm1 remove` would have removed it.
                fix = [f"tfm1 setup --prefix {shlex.quote(kernel.python.removesuffix('/bin/python'))}", uninstall]
            else:
                fix = [uninstall, ctx.setup]
            yield Finding(
                "kernel-missing-env",
                "warning",
                f"The Jupyter kernel '{kernel.name}' points at a Python that does not exist: {kernel.python}",
                {"kernel": kernel.spec, "python": kernel.python},
                fix,
                "Its environment was removed or moved (conda envs are not relocatable); the notebook cannot start it.",
            )


def tf_missing(ctx: Context) -> Iterator[Finding]:
    it = ctx.python
    if it is None:
        return
    if ctx.real_tensorflow() or it.tensorflow_importable or _empty_tensorflow_macos(ctx) is not None:
        return  # the empty tensorflow-macos has its own finding
    yield Finding(
        "tf-missing",
        "warning",
        f"TensorFlow is not installed for {it.path}",
        {"python": it.path, "site_packages": list(it.site_packages)},
        [ctx.setup],
        "tfm1 setup creates an arm64 environment with a known-good TensorFlow + tensorflow-metal pair."
        if ctx.picture.machine.is_macos
        else f"{SETUP_CPU} creates an environment with TensorFlow for the CPU (tensorflow-metal is macOS-only).",
    )


def metal_missing(ctx: Context) -> Iterator[Finding]:
    it = ctx.python
    tf = ctx.tensorflow()
    if not ctx.apple_silicon or it is None or tf is None or "tensorflow-metal" in it.distributions:
        return
    if not it.macho.has("arm64"):
        return  # x86-python says what matters
    fitting = ctx.compat.metal_for(tf.version)
    if fitting is not None and it.minor in fitting.python:
        fix = [ctx.pip("install", f"tensorflow-metal=={fitting.version}")]
    else:
        fix = [
            "# TensorFlow " + tf.version + " has no working tensorflow-metal; for the GPU:",
            ctx.recommended_install(),
        ]
    yield Finding(
        "metal-missing",
        "warning",
        f"TensorFlow {tf.version} runs on the CPU only: tensorflow-metal is not installed",
        {"tensorflow": f"{tf.name} {tf.version}"},
        fix,
        "On Apple silicon the GPU is reached through the tensorflow-metal plugin.",
    )


def interrupted_setup(ctx: Context) -> Iterator[Finding]:
    for run in ctx.picture.interrupted:
        prefix = shlex.quote(run.prefix)
        if run.action == "remove":
            title = f"a tfm1 remove of {run.prefix} was killed before it finished"
            fix = [f"tfm1 remove --prefix {prefix}   # finishes it"]
        else:
            title = f"a tfm1 setup of {run.prefix} was killed during its {run.step} step"
            fix = [f"tfm1 setup --prefix {prefix}   # first puts back or finishes what the killed run left"]
        evidence: dict[str, object] = {"prefix": run.prefix, "pid": run.pid, "step": run.step}
        if run.aside:
            evidence["moved_aside"] = run.aside
        yield Finding(
            "interrupted-setup",
            "warning",
            title + (f"; the environment that was there is at {run.aside}" if run.aside else ""),
            evidence,
            fix,
            "tfm1 wrote a journal before changing it; the next setup or remove of that path reads it and repairs.",
        )


RULES: tuple[Rule, ...] = (
    not_macos,
    intel_mac,
    rosetta_process,
    macos_too_old,
    macos_version_compat,
    python_missing,
    x86_python,
    x86_conda,
    x86_homebrew,
    python_unsupported,
    x86_tensorflow,
    tensorflow_macos_empty,
    tf_duplicate,
    metal_tf_mismatch,
    numpy_too_new,
    keras_mismatch,
    tf_requirement_conflict,
    tf_missing,
    metal_missing,
    kernel_x86,
    kernel_missing_env,
    interrupted_setup,
)

RANGE_RULES = {"numpy": numpy_too_new, "keras": keras_mismatch}


def run_rules(picture: Picture, compat: Compat) -> list[Finding]:
    ctx = Context(picture, compat)
    return [finding for rule in RULES for finding in rule(ctx)]
