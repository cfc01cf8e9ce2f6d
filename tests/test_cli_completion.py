"""Shell completion: the scripts `tfm1 --show-completion` / `--install-completion` give each shell, and the
candidates the completion entry (typer's `_TFM1_COMPLETE` protocol) answers with, asked in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import tfm1

SHELLS = {
    # shell: (what its script must contain, the files --install-completion writes under HOME)
    "zsh": ("_TFM1_COMPLETE=complete_zsh", [".zfunc/_tfm1", ".zshrc"]),
    "bash": ("_TFM1_COMPLETE=complete_bash", [".bash_completions/tfm1.sh", ".bashrc"]),
    "fish": ("_TFM1_COMPLETE=complete_fish", [".config/fish/completions/tfm1.fish"]),
}


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDA", "VIRTUAL_ENV", "_TFM1", "COMP_"))}
    # typer's documented switch for tests: the shell is named on the command line instead of detected from the
    # process tree (the parent here is pytest, not a shell).
    return {**env, "HOME": str(home), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", **extra}


def _files(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())


@pytest.mark.parametrize("shell", SHELLS)
def test_show_completion_prints_the_shells_script_and_writes_nothing(tmp_path: Path, shell: str) -> None:
    result = tfm1("--show-completion", shell, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert SHELLS[shell][0] in result.stdout and "tfm1" in result.stdout
    assert _files(tmp_path) == []


@pytest.mark.parametrize("shell", SHELLS)
def test_install_completion_writes_only_under_home(tmp_path: Path, shell: str) -> None:
    result = tfm1("--install-completion", shell, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"{shell} completion installed in" in result.stdout
    assert _files(tmp_path) == SHELLS[shell][1]
    written = _lines(tmp_path)
    assert SHELLS[shell][0] in "\n".join(written[SHELLS[shell][1][0]])  # the script itself
    again = tfm1("--install-completion", shell, env=_env(tmp_path))  # a second run adds no line twice
    assert again.returncode == 0 and _lines(tmp_path) == written


def _lines(home: Path) -> dict[str, list[str]]:
    return {name: [line for line in (home / name).read_text().splitlines() if line.strip()] for name in _files(home)}


def _bash_candidates(home: Path, line: str) -> list[str]:
    words = line.split(" ")
    env = _env(home, _TFM1_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    result = tfm1(env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_profile_completes_the_profiles_in_envs(tmp_path: Path) -> None:
    assert _bash_candidates(tmp_path, "tfm1 setup --profile ") == ["metal", "cpu", "keras2", "tensorflow-macos"]
    assert _bash_candidates(tmp_path, "tfm1 setup --profile k") == ["keras2"]
    assert _bash_candidates(tmp_path, "tfm1 lock --profile te") == ["tensorflow-macos"]


def test_profile_completion_reads_the_envs_folder_of_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "envs" / "mine").mkdir(parents=True)
    (tmp_path / "envs" / "mine" / "environment.yml").write_text("name: mine\n")
    env = _env(tmp_path, _TFM1_COMPLETE="complete_bash", COMP_WORDS="tfm1 setup --profile ", COMP_CWORD="3")
    assert tfm1(env=env, cwd=tmp_path).stdout.split() == ["mine"]


def _conda_env(prefix: Path) -> None:
    (prefix / "conda-meta").mkdir(parents=True)


def test_name_completes_the_conda_environments_doctor_sees(tmp_path: Path) -> None:
    root = tmp_path / "miniforge3"
    _conda_env(root)
    for name in ("tf", "tf-keras2", "other"):
        _conda_env(root / "envs" / name)
    assert sorted(_bash_candidates(tmp_path, "tfm1 verify --name ")) == ["other", "tf", "tf-keras2"]
    assert sorted(_bash_candidates(tmp_path, "tfm1 remove --name tf")) == ["tf", "tf-keras2"]
    zsh = tfm1(env=_env(tmp_path, _TFM1_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="tfm1 setup --name o"))
    assert zsh.returncode == 0 and '"other"' in zsh.stdout


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert "doctor" in _bash_candidates(tmp_path, "tfm1 d")
    assert "--save-snapshot" in _bash_candidates(tmp_path, "tfm1 doctor --sa")
