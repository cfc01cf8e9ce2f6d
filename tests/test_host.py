"""The host interface: path resolution on real temp-dir trees, and sysctl value decoding."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfm1.host import LinuxHost, LocalHost, live_host
from tfm1.host.live import decode_sysctl


@pytest.fixture
def tree(tmp_path: Path) -> LocalHost:
    (tmp_path / "opt/homebrew/Cellar/python@3.12/3.12.7/bin").mkdir(parents=True)
    (tmp_path / "opt/homebrew/Cellar/python@3.12/3.12.7/bin/python3.12").write_bytes(b"\xcf\xfa\xed\xfe" + b"\0" * 28)
    (tmp_path / "opt/homebrew/opt").mkdir()
    (tmp_path / "opt/homebrew/opt/python@3.12").symlink_to("../Cellar/python@3.12/3.12.7")
    (tmp_path / "venv/bin").mkdir(parents=True)
    # An absolute link is read in the host's own namespace, not the test machine's.
    (tmp_path / "venv/bin/python3.12").symlink_to("/opt/homebrew/opt/python@3.12/bin/python3.12")
    (tmp_path / "venv/bin/python").symlink_to("python3.12")
    (tmp_path / "loop-a").symlink_to("loop-b")
    (tmp_path / "loop-b").symlink_to("loop-a")
    (tmp_path / "venv/pyvenv.cfg").write_text("home = /opt/homebrew/opt/python@3.12/bin\n")
    return LinuxHost(root=str(tmp_path), environ={"HOME": "/Users/ana", "PATH": "/venv/bin:/usr/bin"})


def test_resolve_follows_relative_and_absolute_links(tree: LocalHost) -> None:
    assert tree.resolve("/venv/bin/python") == "/opt/homebrew/Cellar/python@3.12/3.12.7/bin/python3.12"
    assert tree.kind("/venv/bin/python") == "symlink"
    assert tree.is_file("/venv/bin/python")


def test_symlink_loop_ends(tree: LocalHost) -> None:
    assert not tree.exists("/loop-a")
    assert tree.resolve("/loop-a").startswith("/loop-")


def test_reads_go_through_the_root(tree: LocalHost) -> None:
    assert tree.text("/venv/pyvenv.cfg") == "home = /opt/homebrew/opt/python@3.12/bin\n"
    assert tree.head("/venv/bin/python", 4) == b"\xcf\xfa\xed\xfe"
    assert tree.text("/nowhere") is None and tree.head("/nowhere") == b""
    assert sorted(tree.list_dir("/venv/bin")) == ["python", "python3.12"]
    assert tree.list_dir("/venv/pyvenv.cfg") == []


def test_environment_and_which(tree: LocalHost) -> None:
    assert tree.env("HOME") == "/Users/ana" and tree.home() == "/Users/ana"
    assert tree.path_dirs() == ["/venv/bin", "/usr/bin"]
    assert tree.which("python") == "/venv/bin/python"
    assert tree.which("python3") is None


def test_linux_has_no_sysctl() -> None:
    host = live_host()
    assert host.system() == "Linux"
    assert host.sysctl("hw.optional.arm64") is None
    assert host.mac_ver() == ""


@pytest.mark.parametrize(
    ("name", "raw", "printed"),
    [
        ("hw.optional.arm64", (1).to_bytes(4, "little"), "1"),
        ("sysctl.proc_translated", (0).to_bytes(4, "little"), "0"),
        ("hw.memsize", (17179869184).to_bytes(8, "little"), "17179869184"),
        ("kern.osproductversion", b"14.5\0", "14.5"),
        ("machdep.cpu.brand_string", b"Apple M3 Pro\0\0\0", "Apple M3 Pro"),
    ],
)
def test_decode_sysctl_prints_like_sysctl_n(name: str, raw: bytes, printed: str) -> None:
    assert decode_sysctl(name, raw) == printed


def test_kinfo_proc_decoding_reads_flag_name_and_parent() -> None:
    from tfm1.host.live import KINFO_PROC_SIZE, P_TRANSLATED, decode_kinfo_proc

    raw = bytearray(KINFO_PROC_SIZE)
    raw[32:36] = (P_TRANSLATED | 0x4).to_bytes(4, "little")  # P_LP64 too
    raw[243 : 243 + 4] = b"zsh\0"
    raw[560:564] = (4120).to_bytes(4, "little")
    process, parent = decode_kinfo_proc(4121, bytes(raw))
    assert (process.pid, process.name, process.translated, parent) == (4121, "zsh", True, 4120)
    raw[32:36] = (0x4).to_bytes(4, "little")
    assert decode_kinfo_proc(4121, bytes(raw))[0].translated is False


def test_linux_knows_no_ancestors() -> None:
    assert live_host().ancestors() == []


def test_a_path_of_1500_components_and_a_long_link_chain_resolve(tmp_path: Path) -> None:
    from tfm1.host.snapshot import SnapshotHost, parse_snapshot

    deep = "/" + "/".join(["d"] * 1500)
    files: dict[str, dict[str, object]] = {deep + "/python": {"file": True}}
    files.update({f"/chain/{i}": {"symlink": f"/chain/{i + 1}"} for i in range(1500)})
    host = SnapshotHost(
        parse_snapshot({"tfm1_snapshot": 2, "platform": {"system": "Darwin", "machine": "arm64"}, "files": files})
    )
    assert host.is_file(deep + "/python")
    assert not host.exists("/chain/0")  # more links than macOS follows (MAXSYMLINKS): a loop
    assert host.resolve("/chain/0") == "/chain/32"
