"""`tfm1/compat_found.py`: read what was found before, merge what this run found, write it back as a literal.

The module is a Python literal, like compat_data.py, so that doctor reads it from the bytecode cache. It is written
in the shape `ruff format` keeps (every mapping one entry a line with a trailing comma, short lists of strings on
one line), so a generated file passes the project's format check as it is.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfm1.compat import Compat, with_found
from tfm1.compat_update.releases import python_key

WIDTH = 120
SECTIONS = ("schema", "releases", "metal", "tensorflow", "python_tags")  # compat_found.py; "pairs" has its own file


def _header(path: Path) -> str:
    """The committed file's text up to its literal: its docstring says what it holds, the writer keeps it."""
    text = path.read_text(encoding="utf-8")
    name = "PAIRS: list[dict[str, Any]] = " if path.name == "compat_found_pairs.py" else "FOUND: dict[str, Any] = "
    at = text.find("\n" + name)
    if at < 0:
        from tfm1.errors import Tfm1Error

        raise Tfm1Error(
            f"{path} does not assign {name.split(':')[0]} as tfm1 writes it", f"restore it: git checkout {path}"
        )
    return text[: at + 1 + len(name)]


def current() -> dict[str, Any]:
    """What was found before, as this process imported it, pairs included (a copy: the caller changes it)."""
    from tfm1.compat_found import FOUND
    from tfm1.compat_found_pairs import PAIRS

    return copy.deepcopy({**FOUND, "pairs": PAIRS})


def install(found: dict[str, Any]) -> None:
    """Make `found` the data this process reads (`tfm1.compat.load`), as the next process will from the files."""
    import tfm1.compat_found
    import tfm1.compat_found_pairs
    from tfm1.compat import load

    tfm1.compat_found.FOUND = {key: found[key] for key in SECTIONS if key in found}
    tfm1.compat_found_pairs.PAIRS = found.get("pairs", [])
    load.cache_clear()


@dataclass
class Merged:
    found: dict[str, Any]
    # Rows a report in compat_data.py now covers, dropped: "pair: found X, the report says Y" where they differ.
    superseded: list[str] = field(default_factory=list)


def merge(before: dict[str, Any], new: dict[str, Any], reports: dict[str, Any]) -> Merged:
    """`before` with `new`'s rows (a row of `new` replaces the same row of `before`), less what a report covers.

    `reports` is compat_data.DATA: where it speaks, a row found here is superseded and dropped.
    """
    hand = Compat(with_found(reports, {}))
    merged = Merged({"schema": 1, "releases": new.get("releases") or before.get("releases", {})})
    pairs = {(r["tensorflow"], r["tensorflow_metal"]): r for r in [*before.get("pairs", ()), *new.get("pairs", ())]}
    kept = []
    for (tf, metal), row in pairs.items():
        reported = hand.pair(tf, metal)
        if reported.status == "unverified":
            kept.append(row)
        elif reported.status != row["status"]:
            merged.superseded.append(
                f"TensorFlow {tf} + tensorflow-metal {metal}: found {row['status']}, the report says {reported.status}"
            )
    merged.found["pairs"] = sorted(kept, key=lambda r: (python_key(r["tensorflow"]), python_key(r["tensorflow_metal"])))
    metal = {r["version"]: r for r in [*before.get("metal", ()), *new.get("metal", ())]}
    merged.found["metal"] = [metal[v] for v in sorted(metal, key=python_key) if hand.metal(v) is None]
    tensorflow = {(r["package"], r["release"]): r for r in [*before.get("tensorflow", ()), *new.get("tensorflow", ())]}
    merged.found["tensorflow"] = [
        tensorflow[key]
        for key in sorted(tensorflow, key=lambda k: (k[0], python_key(k[1])))
        if not _covered(hand, *key)
    ]
    merged.found["python_tags"] = _python_tags(hand, [*before.get("python_tags", ()), *new.get("python_tags", ())])
    return merged


def _covered(hand: Compat, package: str, release: str) -> bool:
    return hand.tensorflow(package, release) is not None


def _python_tags(hand: Compat, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per release, holding only the tags its report does not list yet."""
    by_release: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        key = (entry["package"], entry["version"])
        known = by_release.get(key, {}).get("python_arm64", [])
        by_release[key] = {**entry, "python_arm64": sorted({*known, *entry["python_arm64"]}, key=python_key)}
    kept = []
    for (package, version), entry in sorted(by_release.items(), key=lambda i: (i[0][0], python_key(i[0][1]))):
        if package == "tensorflow-metal":
            row = hand.metal(version)
            listed: tuple[str, ...] = row.python if row else ()
        else:
            tf = hand.tensorflow(package, version)
            listed = tf.python_arm64 if tf else ()
        extra = [p for p in entry["python_arm64"] if p not in listed]
        if extra:
            kept.append({**entry, "python_arm64": extra})
    return kept


def render(path: Path, value: object) -> str:
    """`value` as the literal of the generated module at `path`, under that file's own docstring."""
    header = _header(path)
    return header + _literal(value, 0, len(header.rsplit("\n", 1)[-1])) + "\n"


def write(found_file: Path, pairs_file: Path, found: dict[str, Any]) -> list[Path]:
    """Write `found` into the two modules, each only when it changes; the files written."""
    from tfm1.atomic import write_atomic

    written = []
    for path, value in (
        (found_file, {key: found[key] for key in SECTIONS if key in found}),
        (pairs_file, found.get("pairs", [])),
    ):
        text = render(path, value)
        if path.read_text(encoding="utf-8") != text:
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
    return written


def _literal(value: object, indent: int, used: int) -> str:
    """`value` as Python source at `indent` spaces, `used` columns of its first line already taken."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    inner = " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [
            f"{inner}{_string(str(k))}: {_literal(v, indent + 4, indent + 6 + len(_string(str(k))))},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(isinstance(v, str) for v in value):
            flat = "[" + ", ".join(_string(v) for v in value) + "]"
            if used + len(flat) + 1 <= WIDTH:  # the trailing comma of the entry it sits in
                return flat
        lines = [f"{inner}{_literal(v, indent + 4, indent + 4)}," for v in value]
        return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"
    raise TypeError(f"cannot write {type(value).__name__} into compat_found.py")


def _string(text: str) -> str:
    # ruff format prefers double quotes, and single ones where they spare escaping a double quote.
    if '"' in text and "'" not in text:
        return repr(text)
    return json.dumps(text, ensure_ascii=False)
