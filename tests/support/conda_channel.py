"""A real conda channel built at test time: hand-made `.tar.bz2` packages, indexed by rattler, served over HTTP.

No conda executable is installable from PyPI, so tests that create conda environments build their own channel:

    from tests.support.conda_channel import build_channel, write_conda_lock, PipLock
    from tests.support.http import StaticServer

    channel = build_channel(tmp_path / "channel")          # python + pip + data package, indexed
    with StaticServer(channel.root) as server:
        lock = write_conda_lock(tmp_path / "conda-lock.yml", server.url, channel.packages)
        ...  # rattler.LockFile.from_path(lock) / tfm1 setup --lockfile lock

What the default channel holds (all for the host's subdir, `linux-64` on Linux x86_64, plus `noarch`):
- `python` (version of the running interpreter): a venv-style wrapper, `bin/python` a symlink to the real
  interpreter and `pyvenv.cfg` naming its home, so the environment's Python runs and has its own site-packages;
- `pip` (the wheel bundled with the interpreter's `ensurepip`, else a pinned one from PyPI) repackaged as
  `noarch: python` with a `pip` entry point, so `<prefix>/bin/python -m pip` works (the pip layer's fallback needs it);
- `tfm1-test-data`: text files holding the prefix placeholder (`PLACEHOLDER`), which the installer must replace
  with the real prefix (`share/tfm1-test-data/prefix.txt` and the script `bin/tfm1-test-data-prefix`).

`build_package()` makes any other package; call `index_channel()` after adding packages to an existing channel.
Every `CondaPackage` carries its archive's sha256 and md5, which is what a lockfile pins. Tampering is a matter
of rewriting the archive after `write_conda_lock()` captured its hashes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import platform
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# conda-build's standard placeholder: installers replace it with the target prefix at link time.
PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"


def host_subdir() -> str:
    """The conda subdir of this machine, as tfm1 setup picks it."""
    system, machine = platform.system(), platform.machine()
    if system == "Darwin":
        return "osx-arm64" if machine == "arm64" else "osx-64"
    if system == "Linux":
        return {"x86_64": "linux-64", "aarch64": "linux-aarch64"}.get(machine, f"linux-{machine}")
    raise RuntimeError(f"no conda subdir for {system} {machine}")


@dataclass(frozen=True)
class CondaPackage:
    name: str
    version: str
    build: str
    subdir: str
    path: Path  # the archive inside the channel directory
    sha256: str
    md5: str
    depends: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name

    def url(self, channel_url: str) -> str:
        return f"{channel_url.rstrip('/')}/{self.subdir}/{self.filename}"


@dataclass(frozen=True)
class PipLock:
    """A pip entry of a lockfile: the wheel at `url` with that sha256."""

    name: str
    version: str
    url: str
    sha256: str


@dataclass
class Channel:
    root: Path
    packages: list[CondaPackage] = field(default_factory=list)

    def package(self, name: str) -> CondaPackage:
        (found,) = [p for p in self.packages if p.name == name]
        return found


def _digests(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()


def build_package(
    channel_dir: Path,
    name: str,
    version: str,
    *,
    subdir: str | None = None,
    build: str = "0",
    files: Mapping[str, bytes | str] | None = None,
    prefix_files: Mapping[str, str] | None = None,
    executables: Iterable[str] = (),
    symlinks: Mapping[str, str] | None = None,
    depends: Sequence[str] = (),
    noarch_python: bool = False,
    entry_points: Sequence[str] = (),
    paths_json: Sequence[Mapping[str, object]] | None = None,
) -> CondaPackage:
    """Write `<channel_dir>/<subdir>/<name>-<version>-<build>.tar.bz2` and return what a lock needs to pin it.

    `files`: plain files by path inside the prefix (for `noarch_python`, paths start with `site-packages/`).
    `prefix_files`: text files that contain `PLACEHOLDER`, recorded in paths.json so it gets replaced.
    `executables`: paths (among both) that get mode 0755. `symlinks`: path -> link target.
    `entry_points`: "name = module:function" lines, for `noarch_python` packages.
    `paths_json`: entries written to `info/paths.json` instead of the true ones (a hostile package: `_path`
    values with `..`, absolute paths, ...); the archive still holds `files`, `prefix_files` and `symlinks`.
    """
    subdir = "noarch" if noarch_python else (subdir or host_subdir())
    files = dict(files or {})
    prefix_files = dict(prefix_files or {})
    symlinks = dict(symlinks or {})
    executable = set(executables)
    index: dict[str, object] = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": 0,
        "depends": list(depends),
        "license": "Apache-2.0",
        "subdir": subdir,
        "timestamp": 1_700_000_000_000,
    }
    if noarch_python:
        index["noarch"] = "python"
    else:
        index["platform"], index["arch"] = [*subdir.split("-"), ""][:2]
    paths: list[dict[str, object]] = []
    members: list[tuple[tarfile.TarInfo, bytes | None]] = []

    def add_file(path: str, data: bytes, placeholder: bool) -> None:
        entry: dict[str, object] = {
            "_path": path,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data),
        }
        if placeholder:
            entry["prefix_placeholder"] = PLACEHOLDER
            entry["file_mode"] = "text"
        paths.append(entry)
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = len(data), 0o755 if path in executable else 0o644, 1_700_000_000
        members.append((info, data))

    for path, content in sorted(files.items()):
        add_file(path, content.encode() if isinstance(content, str) else content, placeholder=False)
    for path, text in sorted(prefix_files.items()):
        assert PLACEHOLDER in text, f"{path}: prefix file without the placeholder"
        add_file(path, text.encode(), placeholder=True)
    for path, target in sorted(symlinks.items()):
        paths.append({"_path": path, "path_type": "softlink"})
        info = tarfile.TarInfo(path)
        info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, 1_700_000_000
        members.append((info, None))

    def meta(path: str, obj: object) -> None:
        data = (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
        members.append((info, data))

    paths.sort(key=lambda entry: str(entry["_path"]))
    meta("info/index.json", index)
    meta("info/paths.json", {"paths": list(paths_json) if paths_json is not None else paths, "paths_version": 1})
    if noarch_python:
        meta(
            "info/link.json",
            {"noarch": {"type": "python", "entry_points": list(entry_points)}, "package_metadata_version": 1},
        )
    files_list = ("\n".join(str(entry["_path"]) for entry in paths) + "\n").encode()
    info = tarfile.TarInfo("info/files")
    info.size, info.mode, info.mtime = len(files_list), 0o644, 1_700_000_000
    members.append((info, files_list))

    made = channel_dir / subdir / f"{name}-{version}-{build}.tar.bz2"
    made.parent.mkdir(parents=True, exist_ok=True)
    (channel_dir / "noarch").mkdir(exist_ok=True)  # every channel has noarch, even when empty
    with tarfile.open(made, "w:bz2", compresslevel=1) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    sha256, md5 = _digests(made)
    return CondaPackage(name, version, build, subdir, made, sha256, md5, tuple(depends))


def as_conda_format(package: CondaPackage, level: int = 3) -> CondaPackage:
    """The same package as a `.conda` archive (the format conda-forge ships), replacing the `.tar.bz2`.

    A `.conda` file is an uncompressed zip of `metadata.json`, `info-<stem>.tar.zst` (the `info/` folder)
    and `pkg-<stem>.tar.zst` (everything else); zstd extracts many times faster than bzip2.
    """
    import zipfile

    import zstandard

    stem = package.path.name.removesuffix(".tar.bz2")
    parts: dict[str, io.BytesIO] = {"info": io.BytesIO(), "pkg": io.BytesIO()}
    with (
        tarfile.open(package.path, "r:bz2") as source,
        tarfile.open(fileobj=parts["info"], mode="w") as info,
        tarfile.open(fileobj=parts["pkg"], mode="w") as pkg,
    ):
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            (info if member.name.startswith("info/") else pkg).addfile(member, data)
    target = package.path.with_name(f"{stem}.conda")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
        for key, buffer in parts.items():
            archive.writestr(f"{key}-{stem}.tar.zst", zstandard.ZstdCompressor(level=level).compress(buffer.getvalue()))
    package.path.unlink()
    sha256, md5 = _digests(target)
    return dataclasses.replace(package, path=target, sha256=sha256, md5=md5)


def python_package(channel_dir: Path, interpreter: str | None = None, subdir: str | None = None) -> CondaPackage:
    """`python` as a venv-style wrapper around a real interpreter (default: the one running the tests)."""
    real = Path(interpreter or str(getattr(sys, "_base_executable", sys.executable))).resolve()
    version = "{}.{}.{}".format(*sys.version_info[:3]) if interpreter is None else _version_of(real)
    short = ".".join(version.split(".")[:2])
    pyvenv = f"home = {real.parent}\ninclude-system-site-packages = false\nversion = {version}\n"
    return build_package(
        channel_dir,
        "python",
        version,
        subdir=subdir,
        files={
            "pyvenv.cfg": pyvenv,
            f"lib/python{short}/site-packages/README.txt": "site-packages of a tfm1 test environment\n",
        },
        symlinks={"bin/python": str(real), "bin/python3": "python", f"bin/python{short}": "python"},
    )


def _version_of(interpreter: Path) -> str:
    import subprocess

    return subprocess.run(
        [str(interpreter), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# When the interpreter ships without ensurepip (Debian's python3 without python3-venv): this wheel, from PyPI.
PIP_FALLBACK = (
    "pip",
    "pip-24.3.1-py3-none-any.whl",
    "3790624780082365f47549d032f3770eeb2b1e8bd1f7b2e02dace1afa361b4ed",
)


def bundled_pip_wheel() -> Path:
    """The pip wheel inside the running interpreter's ensurepip (real, no network); else a pinned one from PyPI."""
    bundled = Path(sysconfig.get_paths()["stdlib"]) / "ensurepip" / "_bundled"
    wheels = sorted(bundled.glob("pip-*.whl"))
    if wheels:
        return wheels[-1]
    from tests.support.pypi_files import fetch_wheel

    return fetch_wheel(*PIP_FALLBACK)


def pip_package(channel_dir: Path, wheel: Path | None = None) -> CondaPackage:
    """pip repackaged from its wheel as a `noarch: python` conda package, as conda-forge ships it."""
    wheel = wheel or bundled_pip_wheel()
    version = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as archive:
        files = {f"site-packages/{name}": archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    return build_package(
        channel_dir,
        "pip",
        version,
        files=files,
        depends=["python >=3.7"],
        noarch_python=True,
        entry_points=["pip = pip._internal.cli.main:main"],
    )


def data_package(channel_dir: Path, subdir: str | None = None) -> CondaPackage:
    """Files that hold the prefix placeholder: a text file and a script that prints where it lives."""
    return build_package(
        channel_dir,
        "tfm1-test-data",
        "1.0",
        subdir=subdir,
        prefix_files={
            "share/tfm1-test-data/prefix.txt": f"prefix={PLACEHOLDER}\n",
            "bin/tfm1-test-data-prefix": f"#!/bin/sh\necho {PLACEHOLDER}\n",
        },
        executables=["bin/tfm1-test-data-prefix"],
    )


def index_channel(channel_dir: Path) -> None:
    """Write repodata.json for every subdir (rattler's own indexer, the one pixi and rattler-build use)."""
    from rattler.index import index_fs

    asyncio.run(index_fs(channel_dir, write_zst=False, write_shards=False, force=True))


def build_channel(channel_dir: Path, subdir: str | None = None, pip_wheel: Path | None = None) -> Channel:
    """The default test channel (python, pip, tfm1-test-data), indexed and ready to serve."""
    channel_dir.mkdir(parents=True, exist_ok=True)
    packages = [
        python_package(channel_dir, subdir=subdir),
        pip_package(channel_dir, pip_wheel),
        data_package(channel_dir, subdir=subdir),
    ]
    index_channel(channel_dir)
    return Channel(channel_dir, packages)


def write_conda_lock(
    path: Path,
    channel_url: str,
    packages: Iterable[CondaPackage],
    pip: Iterable[PipLock] = (),
    platform: str | None = None,
) -> Path:
    """A conda-lock unified v1 lockfile for one platform, pinning `packages` by URL, md5 and sha256."""
    platform = platform or host_subdir()
    entries: list[dict[str, object]] = []
    for package in packages:
        entries.append(
            {
                "name": package.name,
                "version": package.version,
                "manager": "conda",
                "platform": platform,
                "dependencies": {d.split(" ")[0]: (d.split(" ", 1)[1] if " " in d else "*") for d in package.depends},
                "url": package.url(channel_url),
                "hash": {"md5": package.md5, "sha256": package.sha256},
                "category": "main",
                "optional": False,
            }
        )
    for wheel in pip:
        entries.append(
            {
                "name": wheel.name,
                "version": wheel.version,
                "manager": "pip",
                "platform": platform,
                "dependencies": {},
                "url": wheel.url,
                "hash": {"sha256": wheel.sha256},
                "category": "main",
                "optional": False,
            }
        )
    content_hash = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
    document = {
        "version": 1,
        "metadata": {
            "content_hash": {platform: content_hash},
            "channels": [{"url": channel_url.rstrip("/") + "/", "used_env_vars": []}],
            "platforms": [platform],
            "sources": ["environment.yml"],
        },
        "package": entries,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
