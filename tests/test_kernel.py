"""The environment as a Jupyter kernel: setup registers it, Jupyter's own code finds and starts it, remove and
update handle only the kernelspec tfm1 wrote, and a foreign or unwritable one is dealt with in one clear line.

Every run has its own Jupyter data dir (`JUPYTER_DATA_DIR` under tmp_path, set by the world); jupyter_client is
the judge of what Jupyter sees.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import one_error
from tests.support.pypi_index import make_wheel
from tests.support.setup_world import World, json_steps, tfm1


def spec_file(world: World, name: str = "tfm1-tf") -> Path:
    return Path(world.env["JUPYTER_DATA_DIR"]) / "kernels" / name / "kernel.json"


def receipt(world: World) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((world.prefix / "etc/tfm1/receipt.json").read_text())
    return data


def steps(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return json_steps(result.stdout)


@pytest.fixture
def jupyter_env(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """This process sees the world's Jupyter data dir, as a Jupyter started in that shell would."""
    for name in [n for n in os.environ if n.startswith("JUPYTER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JUPYTER_DATA_DIR", world.env["JUPYTER_DATA_DIR"])
    monkeypatch.setenv("IPYTHONDIR", str(world.tmp / "ipython"))
    return world


def test_setup_registers_a_kernel_jupyter_finds_and_starts(jupyter_env: World) -> None:
    world = jupyter_env
    result = world.setup("--json")
    assert result.returncode == 0, result.stderr
    (kernel_step,) = [s for s in steps(result) if s["step"] == "kernel"]
    spec = spec_file(world)
    assert kernel_step["status"] == "ok" and kernel_step["path"] == str(spec)
    document = json.loads(spec.read_text())
    python = world.prefix / "bin" / "python"
    assert document["argv"] == [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert document["display_name"].endswith("(tfm1 custom)") and document["language"] == "python"
    assert receipt(world)["kernel"] == {"path": str(spec), "sha256": hashlib.sha256(spec.read_bytes()).hexdigest()}

    from jupyter_client.kernelspec import KernelSpecManager

    manager = KernelSpecManager()
    assert manager.find_kernel_specs()["tfm1-tf"] == str(spec.parent)
    found = manager.get_kernel_spec("tfm1-tf")
    assert Path(found.argv[0]) == python and Path(found.argv[0]).resolve() == python.resolve()

    # A real kernel: the test environment has no ipykernel, so it sees this test run's through a .pth file
    # (its sys.prefix stays the environment's own).
    import ipykernel

    (site,) = (world.prefix / "lib").glob("python3.*/site-packages")
    (site / "dev-site.pth").write_text(str(Path(ipykernel.__file__).parents[1]) + "\n")
    assert run_in_kernel("tfm1-tf", manager, "import sys; print(sys.prefix)") == str(world.prefix)


def run_in_kernel(name: str, specs: Any, code: str) -> str:
    from jupyter_client.manager import KernelManager

    kernel = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    kernel.start_kernel()
    client = kernel.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        printed: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        reply = client.execute_interactive(code, timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(printed).strip()
    except queue.Empty:
        pytest.fail("the kernel did not answer within 60 s")
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)


def test_no_kernel_registers_none_and_a_rerun_without_it_adds_only_the_kernel(world: World) -> None:
    result = world.setup("--no-kernel")
    assert result.returncode == 0, result.stderr
    assert not Path(world.env["JUPYTER_DATA_DIR"]).exists()
    assert receipt(world)["kernel"] is None
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert "already set up" in again.stdout and "Jupyter kernel tfm1-tf registered" in again.stdout
    assert receipt(world)["kernel"]["path"] == str(spec_file(world))


def test_update_replaces_the_kernel_tfm1_wrote(world: World) -> None:
    assert world.setup().returncode == 0
    first = receipt(world)["kernel"]
    # An older tfm1 wrote something else in it (same hash as recorded): still tfm1's to replace.
    spec = spec_file(world)
    spec.write_text('{"argv": ["/old/python"], "display_name": "old", "language": "python"}\n')
    first["sha256"] = hashlib.sha256(spec.read_bytes()).hexdigest()
    old = receipt(world) | {"kernel": first}
    (world.prefix / "etc/tfm1/receipt.json").write_text(json.dumps(old))
    world.index.add_wheel(make_wheel(world.tmp / "wheels2", "tfm1-extra", "2.0"))
    world.write_lock()
    updated = world.setup("--update")
    assert updated.returncode == 0, updated.stderr
    assert json.loads(spec.read_text())["argv"][0] == str(world.prefix / "bin" / "python")
    assert receipt(world)["kernel"]["sha256"] == hashlib.sha256(spec.read_bytes()).hexdigest()
    assert sorted(p.name for p in spec.parent.parent.iterdir()) == ["tfm1-tf"]


def test_a_foreign_kernel_of_the_same_name_is_kept_unless_forced(world: World) -> None:
    spec = spec_file(world)
    spec.parent.mkdir(parents=True)
    foreign = '{"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"]}\n'
    spec.write_text(foreign)
    refused = world.setup()
    assert refused.returncode == 1
    assert f"a Jupyter kernel named tfm1-tf already exists ({spec.parent})" in refused.stderr
    assert "--no-kernel" in refused.stderr and "--force" in refused.stderr
    one_error(refused.stderr)
    assert spec.read_text() == foreign and not world.prefix.exists()  # refused before anything was installed

    skipped = world.setup("--no-kernel")
    assert skipped.returncode == 0, skipped.stderr
    assert spec.read_text() == foreign and receipt(world)["kernel"] is None

    forced = world.setup("--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(spec.read_text())["argv"][0] == str(world.prefix / "bin" / "python")
    assert receipt(world)["kernel"]["sha256"] == hashlib.sha256(spec.read_bytes()).hexdigest()


def test_remove_removes_only_the_kernel_tfm1_wrote(world: World) -> None:
    assert world.setup().returncode == 0
    spec = spec_file(world)
    removed = tfm1("remove", "--prefix", str(world.prefix), "--yes", env=world.env)
    assert removed.returncode == 0, removed.stderr
    assert "removed the Jupyter kernel tfm1-tf" in removed.stdout
    assert not spec.parent.exists() and spec.parent.parent.is_dir()

    assert world.setup().returncode == 0
    spec.write_text(spec.read_text().replace("tfm1 custom", "edited by hand"))
    kept = tfm1("remove", "--prefix", str(world.prefix), "--yes", env=world.env)
    assert kept.returncode == 0, kept.stderr
    assert "left the Jupyter kernel" in kept.stdout and "jupyter kernelspec remove tfm1-tf" in kept.stdout
    assert "edited by hand" in spec.read_text() and not world.prefix.exists()


def test_a_receipt_naming_another_file_never_deletes_it(world: World) -> None:
    assert world.setup().returncode == 0
    bystander = world.tmp / "notes.txt"
    bystander.write_text("mine")
    forged = receipt(world) | {"kernel": {"path": str(bystander), "sha256": hashlib.sha256(b"mine").hexdigest()}}
    (world.prefix / "etc/tfm1/receipt.json").write_text(json.dumps(forged))
    removed = tfm1("remove", "--prefix", str(world.prefix), "--yes", env=world.env)
    assert removed.returncode == 0, removed.stderr
    assert bystander.read_text() == "mine"


@pytest.fixture
def read_only_kernels(world: World) -> Iterator[Path]:
    """The world's `kernels` folder, made unwritable (immutable as root, where permissions stop nothing)."""
    folder = Path(world.env["JUPYTER_DATA_DIR"]) / "kernels"
    folder.mkdir(parents=True)
    root = os.geteuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield folder
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)


def test_an_unwritable_jupyter_dir_keeps_the_environment_and_says_how_to_add_the_kernel(
    world: World, read_only_kernels: Path
) -> None:
    result = world.setup("--json")
    assert result.returncode == 0, result.stderr
    (warning,) = [s for s in steps(result) if s["step"] == "kernel"]
    assert warning["status"] == "warning" and str(read_only_kernels) in warning["message"]
    assert "writable" in warning["fix"] and "re-run" in warning["fix"]
    assert receipt(world)["kernel"] is None and (world.prefix / "bin" / "python").exists()
    assert list(read_only_kernels.iterdir()) == []
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(read_only_kernels)], check=True)
    read_only_kernels.chmod(0o755)
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert receipt(world)["kernel"]["path"] == str(spec_file(world))


def plant_kernel(folder: Path, python: str, env: dict[str, str]) -> Path:
    """A kernelspec as `ipykernel install` writes one, with an `env` whose effect the smoke test reports."""
    spec = folder / "kernel.json"
    spec.parent.mkdir(parents=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.write_text(json.dumps({"argv": argv, "display_name": "planted", "language": "python", "env": env}))
    return spec


def planted_tensorflow(tmp: Path) -> Path:
    site = tmp / "planted-site"
    (site / "tensorflow").mkdir(parents=True)
    (site / "tensorflow" / "__init__.py").write_text('raise ImportError("planted by the kernel env")\n')
    return site


def test_setup_verifies_through_the_kernel_jupyter_finds_first(world: World) -> None:
    site = planted_tensorflow(world.tmp)
    shadow = world.tmp / "shadow"
    plant_kernel(shadow / "kernels" / "tfm1-tf", sys.executable, {"PYTHONPATH": f"{site}:${{PYTHONPATH}}"})
    command = ["setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix), "--yes", "--json"]
    result = tfm1(*command, env={**world.env, "JUPYTER_PATH": str(shadow)})
    assert result.returncode == 1, result.stderr  # the planted TensorFlow cannot import
    done = steps(result)
    warning = next(s for s in done if s["step"] == "kernel" and s["status"] == "warning")
    assert (
        f"Jupyter finds another kernel named tfm1-tf first ({shadow}/kernels/tfm1-tf/kernel.json" in warning["message"]
    )
    verify = next(s for s in done if s["step"] == "verify")
    assert verify["result"]["python"] == sys.executable
    assert "planted by the kernel env" in verify["result"]["verdict"]
    assert spec_file(world).is_file()  # tfm1's own kernelspec was written all the same


def test_verify_kernel_runs_the_specs_interpreter_in_the_specs_environment(tmp_path: Path) -> None:
    data = tmp_path / "jupyter"
    site = planted_tensorflow(tmp_path)
    plant_kernel(data / "kernels" / "Planted", sys.executable, {"PYTHONPATH": str(site)})
    env = {**os.environ, "JUPYTER_DATA_DIR": str(data), "HOME": str(tmp_path)}
    env.pop("JUPYTER_PATH", None)
    result = tfm1("verify", "--kernel", "planted", "--quick", "--json", env=env)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["python"] == sys.executable
    assert document["target"]["source"] == f"--kernel {data}/kernels/Planted/kernel.json"
    assert "planted by the kernel env" in document["verdict"]
    # The same interpreter without the kernel's env imports no planted TensorFlow.
    plain = tfm1("verify", "--python", sys.executable, "--quick", "--json", env=env)
    assert "planted" not in json.loads(plain.stdout)["verdict"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("nothing", "--kernel nothing: no kernelspec of that name in "), ("broken", "cannot be run")],
)
def test_verify_kernel_that_cannot_be_used_is_one_line(tmp_path: Path, name: str, message: str) -> None:
    plant_kernel(tmp_path / "jupyter" / "kernels" / "broken", str(tmp_path / "no-python"), {})
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "jupyter"), "HOME": str(tmp_path)}
    result = tfm1("verify", "--kernel", name, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    one_error(result.stderr)


def test_a_rebuild_with_another_jupyter_dir_moves_the_kernel(world: World) -> None:
    assert world.setup().returncode == 0
    old = spec_file(world)
    moved = world.tmp / "jupyter2"
    rebuilt = world.setup("--force", JUPYTER_DATA_DIR=str(moved))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not old.parent.exists()
    assert receipt(world)["kernel"]["path"] == str(moved / "kernels" / "tfm1-tf" / "kernel.json")


def test_an_environment_deleted_by_hand_gets_its_kernel_back(world: World) -> None:
    assert world.setup().returncode == 0
    shutil.rmtree(world.prefix)  # its receipt, and so the kernel's record, is gone; the kernelspec's marker is not
    again = world.setup()
    assert again.returncode == 0, again.stderr
    assert receipt(world)["kernel"]["sha256"] == hashlib.sha256(spec_file(world).read_bytes()).hexdigest()
    # The same marker for another prefix is not enough.
    other = world.tmp / "envs" / "other" / "tf"
    refused = world.setup("--prefix", str(other))
    assert refused.returncode == 1 and "already exists" in refused.stderr and not other.exists()


def test_the_plan_names_the_kernel_and_a_dry_run_writes_none(world: World) -> None:
    planned = world.setup("--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert f"kernel        {spec_file(world)}" in planned.stdout
    assert not Path(world.env["JUPYTER_DATA_DIR"]).exists()
    without = world.setup("--dry-run", "--no-kernel", "--json")
    (plan,) = [s for s in steps(without) if s["step"] == "plan"]
    assert plan["kernel"] is None
