"""A record (a dataclass or a NamedTuple) as JSON: its fields in their order, as values `json.dumps` writes as
they are. The one way tfm1's results write their `to_json`, so a new field reaches the JSON by itself.

Neither `dataclasses` nor `pathlib` is imported at the top: doctor's findings use this at every start, and both
modules cost doctor's start-up time (tests/test_cli.py). A dataclass's own class has loaded `dataclasses` already.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any


def record_json(
    record: object, *, rename: Mapping[str, str] | None = None, omit: Collection[str] = (), **values: Any
) -> dict[str, Any]:
    """`record`'s fields in their order, each through `json_value`: a keyword of `values` gives the field of that
    name another value, `rename` the field another key, `omit` leaves it out."""
    fields = _fields(record)
    renamed = rename or {}
    unknown = set(values).union(renamed, omit).difference(fields)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {', '.join(sorted(unknown))}")
    return {
        renamed.get(name, name): json_value(values.get(name, value))
        for name, value in fields.items()
        if name not in omit
    }


def json_value(value: object) -> Any:
    """A nested record by its own `to_json` (else by its fields), a mapping as a dict, a tuple or list as a list,
    a path as a string, and anything else as it is."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    if _is_named_tuple(value) or _is_dataclass(value):
        return record_json(value)
    if isinstance(value, Mapping):
        return {key: json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _fields(record: object) -> dict[str, Any]:
    if isinstance(record, tuple) and hasattr(record, "_asdict"):  # a NamedTuple
        return dict(record._asdict())
    if _is_dataclass(record):
        import dataclasses

        return {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}  # type: ignore[arg-type]
    raise TypeError(f"{type(record).__name__} is neither a dataclass nor a NamedTuple")


def _is_named_tuple(value: object) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_asdict")


def _is_dataclass(value: object) -> bool:
    # What dataclasses.is_dataclass checks for an instance, without importing dataclasses for a NamedTuple.
    return not isinstance(value, type) and hasattr(type(value), "__dataclass_fields__")
