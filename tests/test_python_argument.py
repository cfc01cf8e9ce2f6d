"""One reading of `--python X` for doctor and verify: a path, a folder with bin/python, or a name on PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfm1.errors import UsageError
from tfm1.host import live_host
from tfm1.inspect.python_argument import resolve_python
from tfm1.verify.target import choose_target


def _interpreter(folder: Path) -> Path:
    python = folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n", encoding="utf-8")
    python.chmod(0o755)
    return python


def test_a_folder_a_relative_path_and_a_name_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python = _interpreter(tmp_path / "env")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(python.parent))
    host = live_host()
    assert resolve_python(host, str(tmp_path / "env"), live=True) == (str(python), None)
    assert resolve_python(host, "env/bin/python", live=True) == (str(python), None)
    assert resolve_python(host, "python", live=True) == (str(python), None)
    assert resolve_python(host, "env/bin/python", live=False) == ("env/bin/python", "not absolute")
    assert resolve_python(host, "no-such-python3.99", live=True).problem == "not found"
    assert resolve_python(host, str(tmp_path), live=True).problem == "folder without bin/python"
    assert resolve_python(host, str(tmp_path / "nope"), live=True).problem == "no such file"


def test_verify_reads_python_as_doctor_does(tmp_path: Path) -> None:
    python = _interpreter(tmp_path / "env")
    found = choose_target(live_host(), python=str(tmp_path / "env"), prefix=None, name=None)
    assert (found.python, found.source) == (str(python), "--python")
    with pytest.raises(UsageError, match=f"--python: no Python interpreter at {tmp_path}/bin/python"):
        choose_target(live_host(), python=str(tmp_path), prefix=None, name=None)
