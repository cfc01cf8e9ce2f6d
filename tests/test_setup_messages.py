"""What setup says and touches when things go wrong.

- an unreachable channel is one line naming it, and what to do;
- a full disk or a read-only folder is said as such, with the path, never "check the network"; the disk
  faults are real: a small or read-only tmpfs mounted in a private mount namespace (`unshare -rm`);
- credentials in the lock's URLs appear nowhere: not in the output, not in `conda-meta/`;
- a lockfile must be a regular file of at most 64 MiB (reading `/dev/zero` or a FIFO would hang);
- `--dry-run` asks sizes only of the lock's channel hosts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import one_error
from tests.support.cli import tfm1 as tfm1_process
from tests.support.conda_channel import write_conda_lock
from tests.support.http import StaticServer
from tests.support.setup_world import World, assert_no_prefix, clean_env
from tests.test_setup_caches import assert_only_verified_downloads


def _one_line(stderr: str) -> str:
    return one_error(stderr)


def test_an_unreachable_channel_is_one_line(world: World) -> None:
    unreachable = "http://127.0.0.1:9"  # the discard port: nothing listens there
    write_conda_lock(world.lock, unreachable, world.channel.packages, world.index.locks(world.pypi_server.url))
    result = world.setup()
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert f"download of {unreachable}/" in line and "Connection refused" in line
    assert "  fix: check the network connection and re-run" in result.stderr
    assert_no_prefix(world)
    assert_only_verified_downloads(world.tmp / "cache")


# --- a full disk and a read-only folder, for real -----------------------------------------------------------

ON_TMPFS = """
options=$1 mount_point=$2 keep=$3; shift 3
mount -t tmpfs -o "$options" tmpfs "$mount_point" || exit 99
"$@"; code=$?
cp -a "$mount_point/." "$keep"   # what the run left there, for the test to inspect once the mount is gone
exit $code
"""


def _setup_on_tmpfs(world: World, mount_point: Path, options: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`tfm1 setup` with `mount_point` on a fresh tmpfs; returns the run and a copy of what it left on the tmpfs."""
    if shutil.which("unshare") is None:
        pytest.fail("these tests need unshare (util-linux) to mount a private tmpfs")
    mount_point.mkdir(parents=True, exist_ok=True)
    keep = world.tmp / "left-on-tmpfs"
    keep.mkdir()
    command = [sys.executable, "-m", "tfm1", "setup", "--lockfile", str(world.lock), "--prefix", str(world.prefix)]
    result = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            ON_TMPFS,
            "sh",
            options,
            str(mount_point),
            str(keep),
            *command,
            "--yes",
            "--no-verify",
        ],
        env=world.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode == 99:
        pytest.fail(f"could not mount a tmpfs in a private namespace: {result.stderr.strip()}")
    return result, keep


def test_a_full_cache_disk_says_so(world: World) -> None:
    result, left = _setup_on_tmpfs(world, world.tmp / "cache", "size=64k")
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "the disk is full: no space left to write " + str(world.tmp / "cache" / "downloads") in line
    assert "network" not in result.stderr
    assert_only_verified_downloads(left)
    assert_no_prefix(world)


def test_a_cache_disk_that_fills_while_extracting_says_so(world: World) -> None:
    archives = sum(p.path.stat().st_size for p in world.channel.packages)
    result, left = _setup_on_tmpfs(world, world.tmp / "cache", f"size={archives + 256 * 1024}")
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "the disk is full: no space left to write " + str(world.tmp / "cache" / ".tfm1-staging-") in line
    assert "network" not in result.stderr and "refusing" not in line
    assert sorted(p.name for p in left.iterdir()) == ["downloads"]  # the staging folder is gone
    assert_only_verified_downloads(left)


def test_a_disk_error_told_only_in_a_library_message_is_recognised() -> None:
    from tfm1.storage import storage_error_in

    found = storage_error_in(RuntimeError("failed to link x: No space left on device (os error 28)"), "/env")
    assert found is not None and found.message == "the disk is full: no space left to write /env"
    assert storage_error_in(RuntimeError("connection reset by peer (os error 104)"), "/env") is None


def test_a_full_environment_disk_says_so_and_leaves_no_debris(world: World) -> None:
    result, left = _setup_on_tmpfs(world, world.prefix.parent, "size=256k")
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "the disk is full" in line and "network" not in result.stderr
    assert list(left.iterdir()) == []  # the rollback removed the half-linked prefix
    assert_only_verified_downloads(world.tmp / "cache")  # rattler's temporary folders went with the staging area


def test_a_read_only_cache_says_so(world: World) -> None:
    result, _ = _setup_on_tmpfs(world, world.tmp / "cache", "ro")
    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert f"cannot write {world.tmp / 'cache'}" in line and "read-only" in line
    assert "network" not in result.stderr
    assert_no_prefix(world)


# --- credentials -------------------------------------------------------------------------------------------


def _with_credentials(url: str) -> str:
    return url.replace("http://", "http://tfm1:s3cret@", 1)


def test_credentials_in_lock_urls_are_written_nowhere(world: World) -> None:
    locks = world.index.locks(world.pypi_server.url)
    pip = [type(lock)(lock.name, lock.version, _with_credentials(lock.url), lock.sha256) for lock in locks]
    write_conda_lock(world.lock, _with_credentials(world.conda_server.url), world.channel.packages, pip)
    result = world.setup("--json")
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert "http://***@127.0.0.1" in result.stdout  # the plan's download list, redacted
    records = list((world.prefix / "conda-meta").iterdir())
    assert len(records) >= 4  # history and the three packages' records
    for record in records:
        assert "s3cret" not in record.read_text(), record.name
    # Installed by name and version from the verified file, not by URL: pip freeze shows `tfm1-probe==1.0`.
    (dist_info,) = world.prefix.glob("lib/python*/site-packages/tfm1_probe-1.0.dist-info")
    assert not (dist_info / "direct_url.json").exists()
    url = json.loads((world.prefix / "conda-meta" / f"{world.channel.packages[0].filename[:-8]}.json").read_text())[
        "url"
    ]
    assert url == f"http://***@{world.conda_server.url.removeprefix('http://')}{world.conda_path('python')}"

    world.conda_server.fault(world.conda_path("tfm1-test-data"), "404")
    failed = world.setup("--prefix", str(world.tmp / "envs" / "second"), TFM1_CACHE_DIR=str(world.tmp / "cache2"))
    assert failed.returncode == 1
    assert "http://***@127.0.0.1" in failed.stderr and "s3cret" not in failed.stdout + failed.stderr


# --- lockfiles that are not regular files ------------------------------------------------------------------


def _special_lockfile(tmp_path: Path, kind: str) -> Path:
    if kind == "dev-zero":
        return Path("/dev/zero")
    if kind == "fifo":
        fifo = tmp_path / "conda-lock.yml"
        os.mkfifo(fifo)
        return fifo
    huge = tmp_path / "huge-conda-lock.yml"
    with huge.open("wb") as handle:
        handle.truncate(64 * 2**20 + 1)  # sparse: no disk used
    return huge


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "huge"])
def test_a_lockfile_must_be_a_regular_file_of_bounded_size(tmp_path: Path, kind: str) -> None:
    lockfile = _special_lockfile(tmp_path, kind)
    # In a process of its own: a lockfile read that hangs fails the test by its timeout, not the whole run.
    result = tfm1_process(
        "setup",
        "--lockfile",
        str(lockfile),
        "--prefix",
        str(tmp_path / "env"),
        "--dry-run",
        env=clean_env(tmp_path),
        timeout=30,
    )
    assert result.returncode == 2
    line = _one_line(result.stderr)
    expected = "is 64 MiB; a lockfile is at most 64 MiB" if kind == "huge" else "is not a regular file"
    assert f"lockfile {lockfile} {expected}" in line
    assert not (tmp_path / "env").exists()


# --- --dry-run and foreign hosts ---------------------------------------------------------------------------


def test_dry_run_asks_sizes_only_of_the_lock_channels(world: World, tmp_path: Path) -> None:
    foreign_root = tmp_path / "foreign"
    foreign_root.mkdir()
    with StaticServer(foreign_root) as foreign:
        locks = world.index.locks(world.pypi_server.url)
        moved = [type(lock)(lock.name, lock.version, f"{foreign.url}/files/x.whl", lock.sha256) for lock in locks]
        write_conda_lock(world.lock, world.conda_server.url, world.channel.packages, moved)
        result = world.setup("--dry-run")
        assert result.returncode == 0, result.stderr
        assert foreign.heads == [] and foreign.requests == []
        assert len(world.conda_server.heads) == len(world.channel.packages)  # the channel was asked
        host = foreign.url.removeprefix("http://")
        assert f"sizes not asked of {host}: not a channel of the lock" in result.stdout
        assert "1 files of unknown size" in result.stdout
