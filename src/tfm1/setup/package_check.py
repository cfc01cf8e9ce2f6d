"""What a conda package may do to the disk, checked on its extracted files before anything is linked.

A lock's author chooses the packages and their hashes, so a hash proves nothing about intent: rattler links
whatever `info/paths.json` lists, following `..` out of the prefix and panicking on an absolute path. Packages
are linked as they arrive, each batch checked together with every package linked before it, so a package is
refused before it is linked if, with the packages already there, it breaks a rule. Every package is refused unless:

- its `subdir` (in the lock and in `info/index.json`) is the target platform or `noarch`;
- it has an `info/paths.json` (the older `info/files` lists are not trusted) whose every `_path` is a
  relative, normalised path (no `..`, `.` or empty component, no NUL or backslash) outside `conda-meta/`;
- each entry is what it says in the extracted package (a regular file, a directory, a symbolic link);
- nothing is installed through a symbolic link of the install, and no path is both a link and a file;
- a `noarch: python` package's files land inside the prefix once mapped to `site-packages` and `bin`,
  and its entry points are plain names.

A symbolic link may point outside the prefix: conda-build keeps absolute links to outside folders such as
`/usr/bin` (https://github.com/conda/conda-build/blob/main/tests/test-recipes/metadata/_symlinks/build.sh), and
creating a link writes nothing through it. What is refused is writing anything *through* one.
"""

from __future__ import annotations

import json
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfm1.errors import UsageError

if TYPE_CHECKING:
    from rattler import RepoDataRecord

FIX = "do not install from this lockfile; re-lock from a trusted channel with tfm1 lock"
PATH_TYPES = {"hardlink": stat.S_ISREG, "softlink": stat.S_ISLNK, "directory": stat.S_ISDIR}
ENTRY_POINT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._+-]*)\s*=\s*[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class Extracted:
    record: RepoDataRecord
    folder: Path  # the package as extracted from its verified archive

    @property
    def name(self) -> str:
        return str(self.record.file_name)


def refuse(package: str, reason: str) -> UsageError:
    return UsageError(f"refusing conda package {package}: {reason}; nothing was installed from it", FIX)


def unsafe_path(path: str) -> str | None:
    """Why `path` (a `_path` of paths.json) could leave the prefix, or None when it is a plain relative path."""
    if "\0" in path or "\\" in path:
        return "a NUL byte or backslash"
    if path.startswith("/"):
        return "an absolute path"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "a '..', '.' or empty component"
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice")  # rattler's parser refuses it too; two readings must not differ
    return dict(pairs)


def read_json(package: Extracted, member: str) -> Any:
    path = package.folder / member
    if path.is_symlink() or not path.is_file():
        raise refuse(package.name, f"it has no {member}")
    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError) as error:
        raise refuse(package.name, f"its {member} is not valid JSON ({error})") from None


def check_packages(packages: Sequence[Extracted], platform: str, records: Sequence[RepoDataRecord] = ()) -> None:
    """Raise a UsageError naming the first package and path that could write outside the prefix.

    `packages` are checked together: what one installs against the links of the others. `records` are all the
    install's records, when `packages` are only those linked so far (the python record says where site-packages is).
    """
    site_packages = _site_packages(records or [package.record for package in packages])
    kinds: dict[str, tuple[str, str, str]] = {}  # same_path key -> (final path in the prefix, path_type, package)
    for package in packages:
        index = read_json(package, "info/index.json")
        for subdir in {str(package.record.subdir), str(index.get("subdir", "")) if isinstance(index, dict) else ""}:
            if subdir not in (platform, "noarch"):
                raise refuse(package.name, f"it is built for {subdir or 'no platform'}, not for {platform} or noarch")
        noarch_python = _noarch_python(package, index)
        for path, kind in _entries(package):
            for final in _final_paths(path, noarch_python, site_packages):
                other = kinds.get(same_path(final))
                if other is not None and "softlink" in (kind, other[1]) and other[1:] != (kind, package.name):
                    raise refuse(package.name, f"{final!r} is also installed by {other[2]}, and one is a symbolic link")
                kinds[same_path(final)] = (final, kind, package.name)
        if noarch_python:
            for name in _entry_point_names(package):
                kinds.setdefault(same_path(f"bin/{name}"), (f"bin/{name}", "hardlink", package.name))
    links = {key: (path, owner) for key, (path, kind, owner) in kinds.items() if kind == "softlink"}
    for path, _, owner in kinds.values():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            link = links.get(same_path("/".join(parts[:depth])))
            if link is not None:
                raise refuse(owner, f"it installs {path!r} through the symbolic link {link[0]!r} of {link[1]}")


def same_path(path: str) -> str:
    """The key under which two paths name one file on a Mac's default disk, whatever the disk setup runs on.

    A Mac's system volume is the case-insensitive APFS variant, which is also not normalization-sensitive (Apple's APFS
    Guide, FAQ: developer.apple.com/library/archive/documentation/FileManagement/Conceptual/APFS_Guide/FAQ/FAQ.html),
    so `share/Escape` and `share/escape/file` meet there; on a case-sensitive disk the stricter reading only refuses.
    """
    return unicodedata.normalize("NFD", path).casefold()


def _entries(package: Extracted) -> list[tuple[str, str]]:
    document = read_json(package, "info/paths.json")
    entries = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(entries, list) or document.get("paths_version") != 1:
        raise refuse(package.name, "its info/paths.json is not a version 1 paths list")
    found = []
    for entry in entries:
        path = entry.get("_path") if isinstance(entry, dict) else None
        kind = entry.get("path_type") if isinstance(entry, dict) else None
        if not isinstance(path, str) or kind not in PATH_TYPES:
            raise refuse(package.name, f"its info/paths.json has an entry without a path or type: {entry!r:.200}")
        reason = unsafe_path(path)
        if reason is None and path.split("/")[0] == "conda-meta":
            reason = "the environment's package records (conda-meta/)"
        if reason is not None:
            raise refuse(package.name, f"its info/paths.json installs {json.dumps(path)}, {reason}")
        try:
            mode = (package.folder / path).lstat().st_mode
        except OSError:
            raise refuse(package.name, f"{path!r} of its info/paths.json is not in the package") from None
        if not PATH_TYPES[kind](mode):
            raise refuse(package.name, f"{path!r} is listed as a {kind} but is not one in the package")
        found.append((path, str(kind)))
    return found


def _noarch_python(package: Extracted, index: Any) -> bool:
    noarch = package.record.noarch
    return bool(noarch is not None and noarch.python) or (isinstance(index, dict) and index.get("noarch") == "python")


def _final_paths(path: str, noarch_python: bool, site_packages: str) -> list[str]:
    """Where rattler puts `path`: noarch python files move to site-packages and bin (both kept: the safe side)."""
    if not noarch_python:
        return [path]
    if path.startswith("site-packages/"):
        return [path, f"{site_packages}/{path.removeprefix('site-packages/')}"]
    if path.startswith("python-scripts/"):
        return [path, f"bin/{path.removeprefix('python-scripts/')}"]
    return [path]


def _site_packages(records: Sequence[RepoDataRecord]) -> str:
    """The python package's site-packages folder, as rattler maps noarch python files into it."""
    for record in records:
        if str(record.name.normalized) != "python":
            continue
        declared = record.python_site_packages_path
        if declared:
            reason = unsafe_path(str(declared))
            if reason is not None:
                raise refuse(str(record.file_name), f"its python_site_packages_path {str(declared)!r} is {reason}")
            return str(declared)
        major_minor = ".".join(str(record.version).split(".")[:2])
        return f"lib/python{major_minor}/site-packages"
    return "lib/python/site-packages"


def _entry_point_names(package: Extracted) -> list[str]:
    link = package.folder / "info/link.json"
    if not link.exists() and not link.is_symlink():
        return []
    document = read_json(package, "info/link.json")
    noarch = document.get("noarch") if isinstance(document, dict) else None
    points = noarch.get("entry_points", []) if isinstance(noarch, dict) else []
    names = []
    for point in points if isinstance(points, list) else [points]:
        match = ENTRY_POINT.match(point) if isinstance(point, str) else None
        if match is None:
            raise refuse(
                package.name,
                f"its info/link.json has an entry point that is not 'name = module:function': {point!r:.200}",
            )
        names.append(match["name"])
    return names
