"""Decide whether a plugin can load against a set of images, the way dyld binds a two-level namespace image.

The plugin names TensorFlow's libraries as `@rpath/<name>`. TensorFlow loads its own libraries before any plugin
and dyld reuses an already loaded image whose install name equals the path asked for, so a library counts as
present when one of TensorFlow's images has that install name. Each symbol bound to such a library must be in
that image's export trie, directly or through a re-export (a trie entry that points at another library, or a
whole library re-exported with LC_REEXPORT_DYLIB), followed to the image that defines it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from tfm1.linkage.images import ImageInfo, PluginImports

MAX_DEPTH = 16  # re-export chains in real libraries are one or two deep; this stops cycles
FLAT = "(flat namespace)"
# Flat lookups are served by whichever loaded image defines the name, system libraries included, and those cannot
# be read here. A name TensorFlow does not export decides the verdict only when it is plainly TensorFlow's: its C
# APIs, or C++ in the namespaces TensorFlow's libraries define (older plugins bind all of TensorFlow this way).
TENSORFLOW_C_PREFIXES = ("_TF_", "_TFE_", "_TFL_", "_TP_", "_SE_")
TENSORFLOW_NAMESPACES = {"tensorflow", "tsl", "xla", "stream_executor", "google", "absl", "mlir", "Eigen"}
MANGLED_NAMESPACE = re.compile(r"__Z(?:T[VIST])?N[rVKRO]*(\d+)")


class ImageSource(Protocol):
    def find(self, install_name: str) -> str | None:
        """A key for the image with this install name, or None when there is none."""

    def image(self, key: str) -> ImageInfo: ...

    def loaded_first(self) -> list[str]:
        """Keys of the images `import tensorflow` has loaded before it loads plugins (its core extension)."""


@dataclass
class Verdict:
    missing_libraries: list[str] = field(default_factory=list)
    missing_symbols: dict[str, list[str]] = field(default_factory=dict)  # library -> symbols
    flat_unresolved: list[str] = field(default_factory=list)
    checked: int = 0
    reexported: int = 0
    flat_checked: bool = False
    flat_tensorflow: int = 0  # flat lookups of TensorFlow's names, checked like the two-level binds

    @property
    def tensorflow_symbols(self) -> int:
        return self.checked + self.flat_tensorflow

    @property
    def loads(self) -> bool:
        return not self.missing_libraries and not any(self.missing_symbols.values())


def tensorflow_symbol(name: str) -> bool:
    if name.startswith(TENSORFLOW_C_PREFIXES):
        return True
    match = MANGLED_NAMESPACE.match(name)
    if not match:
        return False
    start = match.end()
    return name[start : start + int(match[1])] in TENSORFLOW_NAMESPACES


def provided_by_tensorflow(library: str) -> bool:
    """Libraries the plugin expects from TensorFlow; absolute paths are the operating system's."""
    return library.startswith("@rpath/") or library.startswith("@loader_path/")


class Resolver:
    def __init__(self, source: ImageSource, follow_reexports: bool) -> None:
        self.source = source
        self.follow = follow_reexports

    def image_for(self, library: str) -> ImageInfo | None:
        key = self.source.find(library)
        return None if key is None else self.source.image(key)

    def lookup(self, image: ImageInfo, symbol: str, depth: int = 0) -> tuple[bool, bool]:
        """(found, found through a re-export)."""
        if depth > MAX_DEPTH:
            return False, False
        if symbol in image.exports:
            return True, depth > 0
        if symbol in image.reexports:
            library, imported = image.reexports[symbol]
            if not self.follow or not provided_by_tensorflow(library):
                return True, True  # a system library, or the caller chose to trust the trie entry
            target = self.image_for(library)
            if target is None:
                return False, False
            found, _ = self.lookup(target, imported, depth + 1)
            return found, True
        for library in image.reexported_libraries():
            if not provided_by_tensorflow(library):
                continue
            target = self.image_for(library)
            if target is not None and self.lookup(target, symbol, depth + 1)[0]:
                return True, True
        return False, False

    def closure(self, roots: list[ImageInfo]) -> list[ImageInfo]:
        """The images dyld loads with `roots`: their TensorFlow dependencies, transitively."""
        seen: dict[str | None, ImageInfo] = {}
        stack = list(roots)
        while stack:
            image = stack.pop()
            if image.install_name in seen:
                continue
            seen[image.install_name] = image
            for dependency in image.dependencies:
                if dependency.kind == "weak" or not provided_by_tensorflow(dependency.name):
                    continue
                target = self.image_for(dependency.name)
                if target is not None:
                    stack.append(target)
        return list(seen.values())


def check(plugin: PluginImports, source: ImageSource, *, follow_reexports: bool = True) -> Verdict:
    verdict = Verdict()
    resolver = Resolver(source, follow_reexports)
    roots: list[ImageInfo] = []
    for dependency in plugin.dependencies:
        if dependency.kind == "weak" or not provided_by_tensorflow(dependency.name):
            continue
        image = resolver.image_for(dependency.name)
        if image is None:
            verdict.missing_libraries.append(dependency.name)
            continue
        roots.append(image)
        for symbol, weak in sorted(plugin.by_library.get(dependency.name, {}).items()):
            if weak:
                continue  # a missing weak import binds to NULL; it does not stop the load
            verdict.checked += 1
            found, through_reexport = resolver.lookup(image, symbol)
            if not found:
                verdict.missing_symbols.setdefault(dependency.name, []).append(symbol)
            elif through_reexport:
                verdict.reexported += 1
    # dyld stops at the first library it cannot load; the images that would serve flat lookups are then unknown.
    if follow_reexports and plugin.flat and not verdict.missing_libraries:
        # Plugins before tensorflow-metal 0.8 name no TensorFlow library at all and bind everything by flat
        # lookup, so the images TensorFlow has already loaded count too.
        roots += [source.image(key) for key in source.loaded_first()]
        loaded = resolver.closure(roots)

        def provided(symbol: str) -> bool:
            # Looked up in each image's own sets: TensorFlow exports hundreds of thousands of names, and a union
            # of them per pair cost more than every lookup together.
            return any(symbol in image.exports or symbol in image.reexports for image in loaded)

        verdict.flat_tensorflow = sum(1 for s, weak in plugin.flat.items() if not weak and tensorflow_symbol(s))
        unresolved = sorted(s for s, weak in plugin.flat.items() if not weak and not provided(s))
        missing = [s for s in unresolved if tensorflow_symbol(s)]
        if missing:
            verdict.missing_symbols[FLAT] = missing
        verdict.flat_unresolved = [s for s in unresolved if not tensorflow_symbol(s)]
        verdict.flat_checked = True
    return verdict
