"""Every command's outcome in one envelope: `{"command", "ok", "result", "error"}` plus the command's own fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest

from tfm1.envelope import Outcome, emit, failed
from tfm1.errors import ExitCode, Tfm1Error, UsageError


class Found(NamedTuple):
    path: Path
    files: int


def test_a_result_is_written_by_its_fields_and_the_command_s_own_keys_follow() -> None:
    outcome = Outcome("doctor", ExitCode.OK, Found(Path("/x"), 2), fields={"next_step": "tfm1 setup"})
    assert outcome.to_json() == {
        "command": "doctor",
        "ok": True,
        "result": {"path": "/x", "files": 2},
        "error": None,
        "next_step": "tfm1 setup",
    }


def test_a_failure_is_not_ok_with_or_without_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert Outcome("verify", ExitCode.FAILED, Found(Path("/x"), 0)).to_json()["ok"] is False  # ran, and found a problem
    code = emit(failed("lock", UsageError("no such profile", "tfm1 profiles")), as_json=True)
    out, err = capsys.readouterr()
    assert code == ExitCode.USAGE and len(out.splitlines()) == 1
    assert json.loads(out) == {
        "command": "lock",
        "ok": False,
        "result": None,
        "error": {"message": "no such profile", "fix": "tfm1 profiles", "exit_code": 2},
    }
    assert err == "tfm1: error: no such profile.\n  fix: tfm1 profiles\n"  # people read it on stderr in either mode


def test_people_get_the_command_s_renderer_and_no_json(capsys: pytest.CaptureFixture[str]) -> None:
    shown: list[object] = []
    assert emit(Outcome("setup", ExitCode.OK, "done"), as_json=False, human=shown.append) == 0
    assert shown == ["done"] and capsys.readouterr() == ("", "")
    emit(failed("setup", Tfm1Error("broke", "")), as_json=False, human=shown.append)
    assert shown == ["done"] and capsys.readouterr().err == "tfm1: error: broke.\n"  # no result to show
