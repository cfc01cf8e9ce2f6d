"""Where Jupyter keeps kernelspecs, per platform (decided through the Host, so macOS is replayed on Linux), held
to jupyter_core's and jupyter_client's own answers where this machine can ask them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tfm1.host import live_host
from tfm1.host.snapshot import Snapshot, SnapshotHost
from tfm1.inspect.conda import conda_prefixes
from tfm1.jupyter.dirs import data_dir, kernel_dirs
from tfm1.jupyter.launch import find_spec, launch
from tfm1.jupyter.registration import kernel_name


def host(system: str, **env: str) -> SnapshotHost:
    return SnapshotHost(Snapshot({"system": system, "machine": "arm64"}, env=env))


@pytest.mark.parametrize(
    ("system", "env", "expected"),
    [
        ("Darwin", {"HOME": "/Users/ana"}, "/Users/ana/Library/Jupyter"),
        ("Darwin", {"HOME": "/Users/ana", "XDG_DATA_HOME": "/x"}, "/Users/ana/Library/Jupyter"),
        (
            "Darwin",
            {"HOME": "/Users/ana", "JUPYTER_PLATFORM_DIRS": "1"},
            "/Users/ana/Library/Application Support/jupyter",
        ),
        ("Darwin", {"HOME": "/Users/ana", "JUPYTER_PLATFORM_DIRS": "off"}, "/Users/ana/Library/Jupyter"),
        ("Darwin", {"HOME": "/Users/ana", "JUPYTER_DATA_DIR": "/data/j"}, "/data/j"),
        ("Linux", {"HOME": "/home/ana"}, "/home/ana/.local/share/jupyter"),
        ("Linux", {"HOME": "/home/ana", "XDG_DATA_HOME": "/xdg"}, "/xdg/jupyter"),
        ("Linux", {"HOME": "/home/ana", "JUPYTER_DATA_DIR": "/data/j"}, "/data/j"),
    ],
)
def test_the_user_data_dir_per_platform(system: str, env: dict[str, str], expected: str) -> None:
    assert data_dir(host(system, **env)) == expected


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"XDG_DATA_HOME": "/xdg"},
        {"JUPYTER_DATA_DIR": "/data/j"},
        {"JUPYTER_PATH": "/extra/a:/extra/b"},
        {"IPYTHONDIR": "/ipython"},
    ],
)
def test_linux_answers_match_jupyter_core(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core import paths

    for name in [n for n in os.environ if n.startswith(("JUPYTER_", "XDG_DATA_HOME", "IPYTHONDIR"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert data_dir(live_host()) == paths.jupyter_data_dir()
    # jupyter_client also searches the Jupyter server's own sys.prefix: not one tfm1 can know.
    server_prefix = str(Path(paths.ENV_JUPYTER_PATH[0], "kernels"))
    assert kernel_dirs(live_host(), []) == [p for p in KernelSpecManager().kernel_dirs if p != server_prefix]


def test_search_order_is_jupyter_path_then_user_then_system() -> None:
    files = {
        "/extra/kernels/TFM1-tf/kernel.json": {"file": True},
        "/home/ana/.local/share/jupyter/kernels/tfm1-tf/kernel.json": {"file": True},
        "/home/ana/.local/share/jupyter/kernels/tfm1-other/kernel.json": {"file": True},
        "/usr/share/jupyter/kernels/tfm1-other/kernel.json": {"file": True},
        "/usr/share/jupyter/kernels/tfm1-sys/kernel.json": {"file": True},
        "/usr/share/jupyter/kernels/empty/": {"dir": True},
    }
    env = {"HOME": "/home/ana", "JUPYTER_PATH": "/extra"}
    replay = SnapshotHost(Snapshot({"system": "Linux", "machine": "x86_64"}, env=env, files=files))
    # Kernel names are case-insensitive, as jupyter_client lists them lower-cased.
    prefixes = conda_prefixes(replay)
    assert find_spec(replay, "tfm1-tf", prefixes) == Path("/extra/kernels/TFM1-tf/kernel.json")
    assert find_spec(replay, "tfm1-other", prefixes) == Path(
        "/home/ana/.local/share/jupyter/kernels/tfm1-other/kernel.json"
    )
    assert find_spec(replay, "tfm1-sys", prefixes) == Path("/usr/share/jupyter/kernels/tfm1-sys/kernel.json")
    for missing in ("empty", "nothing"):
        with pytest.raises(Exception, match="no kernelspec of that name in /extra/kernels, "):
            find_spec(replay, missing, prefixes)


@pytest.mark.parametrize(
    ("folder", "name"),
    [("tf", "tfm1-tf"), ("My Env", "tfm1-my-env"), ("TF.2.19", "tfm1-tf.2.19"), ("ünï", "tfm1-n"), ("***", "tfm1-env")],
)
def test_kernel_names_are_ones_jupyter_accepts(folder: str, name: str) -> None:
    from jupyter_client.kernelspec import _is_valid_kernel_name

    assert kernel_name(Path("/envs") / folder) == name
    assert _is_valid_kernel_name(name)


def test_launch_fills_env_like_jupyter_client(tmp_path: Path) -> None:
    from jupyter_client.kernelspec import KernelSpec

    spec = tmp_path / "kernel.json"
    env = {"PATH": "/opt/x/bin:${PATH}", "LITERAL": "$NOT_SET", "PLAIN": "1"}
    spec.write_text(json.dumps({"argv": ["/opt/x/bin/python", "-m", "k"], "display_name": "x", "env": env}))
    started = launch(spec, {"PATH": "/usr/bin", "HOME": "/h"})
    assert started.python == "/opt/x/bin/python"
    assert started.env == {"PATH": "/opt/x/bin:/usr/bin", "HOME": "/h", "LITERAL": "$NOT_SET", "PLAIN": "1"}
    assert KernelSpec.from_resource_dir(str(tmp_path)).env == env  # the same document, read by Jupyter


@pytest.mark.parametrize("content", ["{", "[]", '{"argv": []}', '{"argv": ["/p"], "env": {"A": 1}}'])
def test_a_broken_kernelspec_is_a_usage_error(tmp_path: Path, content: str) -> None:
    spec = tmp_path / "kernel.json"
    spec.write_text(content)
    with pytest.raises(Exception, match="kernelspec") as caught:
        launch(spec, {})
    assert getattr(caught.value, "exit_code", None) == 2
