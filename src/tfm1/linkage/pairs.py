"""Check tensorflow-metal / TensorFlow pairs from the wheels on PyPI, or from an installed environment."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tfm1.compat_data import TENSORFLOW_FAMILY
from tfm1.errors import Tfm1Error
from tfm1.linkage.arm64_wheels import WheelFile, arm64_wheels, best_wheel
from tfm1.linkage.checker import ImageSource, Verdict, check
from tfm1.linkage.demangle import demangle
from tfm1.linkage.images import PluginImports
from tfm1.linkage.result import PairResult
from tfm1.linkage.sources import InstalledImages, WheelImages, installed_plugin
from tfm1.pypi.index import Index, new_session
from tfm1.pypi.remote_wheel import ReadProgress, RemoteWheel, WheelRef
from tfm1.pypi.wheel_cache import cache_root

if TYPE_CHECKING:
    import requests

PLUGIN_MEMBER = "tensorflow-plugins/libmetal_plugin.dylib"
PLUGIN_NAME = "libmetal_plugin.dylib"
META_WHEEL_BYTES = 1 << 20  # a TensorFlow wheel this small holds no TensorFlow, only a requirement


class NoPlugin(Tfm1Error):
    """A tensorflow-metal wheel without the plugin: what it would load with cannot be read from it."""


def plugin_member(names: list[str]) -> str:
    """The plugin's path in the wheel: at the top, or under `<dist>.data/purelib/` (tensorflow-metal before 0.4)."""
    for name in names:
        if name == PLUGIN_MEMBER or re.fullmatch(rf"[^/]+\.data/(purelib|platlib)/{re.escape(PLUGIN_MEMBER)}", name):
            return name
    raise NoPlugin(
        f"this tensorflow-metal wheel has no {PLUGIN_MEMBER}",
        "check the version: tensorflow-metal wheels for macOS arm64 all ship it",
    )


def tensorflow_project(index: Index, version: str) -> str:
    """`tensorflow`, or `tensorflow-macos` where `tensorflow` has no real macOS arm64 wheel (up to 2.12: none;
    2.13 to 2.15.0: a meta package requiring tensorflow-macos)."""

    def real(project: str) -> bool:
        return any(w.size >= META_WHEEL_BYTES for w in arm64_wheels(index, project, version))

    if real("tensorflow") or not real("tensorflow-macos"):
        return "tensorflow"
    return "tensorflow-macos"


def describe(verdict: Verdict, tensorflow: str, metal: str, *, follow_reexports: bool) -> tuple[str, list[str]]:
    """The reason line and the `missing` list (install names, then demangled symbols)."""
    symbols = [s for names in verdict.missing_symbols.values() for s in names]
    missing = list(verdict.missing_libraries) + demangle(symbols)
    if verdict.missing_libraries:
        names = ", ".join(verdict.missing_libraries)
        reason = (
            f"no image in TensorFlow {tensorflow} has the install name {names} that {PLUGIN_NAME} "
            f"(tensorflow-metal {metal}) loads: import fails with 'Library not loaded: {verdict.missing_libraries[0]}'"
        )
    elif symbols:
        where = ", ".join(verdict.missing_symbols)
        reason = (
            f"TensorFlow {tensorflow} does not export {len(symbols)} of the {verdict.tensorflow_symbols} TensorFlow "
            f"symbols tensorflow-metal {metal} binds ({where}): import fails with 'Symbol not found: {symbols[0]}'"
        )
    else:
        parts = []
        if verdict.checked:
            how = "followed to the defining library" if follow_reexports else "trusted as the export trie lists them"
            through = f", {verdict.reexported} through re-exports {how}" if verdict.reexported else ""
            parts.append(f"{verdict.checked} bound to its libraries{through}")
        if verdict.flat_tensorflow:
            parts.append(f"{verdict.flat_tensorflow} by flat lookup")
        reason = (
            f"TensorFlow {tensorflow} exports all {verdict.tensorflow_symbols} TensorFlow symbols tensorflow-metal "
            f"{metal} binds" + (f" ({'; '.join(parts)})" if parts else "")
        )
    return reason, missing


def _result(verdict: Verdict, tensorflow: str, metal: str, *, follow_reexports: bool, notes: list[str]) -> PairResult:
    reason, missing = describe(verdict, tensorflow, metal, follow_reexports=follow_reexports)
    if verdict.flat_unresolved:
        notes.append(
            f"{len(verdict.flat_unresolved)} flat-namespace lookup(s) are not exported by TensorFlow "
            "(they may come from system libraries): " + ", ".join(demangle(verdict.flat_unresolved[:5]))
        )
    elif not verdict.flat_checked and not verdict.missing_libraries:
        notes.append("flat-namespace lookups were not checked (re-exports were not followed)")
    return PairResult(
        tensorflow=tensorflow,
        tensorflow_metal=metal,
        loads=verdict.loads,
        missing=missing,
        reason=reason,
        missing_libraries=list(verdict.missing_libraries),
        missing_symbols=[s for names in verdict.missing_symbols.values() for s in names],
        flat_unresolved=list(verdict.flat_unresolved),
        checked_symbols=verdict.checked,
        flat_symbols=verdict.flat_tensorflow,
        reexported_symbols=verdict.reexported,
        notes=notes,
    )


class LinkageSession:
    """Shares the index, the wheels and the images read between pairs (a grid reads each TF wheel once)."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        index: Index | None = None,
        cache: Path | None = None,
        progress: ReadProgress | None = None,
        follow_reexports: bool = True,
    ) -> None:
        # One index for the whole run: `tfm1 lock` passes the one its pip layer already read.
        self.index = index or Index(session=session or new_session("tfm1-linkage"))
        self.http = session or self.index.session
        self.cache = cache or cache_root()
        self.progress = progress
        self.follow_reexports = follow_reexports
        self._wheels: dict[str, WheelImages] = {}
        self._scratch = tempfile.TemporaryDirectory(prefix="tfm1-linkage-")

    def wheel_images(self, file: WheelFile) -> WheelImages:
        if file.sha256 not in self._wheels:
            remote = RemoteWheel(
                self.http, WheelRef(file.filename, file.url, file.sha256, file.size), self.cache, self.progress
            )
            self._wheels[file.sha256] = WheelImages(remote, Path(self._scratch.name))
        return self._wheels[file.sha256]

    @property
    def bytes_fetched(self) -> int:
        return sum(w.wheel.bytes_fetched for w in self._wheels.values())

    @property
    def requests(self) -> int:
        return sum(w.wheel.requests for w in self._wheels.values())

    def check_pair(self, tensorflow: str, metal: str, python: str = "3.11") -> PairResult:
        notes: list[str] = []
        project = tensorflow_project(self.index, tensorflow)
        tf_wheel, note = best_wheel(self.index, project, tensorflow, python)
        notes += [note] if note else []
        metal_wheel, note = best_wheel(self.index, "tensorflow-metal", metal, python)
        notes += [note] if note else []
        metal_images = self.wheel_images(metal_wheel)
        self._say(f"reading {PLUGIN_MEMBER} from {metal_wheel.filename}")
        plugin = metal_images.plugin(plugin_member(metal_images.wheel.names()))
        tf_images = self.wheel_images(tf_wheel)
        self._say(f"finding TensorFlow's libraries in {tf_wheel.filename}")
        verdict = check(plugin, tf_images, follow_reexports=self.follow_reexports)
        tf_images.release()
        result = _result(verdict, tensorflow, metal, follow_reexports=self.follow_reexports, notes=notes)
        result.tensorflow_package = project
        result.python = python
        result.sources = {"tensorflow": tf_wheel.filename, "tensorflow_metal": metal_wheel.filename}
        return result

    def _say(self, what: str) -> None:
        if self.progress:
            self.progress(what, 0, 0)

    def close(self) -> None:
        for images in self._wheels.values():
            images.release()
            images.wheel.close()
        self._scratch.cleanup()

    def __enter__(self) -> LinkageSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_pair(
    tensorflow: str,
    metal: str,
    python: str = "3.11",
    *,
    follow_reexports: bool = True,
    progress: ReadProgress | None = None,
    index: Index | None = None,
) -> PairResult:
    with LinkageSession(index=index, progress=progress, follow_reexports=follow_reexports) as session:
        return session.check_pair(tensorflow, metal, python)


def _installed_versions(site_packages: Path) -> dict[str, str]:
    """name -> version of the distributions installed there, read as `tfm1 doctor` reads them."""
    from tfm1.host import live_host
    from tfm1.inspect.distributions import scan_site_packages

    found = scan_site_packages(live_host(), str(site_packages.resolve()))
    return {name: dist.version for name, dist in found.items()}


def check_installed(
    site_packages: Path, *, follow_reexports: bool = True, cache: Path | None = None
) -> PairResult | None:
    """Check the plugin and TensorFlow installed in one site-packages; None when either is not there."""
    plugin_path = site_packages / PLUGIN_MEMBER
    package_dir = site_packages / "tensorflow"
    if not plugin_path.is_file() or not package_dir.is_dir():
        return None
    plugin: PluginImports = installed_plugin(plugin_path, cache)
    source: ImageSource = InstalledImages(package_dir, cache)
    verdict = check(plugin, source, follow_reexports=follow_reexports)
    installed = _installed_versions(site_packages)
    tensorflow = next((installed[n] for n in TENSORFLOW_FAMILY if installed.get(n)), "unknown")
    metal = installed.get("tensorflow-metal", "unknown")
    result = _result(verdict, tensorflow, metal, follow_reexports=follow_reexports, notes=[])
    result.sources = {"tensorflow": str(package_dir), "tensorflow_metal": str(plugin_path)}
    return result
