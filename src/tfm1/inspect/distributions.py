"""Installed Python distributions, read from `*.dist-info` directories without importing anything."""

from __future__ import annotations

import posixpath
import re
from typing import NamedTuple

from tfm1.compat_data import TENSORFLOW_NAMES
from tfm1.host.base import Host
from tfm1.macho import MachOInfo

# Distributions whose wheel tags and installer doctor looks at; the rest are listed by name and version.
WATCHED = frozenset(
    {
        *TENSORFLOW_NAMES,
        "tensorflow-metal",
        "numpy",
        "keras",
        "tf-keras",
        "h5py",
        "grpcio",
        "ml-dtypes",
    }
)


MACOS_PLATFORM = re.compile(r"^macosx_\d+_\d+_(\w+)$")
# Distributions that may hold TensorFlow itself: their RECORD tells a real build from a meta package.
TENSORFLOW_DISTRIBUTIONS = frozenset(TENSORFLOW_NAMES)
# Distributions whose Requires-Dist doctor checks (tf-requirement-conflict).
REQUIREMENT_SOURCES = TENSORFLOW_DISTRIBUTIONS | {"tensorflow-metal", "keras"}
# pip writes RECORD sorted, so a real build's `tensorflow/...` rows follow its few dist-info rows: the head suffices
# (TensorFlow's whole RECORD is megabytes).
RECORD_HEAD = 16 * 1024


class Distribution(NamedTuple):
    name: str  # normalized (PEP 503)
    version: str
    location: str  # the site-packages directory
    tags: tuple[str, ...] = ()  # from WHEEL, e.g. cp311-cp311-macosx_12_0_arm64
    installer: str = ""  # from INSTALLER: pip, uv, conda, ...
    # From RECORD: whether it installed files of the `tensorflow` package (a real build) or none (a meta
    # package, a shim, the empty tensorflow-macos 2.15.1); None without evidence.
    ships_tensorflow: bool | None = None
    requires: tuple[str, ...] = ()  # Requires-Dist lines of METADATA, as written

    @property
    def wheel_archs(self) -> set[str]:
        """The architectures named by the platform tags (universal2 counts as both)."""
        archs: set[str] = set()
        for tag in self.tags:
            platform = tag.rsplit("-", 1)[-1]
            if platform.endswith("_universal2"):
                archs |= {"arm64", "x86_64"}
            elif platform.endswith("_intel"):
                archs |= {"x86_64", "i386"}
            elif (match := MACOS_PLATFORM.match(platform)) is not None:  # not a malformed `macosx_12`
                archs.add(match[1])
        return archs

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"version": self.version, "tags": list(self.tags), "installer": self.installer}
        if self.ships_tensorflow is not None:
            data["ships_tensorflow"] = self.ships_tensorflow
        return data


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_dist_dir(name: str) -> tuple[str, str] | None:
    """`tensorflow_metal-1.2.0.dist-info` → (tensorflow-metal, 1.2.0)."""
    for suffix in (".dist-info", ".egg-info"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            parts = stem.split("-")
            if len(parts) >= 2 and parts[0] and parts[1]:
                return normalize(parts[0]), parts[1]
    return None


def _wheel_tags(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:"))


def scan_site_packages(host: Host, site: str) -> dict[str, Distribution]:
    found: dict[str, Distribution] = {}
    for entry in host.list_dir(site):
        parsed = parse_dist_dir(entry)
        if parsed is None:
            continue
        name, version = parsed
        tags: tuple[str, ...] = ()
        installer = ""
        ships: bool | None = None
        requires: tuple[str, ...] = ()
        meta = posixpath.join(site, entry)
        if name in WATCHED:
            tags = _wheel_tags(host.text(posixpath.join(meta, "WHEEL")))
            installer = (host.text(posixpath.join(meta, "INSTALLER")) or "").strip()
        if name in TENSORFLOW_DISTRIBUTIONS:
            ships = ships_tensorflow(host.text(posixpath.join(meta, "RECORD"), RECORD_HEAD))
        if name in REQUIREMENT_SOURCES:
            requires = requires_dist(host.text(posixpath.join(meta, "METADATA")))
        found.setdefault(name, Distribution(name, version, site, tags, installer, ships, requires))
    return found


def ships_tensorflow(record: str | None) -> bool | None:
    """From the head of a RECORD: True when it lists files under tensorflow/, False when it is whole and does not."""
    if not record:
        return None
    if any(line.startswith("tensorflow/") for line in record.splitlines()):
        return True
    return False if len(record) < RECORD_HEAD else None


def requires_dist(metadata: str | None) -> tuple[str, ...]:
    """The Requires-Dist values of a METADATA file (the headers end at the first blank line)."""
    found = []
    for line in (metadata or "").splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "requires-dist":
            found.append(value.strip())
    return tuple(found)


# TensorFlow's own libraries in its package folder, whose Mach-O headers say what the build is for: the framework
# library (wheels up to 2.11 ship three copies of it, libtensorflow_framework.2.11.0.dylib among them; conda-forge's
# builds name it their own way), then the Python extension every build has.
FRAMEWORK_LIBRARY = re.compile(r"^libtensorflow_framework[^/]*\.dylib$")
PYWRAP = "python/_pywrap_tensorflow_internal.so"
METAL_PLUGIN = "tensorflow-plugins/libmetal_plugin.dylib"


def tensorflow_binaries(host: Host, site: str) -> list[tuple[str, MachOInfo]]:
    """TensorFlow's binaries in a site-packages with their Mach-O facts, read until one has a readable header."""
    package = posixpath.join(site, "tensorflow")
    libraries = [name for name in host.list_dir(package) if FRAMEWORK_LIBRARY.match(name)]
    libraries.sort(key=lambda name: name != "libtensorflow_framework.2.dylib")
    found = []
    for path in [*(posixpath.join(package, name) for name in libraries), posixpath.join(package, PYWRAP)]:
        if host.is_file(path):
            info = host.macho(path)
            found.append((path, info))
            if info.is_macho:
                break
    return found


def stack_binaries(host: Host, site: str) -> list[tuple[str, MachOInfo]]:
    """TensorFlow's binaries and the Metal plugin in a site-packages, with their Mach-O facts."""
    found = tensorflow_binaries(host, site)
    plugin = posixpath.join(site, METAL_PLUGIN)
    if host.is_file(plugin):
        found.append((plugin, host.macho(plugin)))
    return found


def has_tensorflow_package(host: Host, site: str) -> bool:
    """Whether an importable `tensorflow` package is there (an empty tensorflow-macos 2.15.1 leaves none)."""
    return host.exists(posixpath.join(site, "tensorflow", "__init__.py"))
