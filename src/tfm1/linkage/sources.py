"""Where the images come from: members of a remote wheel, or files of an installed environment."""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol, TypeVar

from tfm1 import cache
from tfm1.download import sha256_of
from tfm1.linkage.images import (
    ImageInfo,
    NotMachO,
    PluginImports,
    read_head,
    read_image,
    read_plugin,
    sizeof_load_commands,
)
from tfm1.pypi.remote_wheel import RemoteWheel
from tfm1.pypi.wheel_cache import member_path, try_write_atomic

HEAD_BYTES = 32 * 1024
MAX_HEAD_BYTES = 1 << 20
KEEP_MEMBER_BYTES = 64 << 20  # members up to this size are kept as they are; bigger ones only as summaries
IMAGE_SUFFIXES = (".so", ".dylib")


def installed_root() -> Path:
    """Summaries of installed images (`doctor --deep`), named by the sha256 of the file they describe."""
    return cache.cache_root() / "installed"


class Summary(Protocol):
    def to_json(self) -> dict[str, Any]: ...


T = TypeVar("T")
S = TypeVar("S", bound=Summary)

CORE_EXTENSION = "tensorflow/python/_pywrap_tensorflow_internal.so"  # what `import tensorflow` loads first
CORE_EXTENSION_RE = re.compile(rf"([^/]+\.data/(purelib|platlib)/)?{re.escape(CORE_EXTENSION)}")


def _leaf(install_name: str) -> str:
    return install_name.rsplit("/", 1)[-1]


def search_order(names: Iterable[str], install_name: str) -> list[str]:
    """Images whose file name matches the install name's last component first: that is where it usually is."""
    leaf = _leaf(install_name)
    images = [n for n in names if n.endswith(IMAGE_SUFFIXES)]
    return sorted(images, key=lambda n: (PurePosixPath(n).name != leaf, n.count("/"), n))


def _read_json_gz(path: Path) -> dict[str, object] | None:
    try:
        # Whole, not streamed: one decompress and one parse of bytes (JSON is UTF-8), several times faster than
        # json.load on a text stream for libtensorflow_cc's ~25 MB.
        data = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError, zlib.error, RecursionError):
        # A truncated or corrupted entry (a crash mid-write, a full disk) is a miss, to be written again.
        return None
    return data if isinstance(data, dict) else None


def _read_summary(path: Path, parse: Callable[[dict[str, object]], T]) -> T | None:
    """A cached summary, or None when there is none or it is damaged: a damaged entry is a miss, never an error."""
    cached = _read_json_gz(path)
    if not cached:
        return None
    try:
        return parse(cached)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _write_json_gz(path: Path, data: object) -> None:
    # Level 1: libtensorflow_cc's summary is ~25 MB of JSON; higher levels cost seconds for a slightly smaller file.
    try_write_atomic(path, gzip.compress(json.dumps(data, separators=(",", ":")).encode(), compresslevel=1))


def summarised(
    summary: Path,
    parse: Callable[[dict[str, object]], S | None],
    read: Callable[[], S],
    still_valid: Callable[[], bool] = lambda: True,
) -> S:
    """The summary cached at `summary`, else `read()`, cached there when `still_valid()` after reading."""
    found = _read_summary(summary, parse)
    if found is None:
        found = read()
        if still_valid():
            _write_json_gz(summary, found.to_json())
    return found


def installed_summary(
    path: Path, cache: Path, suffix: str, parse: Callable[[dict[str, object]], S | None], read: Callable[[Path], S]
) -> S:
    """The summary of an installed file, cached under the sha256 of its content.

    The file is read twice (hashed, then parsed): if it was replaced in between (an install running
    alongside), the answer is still given but not cached, so that no content is ever cached with another's answer.
    """
    before = _identity(path)
    summary = cache / f"{content_key(path)}{suffix}"
    return summarised(summary, parse, lambda: read(path), lambda: _identity(path) == before)


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def content_key(path: Path) -> str:
    """The sha256 of a file's content, the cache key of its summary."""
    try:
        return sha256_of(path)
    except OSError as error:
        raise NotMachO(f"cannot read {path}: {error.strerror or error}") from None


class WheelImages:
    """The Mach-O images of a remote wheel, found by install name, read only when needed, cached by wheel sha256."""

    def __init__(self, wheel: RemoteWheel, scratch: Path | None = None) -> None:
        self.wheel = wheel
        self.root = wheel.cache / wheel.wheel.sha256
        self.scratch = scratch
        self._names: dict[str, str | None] = {}  # member -> install name, for the members read so far
        self._complete = False
        self._images: dict[str, ImageInfo] = {}
        self._scratch_files: list[IO[bytes]] = []
        self._load_names()

    @property
    def _names_file(self) -> Path:
        return self.root / "install-names.json"

    def _load_names(self) -> None:
        try:
            data = json.loads(self._names_file.read_text(encoding="utf-8"))
            self._names = dict(data["members"])
            self._complete = bool(data["complete"])
        except (OSError, ValueError, KeyError, TypeError):
            return

    def _save_names(self) -> None:
        payload = {"complete": self._complete, "members": self._names}
        try_write_atomic(self._names_file, json.dumps(payload, indent=0, sort_keys=True).encode())

    def _head_install_name(self, member: str) -> str | None:
        size = HEAD_BYTES
        while True:
            data = self.wheel.head(member, size)
            try:
                needed = sizeof_load_commands(data)
                if needed <= len(data) or len(data) < size or size >= MAX_HEAD_BYTES:
                    return read_head(data)[0]
            except NotMachO:
                return None
            size = min(MAX_HEAD_BYTES, max(needed, size * 2))

    def find(self, install_name: str) -> str | None:
        for member, name in self._names.items():
            if name == install_name:
                return member
        if self._complete:
            return None
        found = None
        for member in search_order(self.wheel.names(), install_name):
            if member in self._names:
                continue
            self._names[member] = self._head_install_name(member)
            if self._names[member] == install_name:
                found = member
                break
        else:
            self._complete = True  # every image has been looked at: the answer is a definite no
        self._save_names()
        return found

    def loaded_first(self) -> list[str]:
        return [n for n in self.wheel.names() if CORE_EXTENSION_RE.fullmatch(n)]

    def image(self, key: str) -> ImageInfo:
        if key in self._images:
            return self._images[key]
        summary = member_path(self.wheel.cache, self.wheel.wheel.sha256, "images", key + ".json.gz")
        self._images[key] = summarised(summary, ImageInfo.from_json, lambda: read_image(self._member_file(key)))
        return self._images[key]

    def plugin(self, member: str) -> PluginImports:
        summary = member_path(self.wheel.cache, self.wheel.wheel.sha256, "images", member + ".plugin.json.gz")
        return summarised(summary, PluginImports.from_json, lambda: read_plugin(self._member_file(member)))

    def _member_file(self, member: str) -> Path:
        kept = member_path(self.wheel.cache, self.wheel.wheel.sha256, "members", member)
        if kept.exists():
            return kept
        if self.wheel.info(member).file_size <= KEEP_MEMBER_BYTES and try_write_atomic(kept, self.wheel.read(member)):
            return kept
        scratch = self.scratch or Path(tempfile.gettempdir())
        scratch.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=scratch, prefix="tfm1-", suffix=PurePosixPath(member).suffix)  # noqa: SIM115
        # A big member is read once, summarised, and dropped; the path lives as long as this object.
        self.wheel.extract(member, handle)
        handle.flush()
        self._scratch_files.append(handle)
        return Path(handle.name)

    def release(self) -> None:
        for handle in self._scratch_files:
            handle.close()
        self._scratch_files = []


def installed_plugin(path: Path, cache: Path | None = None) -> PluginImports:
    """An installed plugin's imports, cached by the sha256 of its content (see InstalledImages)."""
    return installed_summary(path, cache or installed_root(), ".plugin.json.gz", PluginImports.from_json, read_plugin)


class InstalledImages:
    """The Mach-O images under an installed `tensorflow/` package.

    Summaries are cached by the sha256 of each file's content: hashing the 650 MB libtensorflow_cc takes about
    2 s, reading its load commands and 21 MB export trie about as long (`tfm1.linkage.exports`; LIEF took 20 s and
    2 GB of memory). A changed file is a new key, never a stale answer.
    """

    def __init__(self, package_dir: Path, cache: Path | None = None) -> None:
        self.package_dir = package_dir
        self.cache = cache or installed_root()
        self._names: dict[str, str | None] | None = None
        self._images: dict[str, ImageInfo] = {}

    def _scan(self) -> dict[str, str | None]:
        if self._names is None:
            self._names = {}
            for path in sorted(self.package_dir.rglob("*")):
                if path.suffix not in IMAGE_SUFFIXES or not path.is_file():
                    continue
                try:
                    with path.open("rb") as handle:
                        head = handle.read(MAX_HEAD_BYTES)
                    self._names[str(path)] = read_head(head)[0]
                except (OSError, NotMachO):
                    self._names[str(path)] = None
        return self._names

    def find(self, install_name: str) -> str | None:
        return next((p for p, n in self._scan().items() if n == install_name), None)

    def loaded_first(self) -> list[str]:
        core = self.package_dir / "python" / "_pywrap_tensorflow_internal.so"
        return [str(core)] if core.is_file() else []

    def image(self, key: str) -> ImageInfo:
        if key not in self._images:
            self._images[key] = installed_summary(Path(key), self.cache, ".json.gz", ImageInfo.from_json, read_image)
        return self._images[key]
