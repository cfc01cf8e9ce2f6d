"""Every command's `--json` ends with the one envelope (tfm1.envelope), a failure included: a command added
without it fails here, since the cases are read from the typer app itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

import pytest
import typer.main

from tests.support.cli import envelope_of
from tfm1.cli import build_app, main

MISSING = "/nonexistent/tfm1-test"

# One cheap failure each: bad input the command itself rejects, after `--json` is known.
FAILURES: dict[str, list[str]] = {
    "setup": ["--lockfile", MISSING, "--yes"],
    "remove": ["--prefix", MISSING, "--yes"],
    "doctor": ["--snapshot", MISSING],
    "verify": ["--python", MISSING],
    "matrix": ["--tf", "not-a-version"],
    "profiles": ["--envs", MISSING],
    "lock": ["--check", "--profile", "no-such-profile"],
    "compat update": ["--index-url", "http://127.0.0.1:9/simple/", "--max-pairs", "0"],
    "compat confirm": ["--run", "https://example.invalid/run", "--commit", "0" * 40, "--profile", "no-such-profile"],
    "bundle": ["--check", MISSING],
    "compat page": ["--check"],  # no bad input to give: its result, ok or not, is still the envelope
}


Command: TypeAlias = Any  # a command of the click that typer carries inside it (`typer._click`): no public name


def commands() -> list[tuple[str, Command]]:
    """Every runnable command of the app, by the words typed after `tfm1`."""
    found = []

    def walk(prefix: str, group: Command) -> None:
        for name, command in getattr(group, "commands", {}).items():
            words = f"{prefix} {name}".strip()
            if getattr(command, "commands", None):
                walk(words, command)
            else:
                found.append((words, command))

    walk("", typer.main.get_command(build_app()))
    return found


@pytest.mark.parametrize(("words", "command"), commands(), ids=[words for words, _ in commands()])
def test_every_command_has_json_and_fails_in_its_envelope(
    words: str,
    command: Command,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "--json" in {option for param in command.params for option in getattr(param, "opts", [])}, words
    assert words in FAILURES, f"tfm1 {words}: add its cheap failure to FAILURES"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = main([*words.split(), *FAILURES[words], "--json"])
    out = capsys.readouterr().out
    envelope = envelope_of(out, code)
    assert envelope["command"] == words
    if words != "compat page":
        assert code != 0 and envelope["ok"] is False and envelope["error"]["message"], envelope
