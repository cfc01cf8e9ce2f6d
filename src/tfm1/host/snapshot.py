"""Snapshots: what doctor read from a machine, saved as JSON, and a host that replays it.

Format (version 2):
    {"tfm1_snapshot": 2,
     "platform": {"system": "Darwin", "machine": "arm64", "mac_ver": "14.5"},
     "sysctl": {"hw.optional.arm64": "1"},                 # an absent OID does not exist
     "env": {"HOME": "/Users/ana", "PATH": "..."},          # only the variables doctor uses
     "processes": [{"pid": 512, "name": "zsh", "translated": true}],   # doctor's ancestors, parent first
     "python": "/Users/ana/miniforge3/bin/python",          # optional: the target interpreter
     "files": {"/abs/path": {"symlink": "target"} | {"text": "..."} | {"dir": true} | {"file": true}
                            | {"macho": [{"arch": "arm64", "minos": "12.0", "sdk": "14.0"}]}}}
Directories are implied by the paths below them. Version 1 (no processes, `"macho": ["arm64"]`) is still read.
A snapshot is untrusted input: `parse_snapshot`
validates everything and raises `SnapshotError` with the first problem.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from tfm1.host.base import TEXT_LIMIT, Host, Kind, Process
from tfm1.macho import NOT_MACHO, MachOInfo, Slice, read_macho, synthesize_header

SNAPSHOT_VERSION = 2
READABLE_VERSIONS = (1, 2)
SLICE_KEYS = ("arch", "minos", "sdk")
ENTRY_KINDS = ("symlink", "macho", "text", "dir", "file")
MAX_PATH = 4096


class SnapshotError(ValueError):
    pass


class Snapshot:
    # A plain class, not a dataclass: see tfm1.doctor.report (start-up cost).
    def __init__(
        self,
        platform: dict[str, str],
        sysctl: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        python: str | None = None,
        files: dict[str, dict[str, Any]] | None = None,
        processes: list[Process] | None = None,
    ) -> None:
        self.platform = platform
        self.sysctl = {} if sysctl is None else sysctl
        self.env = {} if env is None else env
        self.python = python
        self.files = {} if files is None else files
        self.processes = [] if processes is None else processes

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tfm1_snapshot": SNAPSHOT_VERSION,
            "platform": self.platform,
            "sysctl": self.sysctl,
            "env": self.env,
            "processes": [p._asdict() for p in self.processes],
        }
        if self.python is not None:
            data["python"] = self.python
        data["files"] = dict(sorted(self.files.items()))
        return data


def _string_map(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise SnapshotError(f"{where} must be an object of strings")
    return dict(value)


def _check_path(path: object, where: str) -> str:
    if not isinstance(path, str) or not path.startswith("/") or len(path) > MAX_PATH or "\0" in path:
        raise SnapshotError(f"{where}: {str(path)[:80]!r} is not an absolute path")
    return path


def _check_entry(path: str, entry: object) -> dict[str, Any]:
    if not isinstance(entry, dict) or len(entry) != 1:
        raise SnapshotError(f"files[{path!r}] must be an object with exactly one of {', '.join(ENTRY_KINDS)}")
    ((key, value),) = entry.items()
    valid = {
        "symlink": isinstance(value, str) and 0 < len(value) <= MAX_PATH and "\0" not in value,
        "macho": isinstance(value, list) and all(isinstance(a, str) or _is_slice(a) for a in value),
        "text": isinstance(value, str),
        "dir": value is True,
        "file": value is True,
    }.get(key)
    if not valid:
        raise SnapshotError(f"files[{path!r}]: {key!r} has an invalid value")
    return {key: value}


def _is_slice(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("arch"), str)
        and set(value) <= set(SLICE_KEYS)
        and all(isinstance(v, str) for v in value.values())
    )


def _processes(value: object) -> list[Process]:
    if not isinstance(value, list):
        raise SnapshotError("processes must be a list")
    processes = []
    for item in value:
        if not (
            isinstance(item, dict)
            and set(item) == {"pid", "name", "translated"}
            and type(item["pid"]) is int
            and isinstance(item["name"], str)
            and isinstance(item["translated"], bool)
        ):
            raise SnapshotError('each of processes must be {"pid": int, "name": str, "translated": bool}')
        processes.append(Process(item["pid"], item["name"], item["translated"]))
    return processes


def parse_snapshot(data: object) -> Snapshot:
    if not isinstance(data, dict):
        raise SnapshotError("not a JSON object")
    version = data.get("tfm1_snapshot")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise SnapshotError(f'not a tfm1 snapshot version 1 or 2 (no "tfm1_snapshot": {SNAPSHOT_VERSION})')
    platform = _string_map(data.get("platform"), "platform")
    for key in ("system", "machine"):
        if key not in platform:
            raise SnapshotError(f"platform.{key} is missing")
    platform.setdefault("mac_ver", "")
    python = data.get("python")
    if python is not None:
        python = _check_path(python, "python")
    files_in = data.get("files", {})
    if not isinstance(files_in, dict):
        raise SnapshotError("files must be an object")
    files: dict[str, dict[str, Any]] = {}
    for path, entry in files_in.items():
        clean = posixpath.normpath(_check_path(path, "files"))
        files[clean] = _check_entry(path, entry)
    return Snapshot(
        platform=platform,
        sysctl=_string_map(data.get("sysctl", {}), "sysctl"),
        env=_string_map(data.get("env", {}), "env"),
        python=python,
        files=files,
        processes=_processes(data.get("processes", [])),
    )


def load_snapshot(text: str) -> Snapshot:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise SnapshotError(f"not valid JSON ({error})") from None
    return parse_snapshot(data)


class SnapshotHost(Host):
    """Replays a snapshot: answers exactly what the recorded machine answered."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
        self._children: dict[str, set[str]] = {"/": set()}
        for path in snapshot.files:
            child = path
            while child != "/":
                parent = posixpath.dirname(child)
                self._children.setdefault(parent, set()).add(posixpath.basename(child))
                child = parent

    def system(self) -> str:
        return self.snapshot.platform["system"]

    def machine(self) -> str:
        return self.snapshot.platform["machine"]

    def mac_ver(self) -> str:
        return self.snapshot.platform.get("mac_ver", "")

    def sysctl(self, name: str) -> str | None:
        return self.snapshot.sysctl.get(name)

    def env(self, name: str) -> str | None:
        return self.snapshot.env.get(name)

    def ancestors(self) -> list[Process]:
        return list(self.snapshot.processes)

    def kind(self, path: str) -> Kind | None:
        entry = self.snapshot.files.get(path)
        if entry is not None:
            if "symlink" in entry:
                return "symlink"
            return "dir" if "dir" in entry else "file"
        return "dir" if path in self._children else None

    def readlink(self, path: str) -> str | None:
        entry = self.snapshot.files.get(path, {})
        target = entry.get("symlink")
        return target if isinstance(target, str) else None

    def listdir(self, path: str) -> list[str]:
        return sorted(self._children.get(path, ()))

    def read_text(self, path: str, limit: int = TEXT_LIMIT) -> str | None:
        text = self.snapshot.files.get(path, {}).get("text")
        return text[:limit] if isinstance(text, str) else None

    def read_head(self, path: str, size: int) -> bytes:
        slices = _slices(self.snapshot.files.get(path, {}).get("macho"))
        return synthesize_header([s.arch for s in slices])[:size] if slices is not None else b""

    def read_macho(self, path: str) -> MachOInfo:
        slices = _slices(self.snapshot.files.get(path, {}).get("macho"))
        if not slices:
            return NOT_MACHO
        return MachOInfo("fat" if len(slices) > 1 else "thin", tuple(s.arch for s in slices), slices=tuple(slices))


def _slices(entry: object) -> list[Slice] | None:
    """A recorded Mach-O's slices: version 2 objects, or version 1 bare architecture names."""
    if not isinstance(entry, list):
        return None
    return [Slice(item) if isinstance(item, str) else Slice(**item) for item in entry]


def macho_entry(info: MachOInfo) -> dict[str, Any]:
    slices = info.slices or tuple(Slice(arch) for arch in info.archs)
    return {"macho": [{k: v for k, v in s._asdict().items() if v} for s in slices]}


def head_entry(head: bytes) -> dict[str, Any]:
    return macho_entry(read_macho(head))
