"""What works with what, for TensorFlow on macOS: the data behind `tfm1 doctor` and the `tfm1 lock` gate.

A Python literal rather than TOML so that doctor reads it from the bytecode cache instead of importing a
parser at every start (tomllib costs ~6 ms, half the interpreter's own start-up). Edit it like a data file:
every row cites its source in a comment; `tfm1.compat` reads the rows, and the TensorFlow distribution names
at the end are the one list every other module derives its own from.
"""
# Rows keep their source on the same line, so some lines are long.
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

# Sources, as cited on each row:
#   PyPI      = the project's file listing on PyPI (wheel tags), read 2026-11-25
#   METADATA  = Requires-Dist in the macOS arm64 cp311 wheel's METADATA, read 2026-11-25
#   binaries  = the plugin's imports compared with TF's exports (see `tfm1 matrix --verify`), on the macOS arm64
#               wheels from PyPI; tests/test_linkage_compat.py checks every pair verdict here against them
#   metal-table = the table in tensorflow-metal 1.2.0's METADATA (PyPI project description)
#   #NNNNN    = an issue at github.com/tensorflow/tensorflow
# Version ranges are PEP 440 specifiers (operators >=, <=, >, <, ==, !=, ~=; see tfm1.version_range). Python lists
# are the cpXY tags that have a wheel. A row that doctor quotes in a finding carries its source as a field.

# TensorFlow wheels uploaded before NumPy 2.0 (2024-06-16) were compiled against NumPy 1.x, whose ABI NumPy 2.0 broke;
# some of them declare no upper bound on numpy (2.14.0: `numpy>=1.23.5`; up to 2.11: `numpy>=1.20`).
NUMPY_2_BREAKS_NUMPY_1_BUILDS: dict[str, str] = {
    "package": "numpy",
    "versions": ">=2",
    "error": "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.x as it may crash",
    "source": "built against NumPy 1.x (uploaded before NumPy 2.0.0, 2024-06-16, per PyPI); "
    "https://numpy.org/doc/stable/release/2.0.0-notes.html (ABI break); "
    "reported for TensorFlow 2.14: https://github.com/tensorflow/tensorflow/issues/102743",
}

DATA: dict[str, Any] = {
    "schema": 1,
    # What `tfm1 setup` installs by default and what doctor recommends.
    "recommended": {
        "python": ["3.11", "3.12"],
        "tensorflow": "2.19.1",
        "tensorflow_metal": "1.2.0",
        "numpy": "<2.2",
        "macos": "12.0",
        # The newest TF without tensorflow-metal, for CPU-only use.
        "cpu_tensorflow": "2.21.0",
    },
    # ---------------------------------------------------------------------------------------------
    # tensorflow-metal: which TensorFlow each release loads with.
    #   works    = known to load and run
    #   degraded = loads, but known problems
    #   broken   = fails at `import tensorflow` (TF loads every plugin in tensorflow-plugins/)
    # A pair in none of them is "unverified".
    "metal": [
        {
            "version": "1.2.0",
            "python": ["3.9", "3.10", "3.11", "3.12"],  # PyPI: cp39–cp312 macosx_12_0_arm64, no cp313
            "arches": ["arm64"],  # PyPI
            "macos_min": "12.0",  # PyPI: macosx_12_0; metal-table: 12.1+
            "works": ">=2.16,<2.20",  # binaries: its 27 imports from _pywrap_tensorflow_internal.so resolve in 2.16.2, 2.17.1, 2.18.1, 2.19.1; metal-table
            "broken": [
                {
                    "tensorflow": ">=2.20",
                    "error": "NotFoundError: dlopen(.../tensorflow-plugins/libmetal_plugin.dylib): Library not loaded: @rpath/_pywrap_tensorflow_internal.so",
                    "source": "binaries: _pywrap_tensorflow_internal.so became a 172 KB stub in TensorFlow 2.20",
                },
            ],
        },
        {
            "version": "1.1.0",
            "python": ["3.9", "3.10", "3.11"],  # PyPI: cp39–cp311
            "arches": ["arm64"],  # PyPI
            "macos_min": "12.0",  # PyPI
            "works": ">=2.13,<2.16",  # metal-table: v2.14–v2.15 with v1.1.0; binaries: loads with tensorflow-macos 2.13.0 and 2.13.1 (all 160 TensorFlow symbols)
            "degraded": [
                {
                    "tensorflow": ">=2.16,<2.18",
                    "reason": "loads, but Keras 3 misbehaves with tensorflow-metal 1.1.0 (tensorflow/tensorflow#63854)",
                    "source": "https://github.com/tensorflow/tensorflow/issues/63854: loads, but Keras 3 training misbehaves",
                },
            ],
            "broken": [
                {
                    "tensorflow": ">=2.18",
                    "error": "Symbol not found: __ZN3tsl8internal10LogMessageC1EPKcii (tsl::internal::LogMessage::LogMessage(char const*, int, int))",
                    "source": "binaries; https://github.com/tensorflow/tensorflow/issues/81987, https://github.com/tensorflow/tensorflow/issues/84167",
                },
            ],
        },
        {
            "version": "1.0.1",
            "python": ["3.8", "3.9", "3.10", "3.11"],  # PyPI: cp38–cp311, arm64 only
            "arches": ["arm64"],
            "macos_min": "12.0",
            "works": "~=2.13.0",  # metal-table: v2.13 with v1.0.0 (1.0.1 is its fix release)
            "broken": [
                {
                    "tensorflow": ">=2.14",
                    "error": "Symbol not found: __ZN10tensorflow16TensorShapeProtoC1ERKS0_ (tensorflow::TensorShapeProto::TensorShapeProto(tensorflow::TensorShapeProto const&))",
                    "source": "binaries: TensorFlow 2.14.1 and 2.16.2 export neither symbol",
                },
            ],
        },
        {
            "version": "1.0.0",
            "python": ["3.8", "3.9", "3.10", "3.11"],  # PyPI; the last release with an x86_64 wheel
            "arches": ["arm64", "x86_64"],
            "macos_min": "12.0",
            "works": ">=2.12,<2.14",  # metal-table: v2.13; binaries: loads with tensorflow-macos 2.12.0 (all 160 TensorFlow symbols)
        },
        {
            "version": "0.8.0",
            "python": ["3.8", "3.9", "3.10", "3.11"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "12.0",
            "works": "~=2.12.0",  # metal-table
            "broken": [
                {
                    "tensorflow": "~=2.11.0",
                    "error": "Symbol not found: __ZN10tensorflow7NodeDefC1EPN6google8protobuf5ArenaEb (tensorflow::NodeDef::NodeDef(google::protobuf::Arena*, bool))",
                    "source": "binaries: tensorflow-macos 2.11.0 exports 135 of the 160 TensorFlow symbols the plugin binds",
                },
            ],
        },
        {
            "version": "0.7.1",
            "python": ["3.8", "3.9", "3.10"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "12.0",
            "works": "~=2.11.0",  # metal-table: v2.11 with v0.7.0 (0.7.1 is its fix release)
        },
        {
            "version": "0.7.0",
            "python": ["3.8", "3.9", "3.10"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "12.0",
            "works": "~=2.11.0",  # metal-table
            "broken": [
                {
                    "tensorflow": "~=2.10.0",
                    "error": "Symbol not found: __ZN3tsl8internal10LogMessage16VmoduleActivatedEPKci (tsl::internal::LogMessage::VmoduleActivated(char const*, int))",
                    "source": "binaries: tensorflow-macos 2.10.0 exports 48 of the 57 TensorFlow symbols the plugin binds (tsl::internal logging)",
                },
            ],
        },
        {
            "version": "0.6.0",
            "python": ["3.8", "3.9", "3.10"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "12.0",
            "works": "~=2.10.0",  # metal-table
        },
        {
            "version": "0.5.1",
            "python": ["3.8", "3.9", "3.10"],  # PyPI: macosx_12_0
            "arches": ["arm64", "x86_64"],
            "macos_min": "12.0",
            "works": "~=2.9.0",  # metal-table: v2.9 with v0.5.0
        },
        {
            "version": "0.5.0",
            "python": ["3.8", "3.9", "3.10"],  # PyPI: macosx_11_0
            "arches": ["arm64", "x86_64"],
            "macos_min": "11.0",
            "works": "~=2.9.0",  # metal-table
        },
        {
            "version": "0.4.0",
            "python": ["3.8", "3.9"],  # PyPI: arm64 cp38–cp39, x86_64 cp38 only
            "arches": ["arm64", "x86_64"],
            "macos_min": "11.0",
            "works": "~=2.8.0",  # metal-table
        },
        {
            "version": "0.3.0",
            "python": ["3.8", "3.9"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "11.0",
            "works": "~=2.7.0",  # metal-table
        },
        {
            "version": "0.2.0",
            "python": ["3.8", "3.9"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "11.0",
            "works": "~=2.6.0",  # metal-table
        },
        {
            "version": "0.1.2",
            "python": ["3.8", "3.9"],  # PyPI
            "arches": ["arm64", "x86_64"],
            "macos_min": "11.0",
            "works": "~=2.5.0",  # metal-table
        },
    ],
    # ---------------------------------------------------------------------------------------------
    # TensorFlow distributions on macOS: which wheel is the real TF, and for which Python and arch.
    #   kind = "real"  : the wheel holds TensorFlow
    #          "meta"  : a 2 KB wheel that only requires another distribution (`requires`)
    #          "shim"  : the same, the other way round (tensorflow-macos 2.16 requires tensorflow)
    #          "empty" : a wheel that installs nothing and requires only itself
    # python_arm64 / python_x86_64: Python versions with a macOS wheel for that arch ([] = none).
    # numpy / keras: what the release's METADATA declares, for `tfm1 lock`'s gate (doctor reads the installed
    #   METADATA itself); known_broken: ranges a release does not rule out but cannot run with, each with its source.
    "tensorflow": [
        {
            "package": "tensorflow",
            "versions": ">=2.21,<2.22",
            "kind": "real",
            "python_arm64": ["3.10", "3.11", "3.12", "3.13"],  # PyPI: 2.21.0 cp310–cp313
            "python_x86_64": [],  # PyPI: no x86_64 macOS wheel after 2.16.2
            "macos_min": "12.0",  # PyPI
            "numpy": ">=1.26.0",  # METADATA 2.21.0
            "keras": ">=3.12.0",  # METADATA 2.21.0
        },
        {
            "package": "tensorflow",
            "versions": ">=2.20,<2.21",
            "kind": "real",
            "python_arm64": ["3.9", "3.10", "3.11", "3.12", "3.13"],  # PyPI: 2.20.0
            "python_x86_64": [],
            "macos_min": "12.0",
            "numpy": ">=1.26.0",  # METADATA 2.20.0: no upper bound
            "keras": ">=3.10.0",  # METADATA 2.20.0
        },
        {
            "package": "tensorflow",
            "versions": ">=2.19,<2.20",
            "kind": "real",
            "python_arm64": ["3.9", "3.10", "3.11", "3.12"],  # PyPI: 2.19.0–2.19.1
            "python_x86_64": [],
            "macos_min": "12.0",
            "numpy": ">=1.26.0,<2.2.0",  # METADATA 2.19.1
            "keras": ">=3.5.0",  # METADATA 2.19.1
        },
        {
            "package": "tensorflow",
            "versions": ">=2.18,<2.19",
            "kind": "real",
            "python_arm64": ["3.9", "3.10", "3.11", "3.12"],  # PyPI
            "python_x86_64": [],
            "macos_min": "12.0",
            "numpy": ">=1.26.0,<2.1.0",  # METADATA 2.18.1
            "keras": ">=3.5.0",  # METADATA 2.18.1
        },
        {
            "package": "tensorflow",
            "versions": ">=2.17,<2.18",
            "kind": "real",
            "python_arm64": ["3.9", "3.10", "3.11", "3.12"],  # PyPI
            "python_x86_64": [],
            "macos_min": "12.0",
            "numpy": ">=1.23.5,<2.0.0",  # METADATA 2.17.1 (>=1.26.0 on Python 3.12)
            "keras": ">=3.2.0",  # METADATA 2.17.1
        },
        {
            "package": "tensorflow",
            "versions": ">=2.16,<2.17",
            "kind": "real",
            "python_arm64": ["3.9", "3.10", "3.11", "3.12"],  # PyPI: 2.16.1–2.16.2
            "python_x86_64": ["3.9", "3.10", "3.11", "3.12"],  # PyPI: 2.16.2 is the last x86_64 macOS wheel
            "macos_min": "12.0",  # PyPI: arm64 macosx_12_0 (x86_64: 10.15)
            "numpy": ">=1.23.5,<2.0.0",  # METADATA 2.16.2 (>=1.26.0 on Python 3.12)
            "keras": ">=3.0.0",  # METADATA 2.16.2
        },
        {
            "package": "tensorflow",
            "versions": "==2.15.1",
            "kind": "real",  # PyPI: 205 MB arm64 wheel
            "python_arm64": ["3.9", "3.10", "3.11"],
            "python_x86_64": ["3.9", "3.10", "3.11"],
            "macos_min": "12.0",
            "numpy": ">=1.23.5,<2.0.0",  # METADATA 2.15.1
            "keras": ">=2.15.0,<2.16",  # METADATA 2.15.1
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
        {
            "package": "tensorflow",
            "versions": ">=2.13,<2.15.1",
            "kind": "meta",  # PyPI: 2 KB arm64 wheel; METADATA: requires tensorflow-macos==X
            "requires": "tensorflow-macos",
            "python_arm64": ["3.9", "3.10", "3.11"],  # PyPI (2.13.0 also cp38)
            "python_x86_64": ["3.9", "3.10", "3.11"],  # PyPI: real x86_64 wheels
            "macos_min": "12.0",
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
        {
            "package": "tensorflow",
            "versions": ">=2.5,<2.13",
            "kind": "real",
            "python_arm64": [],  # PyPI: no macOS arm64 wheel up to 2.12
            "python_x86_64": ["3.8", "3.9", "3.10", "3.11"],  # PyPI (tags vary per release: cp36–cp311)
            "macos_min": "10.14",
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
        {
            "package": "tensorflow-macos",
            "versions": ">=2.16",
            "kind": "shim",  # PyPI: 2 KB; METADATA 2.16.2: requires tensorflow==2.16.2
            "requires": "tensorflow",
            "python_arm64": ["3.9", "3.10", "3.11", "3.12"],
            "python_x86_64": [],
            "macos_min": "12.0",
        },
        {
            "package": "tensorflow-macos",
            "versions": "==2.15.1",
            "kind": "empty",  # PyPI: 2 KB; METADATA 2.15.1: its only requirement is tensorflow-macos==2.15.1
            "python_arm64": ["3.9", "3.10", "3.11"],
            "python_x86_64": [],
            "macos_min": "12.0",
        },
        {
            "package": "tensorflow-macos",
            "versions": ">=2.13.1,<2.15.1",
            "kind": "real",
            "python_arm64": ["3.9", "3.10", "3.11"],  # PyPI
            "python_x86_64": [],  # PyPI: 2.12.0 is the last x86_64 build
            "macos_min": "12.0",
            "numpy": ">=1.23.5,<2.0.0",  # METADATA 2.14.1, 2.15.0 (2.13.x: >=1.22,<=1.24.3)
            "keras": ">=2.13.1,<2.16",  # METADATA 2.13.0–2.15.0 (each pins its own minor)
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
        {
            "package": "tensorflow-macos",
            "versions": ">=2.12,<2.13.1",
            "kind": "real",
            "python_arm64": ["3.8", "3.9", "3.10", "3.11"],  # PyPI
            "python_x86_64": ["3.8", "3.9", "3.10", "3.11"],  # PyPI: 2.12.0 is the last x86_64 build
            "macos_min": "12.0",
            "numpy": ">=1.22,<1.24.4",  # METADATA 2.12.0 (<1.24), 2.13.0 (<=1.24.3)
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
        {
            "package": "tensorflow-macos",
            "versions": ">=2.10,<2.12",
            "kind": "real",
            "python_arm64": ["3.8", "3.9", "3.10"],  # PyPI
            "python_x86_64": ["3.8", "3.9", "3.10"],  # PyPI
            "macos_min": "12.0",
            "numpy": ">=1.20",  # METADATA 2.10.0, 2.11.0
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
        {
            "package": "tensorflow-macos",
            "versions": ">=2.5,<2.10",
            "kind": "real",
            "python_arm64": ["3.8", "3.9", "3.10"],  # PyPI
            "python_x86_64": ["3.8", "3.9", "3.10"],
            "macos_min": "11.0",  # PyPI: macosx_11_0, the last that install on macOS 11
            "known_broken": [NUMPY_2_BREAKS_NUMPY_1_BUILDS],
        },
    ],
    # Every distribution that installs the `tensorflow` import package, and what it is; two of them in one
    # environment write over each other's files. The first two are the ones a profile pins (TENSORFLOW_FAMILY).
    "tensorflow_distributions": {
        "tensorflow": "TensorFlow; on macOS arm64 a meta package requiring tensorflow-macos for 2.13.0-2.15.0, the real build from 2.15.1",  # PyPI
        "tensorflow-macos": "Apple's macOS build: real up to 2.15.0, empty at 2.15.1, a shim requiring tensorflow at 2.16.x",  # PyPI
        "tensorflow-cpu": "the CPU-only build for Linux and Windows",  # PyPI
        "tensorflow-intel": "the Windows x86_64 build",  # PyPI
        "tensorflow-cpu-aws": "the Linux aarch64 build",  # PyPI
        "tf-nightly": "nightly builds of tensorflow",  # PyPI
        "tf-nightly-macos": "nightly builds of tensorflow-macos",  # PyPI
        "tf-nightly-cpu": "nightly builds of tensorflow-cpu",  # PyPI
    },
}

# Derived from DATA, for the modules that list TensorFlow distributions (verify/check_script.py keeps a copy,
# pinned to these by tests/test_compat_names.py).
TENSORFLOW_DISTRIBUTIONS: dict[str, str] = DATA["tensorflow_distributions"]
TENSORFLOW_NAMES: tuple[str, ...] = tuple(TENSORFLOW_DISTRIBUTIONS)
TENSORFLOW_FAMILY: tuple[str, ...] = TENSORFLOW_NAMES[:2]  # what profiles pin; the rest only clash with them
OTHER_TENSORFLOW: tuple[str, ...] = TENSORFLOW_NAMES[2:]
