"""A host that passes every read through to another and keeps what it saw, as a snapshot."""

from __future__ import annotations

from tfm1.host.base import TEXT_LIMIT, Host, Kind, Process
from tfm1.host.snapshot import Snapshot, head_entry, macho_entry
from tfm1.macho import MachOInfo


class RecordingHost(Host):
    def __init__(self, inner: Host) -> None:
        super().__init__()
        self.inner = inner
        self.snapshot = Snapshot(
            platform={"system": inner.system(), "machine": inner.machine(), "mac_ver": inner.mac_ver()}
        )

    def system(self) -> str:
        return self.snapshot.platform["system"]

    def machine(self) -> str:
        return self.snapshot.platform["machine"]

    def mac_ver(self) -> str:
        return self.snapshot.platform["mac_ver"]

    def sysctl(self, name: str) -> str | None:
        value = self.inner.sysctl(name)
        if value is not None:
            self.snapshot.sysctl[name] = value
        return value

    def env(self, name: str) -> str | None:
        value = self.inner.env(name)
        if value is not None:
            self.snapshot.env[name] = value
        return value

    def ancestors(self) -> list[Process]:
        self.snapshot.processes = self.inner.ancestors()
        return list(self.snapshot.processes)

    def _note(self, path: str, entry: dict[str, object]) -> None:
        # Content beats mere existence: a file first seen by `kind` gains its text or Mach-O slices later.
        if path not in self.snapshot.files or "file" in self.snapshot.files[path]:
            self.snapshot.files[path] = entry

    def kind(self, path: str) -> Kind | None:
        kind = self.inner.kind(path)
        if kind == "dir":
            self._note(path, {"dir": True})
        elif kind == "file":
            self._note(path, {"file": True})
        # symlinks are recorded by readlink, which resolution always calls next
        return kind

    def readlink(self, path: str) -> str | None:
        target = self.inner.readlink(path)
        if target is not None:
            self.snapshot.files[path] = {"symlink": target}
        return target

    def listdir(self, path: str) -> list[str]:
        names = self.inner.listdir(path)
        # Replay derives a listing from the paths it knows, so every name listed must be recorded.
        for name in names:
            child = f"{path.rstrip('/')}/{name}"
            if self.kind(child) == "symlink":
                self.readlink(child)
        return names

    def read_text(self, path: str, limit: int = TEXT_LIMIT) -> str | None:
        text = self.inner.read_text(path, limit)
        if text is not None:
            self.snapshot.files[path] = {"text": text}
        return text

    def read_head(self, path: str, size: int) -> bytes:
        head = self.inner.read_head(path, size)
        if head:
            self.snapshot.files[path] = head_entry(head)
        return head

    def read_macho(self, path: str) -> MachOInfo:
        info = self.inner.read_macho(path)
        if self.inner.kind(path) == "file":
            self.snapshot.files[path] = macho_entry(info)
        return info
