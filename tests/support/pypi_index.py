"""A local package index (PEP 503 "simple" layout) with wheels built at test time, for the pip layer.

    index = build_index(tmp_path / "pypi", [make_wheel(tmp_path / "w", "tfm1-probe", "1.0")])
    with StaticServer(index.root) as server:
        index.locks(server.url)   # [PipLock(name, version, url, sha256)] for write_conda_lock(pip=...)
        f"{server.url}/simple/"   # usable as --index-url by pip and uv

`make_wheel` writes a real, minimal pure-Python wheel: one module named after the project whose `VALUE`
is given, plus METADATA, WHEEL and RECORD (with sha256 of every member), which pip and uv both check.
`add_wheel` puts any wheel file (e.g. a real one from `tests.support.pypi_files.fetch_wheel`) into the index.
"""

from __future__ import annotations

import base64
import hashlib
import html
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename

from tests.support.conda_channel import PipLock


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(out_dir: Path, project: str, version: str, value: object = 42) -> Path:
    """A pure-Python wheel `<module>-<version>-py3-none-any.whl` where `import <module>; <module>.VALUE == value`."""
    module = project.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    members = {
        f"{module}/__init__.py": f'"""A package made for tfm1 tests."""\n\nVALUE = {value!r}\n'.encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tfm1-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in members.items())
    record += f"{dist_info}/RECORD,,\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
        archive.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", (2024, 1, 1, 0, 0, 0)), record)
    return target


@dataclass
class PackageIndex:
    root: Path
    wheels: list[Path] = field(default_factory=list)  # under root/files/

    def add_wheel(self, wheel: Path) -> Path:
        target = self.root / "files" / wheel.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(wheel.read_bytes())
        self.wheels.append(target)
        self._write_simple()
        return target

    def url_of(self, wheel: Path, server_url: str) -> str:
        return f"{server_url.rstrip('/')}/files/{wheel.name}"

    def locks(self, server_url: str) -> list[PipLock]:
        """What a lockfile pins for each wheel: name, version, URL on this server, sha256."""
        locks = []
        for wheel in self.wheels:
            name, version, _, _ = parse_wheel_filename(wheel.name)
            sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
            locks.append(PipLock(str(name), str(version), self.url_of(wheel, server_url), sha256))
        return locks

    def _write_simple(self) -> None:
        projects: dict[str, list[Path]] = {}
        for wheel in self.wheels:
            projects.setdefault(canonicalize_name(parse_wheel_filename(wheel.name)[0]), []).append(wheel)
        simple = self.root / "simple"
        simple.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="{html.escape(p)}/">{html.escape(p)}</a>\n' for p in sorted(projects))
        (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
        for project, wheels in projects.items():
            anchors = "".join(
                f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">{w.name}</a>\n'
                for w in wheels
            )
            (simple / project).mkdir(exist_ok=True)
            (simple / project / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n")


def build_index(root: Path, wheels: list[Path]) -> PackageIndex:
    index = PackageIndex(root)
    root.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        index.add_wheel(wheel)
    return index
