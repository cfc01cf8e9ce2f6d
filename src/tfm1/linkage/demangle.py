"""Readable C++ names for the report; the mangled name stays when no demangler is at hand."""

from __future__ import annotations

import shutil
import subprocess


def _lief_demangle(names: list[str]) -> list[str] | None:
    import lief

    if not getattr(lief, "__extended__", False):
        return None  # only LIEF's "extended" build demangles; the PyPI build prints a notice instead
    lief.logging.disable()
    out = []
    for name in names:
        result = lief.demangle(name.removeprefix("_")) if name.startswith("__Z") else None
        out.append(result or name)
    return out


def _cxxfilt(names: list[str]) -> list[str] | None:
    tool = shutil.which("c++filt")
    if tool is None:
        return None
    # Mach-O adds one underscore in front of every C symbol; c++filt wants the Itanium name itself.
    stripped = [n[1:] if n.startswith("__Z") else n for n in names]
    try:
        completed = subprocess.run(
            [tool], input="\n".join(stripped) + "\n", capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = completed.stdout.splitlines()
    if len(lines) != len(names):
        return None
    return [line if name.startswith("__Z") else name for name, line in zip(names, lines, strict=True)]


def demangle(names: list[str]) -> list[str]:
    if not names:
        return []
    return _lief_demangle(names) or _cxxfilt(names) or list(names)
