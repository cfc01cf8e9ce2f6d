"""A per-test world for `tfm1 setup` tests: a copy of a test-time conda channel and package index, served on
127.0.0.1, a conda-lock v1 lockfile pointing at them, private caches, and `world.setup(...)` running `tfm1 setup`:
in this process through the CLI's own entry (`tfm1.cli.main`, so the plan is built and carried out exactly as the
command does it, with the world's environment), or with `world.setup_process(...)` as the real `python -m tfm1 setup`
in a subprocess, for what only a process shows (signals, kills, a terminal, start-up imports).

Fixtures in a test module:

    @pytest.fixture(scope="session")
    def built(tmp_path_factory): return build_inputs(tmp_path_factory)

    @pytest.fixture
    def world(tmp_path, built): yield from make_world(tmp_path, built)
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import tfm1 as tfm1_process
from tests.support.conda_channel import Channel, CondaPackage, build_channel, build_package, write_conda_lock
from tests.support.http import StaticServer
from tests.support.pypi_index import PackageIndex, build_index, make_wheel


@dataclass
class World:
    tmp: Path
    channel: Channel
    index: PackageIndex
    conda_server: StaticServer
    pypi_server: StaticServer
    lock: Path
    env: dict[str, str]

    @property
    def prefix(self) -> Path:
        return self.tmp / "envs" / "tf"

    def write_lock(self, platform: str | None = None) -> Path:
        return write_conda_lock(
            self.lock,
            self.conda_server.url,
            self.channel.packages,
            self.index.locks(self.pypi_server.url),
            platform=platform,
        )

    def setup(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """`tfm1 setup` into this world's prefix (unless `--name` or `--prefix` is given), in this process."""
        return tfm1(*self._setup_command(args), env={**self.env, **env})

    def setup_process(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        """The same as the real `python -m tfm1 setup` in a subprocess."""
        return tfm1_process(*self._setup_command(args), env={**self.env, **env}, timeout=timeout)

    def _setup_command(self, args: tuple[str, ...]) -> list[str]:
        command = ["setup", "--lockfile", str(self.lock), "--yes", "--no-verify", *args]
        if "--name" not in args and "--prefix" not in args:
            command += ["--prefix", str(self.prefix)]
        return command

    def start_setup(self, *args: str, **env: str) -> subprocess.Popen[str]:
        """`tfm1 setup` into this world's prefix, running in the background (to interrupt it or read it live)."""
        command = ["setup", "--lockfile", str(self.lock), "--yes", "--no-verify", *args]
        if "--name" not in args and "--prefix" not in args:
            command += ["--prefix", str(self.prefix)]
        return subprocess.Popen(
            [sys.executable, "-m", "tfm1", *command],
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def current_step(self) -> str | None:
        """The step the running setup's journal names: it is written just before the step starts (the prefix
        exists from the `conda` step on), so an interrupt sent then lands in that step. None before there is one."""
        from tfm1.setup.journal import journal_path

        try:
            step = json.loads(journal_path(self.prefix).read_text(encoding="utf-8")).get("step")
        except (OSError, ValueError):
            return None  # not written yet, or being replaced
        return step if isinstance(step, str) else None

    def wait_for_step(self, step: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.current_step() != step:
            if time.monotonic() > deadline:
                raise AssertionError(f"setup never reached its {step} step")
            time.sleep(0.05)

    def conda_path(self, name: str) -> str:
        package = self.channel.package(name)
        return f"/{package.subdir}/{package.filename}"

    def wheel_path(self) -> str:
        return f"/files/{self.index.wheels[0].name}"


def tfm1(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`tfm1 ARGS` in this process, through the CLI's entry, with `env` as the whole environment and `cwd` as the
    current folder while it runs; its exit status and what it wrote to stdout and stderr."""
    from tfm1.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _environment(env), _folder(cwd or Path.cwd()), redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(["tfm1", *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _folder(cwd: Path) -> Iterator[None]:
    saved = Path.cwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved)


def setup_and_remove(
    world: World, target: Path, flags: list[str], cwd: Path, env: dict[str, str]
) -> list[tuple[subprocess.CompletedProcess[str], str]]:
    """`tfm1 setup --force` into `target` with `flags`, then `tfm1 remove` of it, both run from `cwd`: each result with
    the verb its refusal would use."""
    runs = (
        (["setup", "--lockfile", str(world.lock), "--prefix", str(target), *flags, "--force"], "replaces"),
        (["remove", "--prefix", str(target), "--yes"], "removes"),
    )
    return [(tfm1(*args, cwd=cwd, env=env), verb) for args, verb in runs]


def build_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The channel and the index, built once per session (a `built` fixture); tests work on copies."""
    root = tmp_path_factory.mktemp("built")
    build_channel(root / "channel")
    build_index(root / "pypi", [make_wheel(root / "wheels", "tfm1-probe", "1.0")])
    return root / "channel", root / "pypi"


def clean_env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONDA", "TFM1_", "PIP_", "UV_", "VIRTUAL_ENV", "JUPYTER_"))
    }
    env.pop("CI", None)
    env.update(TFM1_CACHE_DIR=str(tmp / "cache"), UV_CACHE_DIR=str(tmp / "uv-cache"), UV_PYTHON_DOWNLOADS="never")
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter")  # setup registers a kernel there, never in the real HOME
    env["PYTHONPATH"] = str(Path(__file__).parents[2] / "src")
    return env


def make_world(tmp_path: Path, built: tuple[Path, Path]) -> Iterator[World]:
    """The body of a `world` fixture: copies of the built channel and index, served while the test runs."""
    channel_dir, index_dir = tmp_path / "channel", tmp_path / "pypi"
    shutil.copytree(built[0], channel_dir)
    shutil.copytree(built[1], index_dir)
    channel = Channel(channel_dir, [_reload(channel_dir, p) for p in ("python", "pip", "tfm1-test-data")])
    index = PackageIndex(index_dir, sorted((index_dir / "files").glob("*.whl")))
    with StaticServer(channel_dir) as conda_server, StaticServer(index_dir) as pypi_server:
        world = World(tmp_path, channel, index, conda_server, pypi_server, tmp_path / "conda-lock.yml", {})
        world.env = clean_env(tmp_path)
        world.write_lock()
        yield world


def _reload(channel_dir: Path, name: str) -> CondaPackage:
    """The CondaPackage of a copied channel: same archive, hashes read from the copy."""
    (path,) = [p for p in channel_dir.glob(f"*/{name}-*.tar.bz2") if p.name.count("-") == name.count("-") + 2]
    data = path.read_bytes()
    version, build = path.name[len(name) + 1 : -len(".tar.bz2")].rsplit("-", 1)
    return CondaPackage(
        name, version, build, path.parent.name, path, hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()
    )


def json_steps(stdout: str) -> list[dict[str, Any]]:
    """The step objects `tfm1 setup --json` or `tfm1 remove --json` printed, one a line, before the envelope."""
    lines = stdout.splitlines()
    return [json.loads(line) for line in lines[:-1]]


def json_envelope(stdout: str) -> dict[str, Any]:
    """The envelope such a run printed last: `{"command", "ok", "result", "error"}`."""
    envelope: dict[str, Any] = json.loads(stdout.splitlines()[-1])
    assert list(envelope)[:4] == ["command", "ok", "result", "error"], envelope
    return envelope


def wait_for(condition: object, what: str, timeout: float = 60, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}")


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan stays a zombie until whoever adopted it reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def installers_of(prefix: Path) -> list[int]:
    """Processes installing into `<prefix>`: uv or pip whose command line names `<prefix>/bin/python` and `install`
    (not the short-lived probes of that interpreter)."""
    python = str(prefix / "bin" / "python").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if python in argv and b"install" in argv and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def slow_conda_package(world: World, size: int) -> str:
    """Add a conda package of `size` incompressible bytes to the world's lock, served slowly (~2.5 s per 100 kB):
    the run stays in its conda step while the other packages arrive and are linked. Returns its URL path."""
    package = build_package(world.channel.root, "tfm1-slow", "1.0", files={"share/tfm1-slow/data": os.urandom(size)})
    world.channel.packages.append(package)
    world.write_lock()
    path = world.conda_path("tfm1-slow")
    world.conda_server.fault(path, "slow")
    return path


def assert_no_prefix(world: World) -> None:
    assert not world.prefix.exists(), sorted(p.name for p in world.prefix.iterdir())
    leftovers = [p.name for p in world.prefix.parent.iterdir()] if world.prefix.parent.exists() else []
    assert leftovers == [], leftovers


# --- files that cannot be deleted -------------------------------------------------------------------------
# As root (CI), permissions stop nothing: the immutable attribute (`chattr +i`) does. As anyone else, a
# read-only directory does. Either way the file's deletion fails with a real EPERM/EACCES from the kernel.

HOLD_SHELL = 'hold() { if [ "$(id -u)" = 0 ]; then chattr +i "$1"; else chmod 555 "$(dirname "$1")"; fi; }'


def hold(path: Path) -> None:
    """Make the existing file `path` impossible to delete (its folder must be one only it lives in)."""
    if os.geteuid() == 0:
        result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.fail(f"chattr +i {path} failed ({result.stderr.strip()}): this test needs an undeletable file")
    else:
        path.parent.chmod(0o555)
    try:
        path.unlink()
    except PermissionError:
        return
    pytest.fail(f"{path} could still be deleted after being held")


def release(tree: Path) -> None:
    """Undo `hold` everywhere under `tree` (so the test's tmp folder can be cleaned up)."""
    if not tree.exists():
        return
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-R", "-i", str(tree)], capture_output=True, check=False)
    for folder in [tree, *(p for p in tree.rglob("*") if p.is_dir() and not p.is_symlink())]:
        folder.chmod(0o755)


def can_hold(folder: Path) -> None:
    """Fail (not skip) when neither mechanism works here: the tests that need it would prove nothing."""
    probe = folder / "hold-probe" / "file"
    probe.parent.mkdir(parents=True)
    probe.write_text("x")
    try:
        hold(probe)
    finally:
        release(probe.parent)
        shutil.rmtree(probe.parent)
