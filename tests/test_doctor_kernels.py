"""Jupyter kernels: found in Jupyter's data dirs, judged by their own interpreter, and `--kernel NAME`."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

from tests.support.cli import tfm1, tfm1_json
from tfm1.doctor import diagnose
from tfm1.host import LinuxHost
from tfm1.host.recorder import RecordingHost
from tfm1.host.snapshot import SnapshotHost, load_snapshot
from tfm1.inspect.conda import conda_prefixes
from tfm1.jupyter.dirs import data_dirs, kernel_dirs
from tfm1.jupyter.kernelspecs import find_kernels
from tfm1.jupyter.launch import find_spec

SCENARIO = Path(__file__).parent / "scenarios" / "m1-notebook-kernel-x86-anaconda.json"


def test_kernel_option_makes_the_kernels_interpreter_the_target() -> None:
    code, report = tfm1_json("doctor", "--snapshot", str(SCENARIO), "--kernel", "py39-intel")
    assert code == 1
    assert report["facts"]["python"]["path"] == "/Users/ana/anaconda3/envs/py39/bin/python"
    assert [f["code"] for f in report["findings"]][:2] == ["x86-python", "x86-tensorflow"]


def test_an_unknown_kernel_is_a_usage_error_naming_the_known_ones() -> None:
    result = tfm1("doctor", "--snapshot", str(SCENARIO), "--kernel", "nope")
    assert result.returncode == 2
    assert "no such Jupyter kernel (found: py39-intel, tf-old)" in result.stderr  # the R kernel is no Python


def test_kernel_facts_and_the_x86_tensorflow_evidence() -> None:
    _, report = tfm1_json("doctor", "--snapshot", str(SCENARIO))
    kernels = {k["name"]: k for k in report["facts"]["kernels"]}
    assert (kernels["py39-intel"]["archs"], kernels["tf-old"]["exists"]) == (["x86_64"], False)
    (x86,) = [f for f in report["findings"] if f["code"] == "kernel-x86"]
    assert x86["evidence"]["tensorflow"] == ["tensorflow 2.13.0"]


def _kernel(root: Path, data_dir: str, name: str, python: str) -> None:
    spec = root / data_dir.lstrip("/") / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [python, "-m", "ipykernel_launcher"], "language": "python"}))


def test_search_order_first_kernel_of_a_name_wins(tmp_path: Path) -> None:
    environ = {"HOME": "/home/ana", "JUPYTER_PATH": "/extra:relative", "PATH": "/usr/bin"}
    _kernel(tmp_path, "/extra", "py", "/from-jupyter-path/python")
    _kernel(tmp_path, "/home/ana/.local/share/jupyter", "py", "/from-user-dir/python")
    _kernel(tmp_path, "/home/ana/.local/share/jupyter", "user", "/u/python")
    _kernel(tmp_path, "/env/share/jupyter", "env", "/e/python")
    _kernel(tmp_path, "/usr/share/jupyter", "system", "/s/python")
    host = LinuxHost(root=str(tmp_path), environ=environ)
    assert data_dirs(host, ["/env"]) == [
        "/extra",
        "/home/ana/.local/share/jupyter",
        "/env/share/jupyter",
        "/usr/local/share/jupyter",
        "/usr/share/jupyter",
    ]
    found = {k.name: k.python for k in find_kernels(host, ["/env"])}
    assert found == {"py": "/from-jupyter-path/python", "user": "/u/python", "env": "/e/python", "system": "/s/python"}
    data_dir = LinuxHost(root=str(tmp_path), environ={**environ, "JUPYTER_DATA_DIR": "/jd"})
    assert "/jd" in data_dirs(data_dir, []) and "/home/ana/.local/share/jupyter" not in data_dirs(data_dir, [])


def test_damaged_kernelspecs_are_skipped(tmp_path: Path) -> None:
    spec = tmp_path / "home/.local/share/jupyter/kernels"
    for name, text in {"a": "[" * 5000, "b": '{"argv": []}', "c": '{"argv": [7]}', "d": "null"}.items():
        (spec / name).mkdir(parents=True)
        (spec / name / "kernel.json").write_text(text)
    host = LinuxHost(root=str(tmp_path), environ={"HOME": "/home", "PATH": ""})
    assert find_kernels(host, []) == []


def test_kernels_are_recorded_and_replay_the_same() -> None:
    source = SnapshotHost(load_snapshot(SCENARIO.read_text()))
    recorder = RecordingHost(source)
    live = diagnose(recorder)
    replay = SnapshotHost(load_snapshot(json.dumps(recorder.snapshot.to_json())))
    assert diagnose(replay).to_json() == live.to_json()
    assert "kernel-x86" in live.codes


def test_doctor_and_setup_search_the_same_user_dir(tmp_path: Path) -> None:
    # One reading of Jupyter's directories: doctor finds the kernel where setup would register one.
    environ = {"HOME": "/home/ana", "XDG_DATA_HOME": "/xdg", "JUPYTER_PATH": "relative:/extra/", "PATH": "/usr/bin"}
    _kernel(tmp_path, "/xdg/jupyter", "mine", "/m/python")
    host = LinuxHost(root=str(tmp_path), environ=environ)
    assert data_dirs(host, []) == ["/extra", "/xdg/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"]
    kernels = [posixpath.join(d, "kernels") for d in data_dirs(host, [])]
    assert kernel_dirs(host, []) == [*kernels, "/home/ana/.ipython/kernels"]  # IPython's folder comes last
    assert {k.name: k.python for k in find_kernels(host, [])} == {"mine": "/m/python"}


def test_a_tfm1_kernel_without_its_environment_points_at_tfm1_setup(tmp_path: Path) -> None:
    _kernel(tmp_path, "/home/ana/.local/share/jupyter", "tfm1-tf", "/home/ana/miniforge3/envs/tf/bin/python")
    _kernel(tmp_path, "/home/ana/.local/share/jupyter", "other", "/gone/bin/python")
    host = LinuxHost(root=str(tmp_path), environ={"HOME": "/home/ana", "PATH": "/usr/bin"})
    missing = [f for f in diagnose(host).findings if f.code == "kernel-missing-env"]
    fixes = {f.evidence["kernel"].split("/")[-2]: list(f.fix) for f in missing}  # .../kernels/NAME/kernel.json
    tf_prefix = "/home/ana/miniforge3/envs/tf"
    assert fixes["tfm1-tf"] == [f"tfm1 setup --prefix {tf_prefix}", "jupyter kernelspec uninstall tfm1-tf"]
    assert fixes["other"][0] == "jupyter kernelspec uninstall other"


def test_doctor_and_verify_find_the_same_kernel_for_a_name(tmp_path: Path) -> None:
    # One lookup by name: the folder's name in any case, the first in Jupyter's order, an environment's
    # share/jupyter and IPython's kernels folder included. Every kernel runs its own python, so the interpreter
    # doctor targets tells which kernelspec it found.
    def spec(python: str) -> dict[str, object]:
        return {"text": json.dumps({"argv": [python, "-m", "ipykernel_launcher"], "language": "python"})}

    root = "/home/ana/miniforge3"
    files: dict[str, dict[str, object]] = {
        f"{root}/conda-meta/history": {"file": True},
        f"{root}/envs/tf/conda-meta/history": {"file": True},
        "/home/ana/.local/share/jupyter/kernels/Mixed/kernel.json": spec("/user/bin/python"),
        "/usr/share/jupyter/kernels/mixed/kernel.json": spec("/system/bin/python"),  # found after the user's
        f"{root}/envs/tf/share/jupyter/kernels/in-env/kernel.json": spec("/env/bin/python"),
        "/home/ana/.ipython/kernels/ipy/kernel.json": spec("/ipython/bin/python"),
    }
    snapshot = {
        "tfm1_snapshot": 2,
        "platform": {"system": "Linux", "machine": "x86_64"},
        "env": {"HOME": "/home/ana", "PATH": "/usr/bin"},
        "files": files,
    }
    path = tmp_path / "host.json"
    path.write_text(json.dumps(snapshot))
    host = SnapshotHost(load_snapshot(path.read_text()))
    expected = {
        "mixed": "/user/bin/python",
        "MIXED": "/user/bin/python",
        "in-env": "/env/bin/python",
        "ipy": "/ipython/bin/python",
    }
    for name, python in expected.items():
        found = find_spec(host, name, conda_prefixes(host))  # `tfm1 verify --kernel NAME`
        assert json.loads(str(files[str(found)]["text"]))["argv"][0] == python
        _, report = tfm1_json("doctor", "--snapshot", str(path), "--kernel", name)
        assert report["facts"]["python"]["path"] == python, name
