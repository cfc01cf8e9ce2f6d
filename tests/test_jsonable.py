"""Records as JSON: fields in order, tuples as lists, paths as strings, nested records through their own JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import pytest

from tfm1.jsonable import record_json


class Pin(NamedTuple):
    name: str
    versions: tuple[str, ...] = ()
    extra: Any = MappingProxyType({})


@dataclass(frozen=True)
class Own:
    value: int

    def to_json(self) -> dict[str, Any]:
        return {"own": self.value}


@dataclass
class Record:
    path: Path
    pins: list[Pin]
    pairs: dict[str, tuple[str, str]]
    own: Own | None = None
    notes: list[str] = field(default_factory=list)


def test_fields_in_order_with_json_values() -> None:
    record = Record(Path("/e/lock.yml"), [Pin("numpy", ("1", "2"), MappingProxyType({"a": (1,)}))], {"x": ("1", "2")})
    assert record_json(record) == {
        "path": "/e/lock.yml",
        "pins": [{"name": "numpy", "versions": ["1", "2"], "extra": {"a": [1]}}],
        "pairs": {"x": ["1", "2"]},
        "own": None,
        "notes": [],
    }
    assert list(record_json(record)) == ["path", "pins", "pairs", "own", "notes"]
    assert record_json(Record(Path("p"), [], {}, own=Own(3)))["own"] == {"own": 3}


def test_values_rename_and_omit_keep_the_field_order() -> None:
    record = Record(Path("p"), [], {}, notes=["n"])
    document = record_json(record, rename={"pins": "packages"}, omit={"pairs"}, path="elsewhere")
    assert list(document.items()) == [("path", "elsewhere"), ("packages", []), ("own", None), ("notes", ["n"])]


def test_the_lists_are_new_so_the_json_never_aliases_the_record() -> None:
    record = Record(Path("p"), [], {}, notes=["n"])
    record_json(record)["notes"].append("changed")
    assert record.notes == ["n"]
    assert json.loads(json.dumps(record_json(Pin("x")))) == {"name": "x", "versions": [], "extra": {}}


@pytest.mark.parametrize(
    ("keywords", "unknown"), [({"rename": {"nope": "x"}}, "nope"), ({"omit": ("gone",)}, "gone"), ({"typo": 1}, "typo")]
)
def test_a_name_that_is_not_a_field_is_a_mistake(keywords: dict[str, Any], unknown: str) -> None:
    with pytest.raises(TypeError, match=f"Record has no field {unknown}"):
        record_json(Record(Path("p"), [], {}), **keywords)


def test_only_records_have_fields() -> None:
    with pytest.raises(TypeError, match="neither a dataclass nor a NamedTuple"):
        record_json({"a": 1})
