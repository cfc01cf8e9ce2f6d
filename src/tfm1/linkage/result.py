"""The verdict on one tensorflow-metal / TensorFlow pair (standard library only: doctor and lock import it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfm1.jsonable import record_json


@dataclass
class PairResult:
    tensorflow: str
    tensorflow_metal: str
    loads: bool
    missing: list[str] = field(default_factory=list)  # install names and demangled symbol names
    reason: str = ""
    missing_libraries: list[str] = field(default_factory=list)
    missing_symbols: list[str] = field(default_factory=list)  # as the binary spells them (mangled)
    # Flat-namespace lookups are resolved against every loaded image, system libraries included, which tfm1
    # cannot read; names TensorFlow does not export and that are not TensorFlow's own are listed here but do not
    # decide the verdict.
    flat_unresolved: list[str] = field(default_factory=list)
    checked_symbols: int = 0  # bound to a TensorFlow library by name (two-level namespace)
    reexported_symbols: int = 0  # of checked_symbols, found through a re-export
    flat_symbols: int = 0  # TensorFlow names bound by flat lookup, checked against every TensorFlow image loaded
    tensorflow_package: str = "tensorflow"
    python: str = ""  # the Python the wheels were chosen for
    notes: list[str] = field(default_factory=list)  # e.g. which wheel tag stood in for a missing one
    sources: dict[str, str] = field(default_factory=dict)  # wheel file names or installed paths that were read

    def to_json(self) -> dict[str, Any]:
        return record_json(self)
