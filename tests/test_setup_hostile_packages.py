"""A conda package may not write or delete outside the prefix, whatever its `info/` says.

Each hostile package is pinned by the lock with its true sha256 (a lock's author chooses the hash), served by
the test channel, and must be refused with exit 2 before anything is linked: the victim file outside the
prefix is untouched, no sibling environment appears, and no prefix is left.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import one_error
from tests.support.conda_channel import PLACEHOLDER, CondaPackage, build_package, host_subdir
from tests.support.setup_world import World, assert_no_prefix

VICTIM = "precious, not to be touched\n"


def _victim(world: World) -> Path:
    victim = world.tmp / "victim" / "file"
    victim.parent.mkdir(exist_ok=True)
    victim.write_text(VICTIM)
    return victim


def _add(world: World, name: str = "evil", **options: object) -> CondaPackage:
    package = build_package(world.channel.root, name, "1.0", **options)  # type: ignore[arg-type]
    world.channel.packages.append(package)
    world.write_lock()
    return package


def _entry(path: str, **extra: object) -> dict[str, object]:
    return {"_path": path, "path_type": "hardlink", "sha256": "0" * 64, "size_in_bytes": 9, **extra}


def _escape(victim: Path) -> str:
    """`victim` reached from anywhere below / by climbing: rattler followed this out of the prefix."""
    return "../" * 20 + str(victim).lstrip("/")


PAYLOAD = {"share/evil/payload.txt": "payload\n"}


def _case(world: World, case: str, victim: Path) -> tuple[str, str]:
    """Add the hostile package(s) of `case`; return (the refused package's file name, text the error must name)."""
    if case == "dotdot":
        evil = _add(world, files=PAYLOAD, paths_json=[_entry(_escape(victim))])
        return evil.filename, json.dumps(_escape(victim))
    if case == "placeholder":
        entry = _entry(_escape(victim), prefix_placeholder=PLACEHOLDER, file_mode="text")
        evil = _add(world, files=PAYLOAD, paths_json=[entry])
        return evil.filename, json.dumps(_escape(victim))
    if case == "sibling-env":
        evil = _add(world, files=PAYLOAD, paths_json=[_entry("../other/payload.txt")])
        return evil.filename, "\"../other/payload.txt\", a '..'"
    if case == "absolute":
        evil = _add(world, files=PAYLOAD, paths_json=[_entry(str(victim))])
        return evil.filename, f"{json.dumps(str(victim))}, an absolute path"
    if case == "through-symlink":
        _add(world, "evil-link", symlinks={"share/escape": str(victim.parent)})
        evil = _add(world, files={"share/escape/file": "overwritten\n"})
        return evil.filename, "installs 'share/escape/file' through the symbolic link 'share/escape' of evil-link"
    if case == "through-symlink-other-case":  # one folder on a Mac's case-insensitive disk
        _add(world, "evil-link", symlinks={"share/Escape": str(victim.parent)})
        evil = _add(world, files={"share/escape/file": "overwritten\n"})
        return evil.filename, "installs 'share/escape/file' through the symbolic link 'share/Escape' of evil-link"
    if case == "symlink-clobber":
        _add(world, "evil-link", symlinks={"share/clobbered": str(victim)})
        _add(world, prefix_files={"share/clobbered": f"{PLACEHOLDER}\n"})
        # Either package may be named first: the lock's order is not the install's.
        return "evil", "'share/clobbered' is also installed by evil-"
    if case == "entry-point":
        evil = _add(
            world, files={"site-packages/evil.py": ""}, noarch_python=True, entry_points=["../../x = os:getcwd"]
        )
        return evil.filename, "entry point that is not 'name = module:function'"
    if case == "wrong-subdir":
        other = "osx-arm64" if host_subdir() != "osx-arm64" else "linux-64"
        evil = _add(world, files=PAYLOAD, subdir=other)
        return evil.filename, f"it is built for {other}, not for {host_subdir()} or noarch"
    raise AssertionError(case)


CASES = [
    "dotdot",
    "placeholder",
    "sibling-env",
    "absolute",
    "through-symlink",
    "through-symlink-other-case",
    "symlink-clobber",
    "entry-point",
    "wrong-subdir",
]


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_package_is_refused_before_anything_is_linked(world: World, case: str) -> None:
    victim = _victim(world)
    refused, named = _case(world, case, victim)
    result = world.setup()
    assert result.returncode == 2, result.stderr
    assert f"tfm1: error: refusing conda package {refused}" in result.stderr
    assert named in result.stderr
    one_error(result.stderr)
    assert victim.read_text() == VICTIM and sorted(p.name for p in victim.parent.iterdir()) == ["file"]
    assert not (world.tmp / "envs" / "other").exists()
    assert_no_prefix(world)
    cache = world.tmp / "cache"
    assert sorted(p.name for p in cache.iterdir()) == ["downloads"]  # no staging folder left behind


def test_a_symlink_to_outside_the_prefix_is_kept_as_a_link(world: World) -> None:
    """conda-build keeps absolute links to outside folders; making the link writes nothing through it."""
    victim = _victim(world)
    _add(world, "outside-link", symlinks={"share/outside": str(victim.parent)})
    result = world.setup()
    assert result.returncode == 0, result.stderr
    link = world.prefix / "share" / "outside"
    assert link.is_symlink() and Path(link.readlink()) == victim.parent
    assert victim.read_text() == VICTIM


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("lib/libz.so", None),
        ("lib/python3.11/site-packages/a b/c.py", None),
        ("../x", "a '..', '.' or empty component"),
        ("a/../../x", "a '..', '.' or empty component"),
        ("a//b", "a '..', '.' or empty component"),
        ("./a", "a '..', '.' or empty component"),
        ("a/", "a '..', '.' or empty component"),
        ("", "a '..', '.' or empty component"),
        ("/etc/passwd", "an absolute path"),
        ("a\\..\\..\\x", "a NUL byte or backslash"),
        ("a\0/x", "a NUL byte or backslash"),
    ],
)
def test_unsafe_paths(path: str, reason: str | None) -> None:
    from tfm1.setup.package_check import unsafe_path

    assert unsafe_path(path) == reason
