"""What the linkage check needs from a Mach-O image, read with LIEF (imported here only, never at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tfm1.linkage.exports as exports
from tfm1.errors import Tfm1Error

if TYPE_CHECKING:
    import lief

SUMMARY_VERSION = 1
# Library ordinals with a special meaning in bind information (<mach-o/loader.h>, BIND_SPECIAL_DYLIB_*).
SELF, MAIN_EXECUTABLE, FLAT_LOOKUP, WEAK_LOOKUP = 0, -1, -2, -3
DEPENDENCY_KINDS = {
    "LOAD_DYLIB": "load",
    "LOAD_WEAK_DYLIB": "weak",
    "REEXPORT_DYLIB": "reexport",
    "LOAD_UPWARD_DYLIB": "upward",
    "LAZY_LOAD_DYLIB": "lazy",
}


class NotMachO(Tfm1Error):
    def __init__(self, message: str) -> None:
        super().__init__(message, "reinstall tensorflow-metal and TensorFlow from their macOS arm64 wheels")


@dataclass(frozen=True)
class Dependency:
    name: str
    kind: str  # load | weak | reexport | upward | lazy


@dataclass
class ImageSummary:
    """What every summary of an image holds (its install name and the libraries it names), and how the cache
    stores it: versioned JSON that a newer or older tfm1 reads as absent."""

    install_name: str | None
    dependencies: list[Dependency] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SUMMARY_VERSION,
            "install_name": self.install_name,
            "dependencies": [[d.name, d.kind] for d in self.dependencies],
        }

    @staticmethod
    def common_fields(data: dict[str, Any]) -> dict[str, Any] | None:
        """The shared fields of a stored summary as keyword arguments, or None when it is of another version."""
        if data.get("version") != SUMMARY_VERSION:
            return None
        return {
            "install_name": data["install_name"],
            "dependencies": [Dependency(n, k) for n, k in data["dependencies"]],
        }


@dataclass
class ImageInfo(ImageSummary):
    """An image's install name, the libraries it names, and what its export trie offers."""

    exports: set[str] = field(default_factory=set)  # defined in this image
    reexports: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (library, name there)

    def reexported_libraries(self) -> list[str]:
        return [d.name for d in self.dependencies if d.kind == "reexport"]

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "exports": sorted(self.exports),
            "reexports": {k: list(v) for k, v in sorted(self.reexports.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageInfo | None:
        common = cls.common_fields(data)
        if common is None:
            return None
        reexports = {k: (v[0], v[1]) for k, v in data["reexports"].items()}
        return cls(**common, exports=set(data["exports"]), reexports=reexports)


@dataclass
class PluginImports(ImageSummary):
    """The symbols a plugin binds, per library it names (two-level namespace) and by flat lookup."""

    by_library: dict[str, dict[str, bool]] = field(default_factory=dict)  # library -> {symbol: weak import}
    flat: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "by_library": self.by_library, "flat": self.flat}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PluginImports | None:
        common = cls.common_fields(data)
        if common is None:
            return None
        by_library = {k: dict(v) for k, v in data["by_library"].items()}
        return cls(**common, by_library=by_library, flat=dict(data["flat"]))


def _lief() -> Any:
    import lief

    lief.logging.disable()  # LIEF logs parse warnings to stderr; tfm1 reports problems itself
    return lief


def _arm64_slice(parsed: lief.MachO.FatBinary | None, what: str) -> lief.MachO.Binary:
    if parsed is None or len(parsed) == 0:
        raise NotMachO(f"{what} is not a Mach-O file")
    binary = parsed.take(_lief().MachO.Header.CPU_TYPE.ARM64)
    if binary is None:
        raise NotMachO(f"{what} has no arm64 slice")
    return binary


def _parse(source: Path | bytes, *, bindings: bool) -> lief.MachO.Binary:
    lief = _lief()
    config = lief.MachO.ParserConfig()
    config.parse_dyld_bindings = bindings
    config.parse_dyld_rebases = False
    what = str(source) if isinstance(source, Path) else f"{len(source)} bytes"
    raw = str(source) if isinstance(source, Path) else list(source)
    return _arm64_slice(lief.MachO.parse(raw, config), what)


def _install_name(binary: lief.MachO.Binary) -> str | None:
    lief = _lief()
    for command in binary.commands:
        if isinstance(command, lief.MachO.DylibCommand) and command.command.name == "ID_DYLIB":
            return str(command.name)
    return None


def _dependencies(binary: lief.MachO.Binary) -> list[Dependency]:
    lief = _lief()
    return [
        Dependency(str(c.name), DEPENDENCY_KINDS[c.command.name])
        for c in binary.commands
        if isinstance(c, lief.MachO.DylibCommand) and c.command.name in DEPENDENCY_KINDS
    ]


def _commands(data: bytes) -> exports.LoadCommands:
    try:
        offset = exports.arm64_slice(data)
        return exports.parse_load_commands(data[offset:], offset)
    except exports.MachOError as error:
        raise NotMachO(f"{len(data)} bytes: {error}") from None


def sizeof_load_commands(data: bytes) -> int:
    """How many leading bytes hold the header and load commands (so a head read knows if it got them all)."""
    try:
        offset = exports.arm64_slice(data)
        if len(data) < offset + exports.MACH_HEADER_64:
            return offset + exports.MACH_HEADER_64  # the slice's header first; it tells how much more
        return offset + exports.load_commands_size(data[offset : offset + exports.MACH_HEADER_64])
    except exports.MachOError as error:
        raise NotMachO(f"{len(data)} bytes: {error}") from None


def read_head(data: bytes) -> tuple[str | None, list[Dependency]]:
    """Install name and dependencies from the first bytes of an image (load commands only)."""
    commands = _commands(data)
    return commands.install_name, [Dependency(n, k) for n, k in commands.dependencies]


def read_image(source: Path | bytes) -> ImageInfo:
    """Load commands and export trie only, read without LIEF (see `tfm1.linkage.exports`)."""
    what = str(source) if isinstance(source, Path) else f"{len(source)} bytes"
    try:
        commands, trie = exports.read_file(source) if isinstance(source, Path) else exports.read_bytes(source)
        entries = list(exports.walk_trie(trie)) if trie else []
    except exports.MachOError as error:
        raise NotMachO(f"{what}: {error}") from None
    except OSError as error:
        raise NotMachO(f"cannot read {what}: {error.strerror or error}") from None
    libraries = [name for name, _ in commands.dependencies]
    info = ImageInfo(commands.install_name, [Dependency(n, k) for n, k in commands.dependencies])
    # The export trie, not the symbol table: re-exported names are only in the trie.
    for entry in entries:
        if entry.reexport_ordinal is None:
            info.exports.add(entry.name)
            continue
        ordinal = entry.reexport_ordinal
        library = libraries[ordinal - 1] if 0 < ordinal <= len(libraries) else exports.UNKNOWN_LIBRARY
        info.reexports[entry.name] = (library, entry.imported or entry.name)
    return info


def read_plugin(source: Path | bytes) -> PluginImports:
    binary = _parse(source, bindings=True)
    imports = PluginImports(_install_name(binary), _dependencies(binary))
    for binding in binary.bindings:
        symbol, library = binding.symbol, binding.library
        if symbol is None:
            continue
        binding_class = getattr(binding, "binding_class", None)  # only opcode-based binds have a class
        if binding_class is not None and binding_class.name == "WEAK":
            continue  # weak-definition coalescing: satisfied by the image itself when nobody else has it
        name = str(symbol.name)
        weak = bool(binding.weak_import)
        if library is not None:
            table = imports.by_library.setdefault(str(library.name), {})
            table[name] = table.get(name, True) and weak
        elif binding.library_ordinal == FLAT_LOOKUP:
            imports.flat[name] = imports.flat.get(name, True) and weak
    return imports
