"""The wheels a hash-pinned requirements file (`uv export` of uv.lock) selects for this interpreter, from PyPI.

    wheels = locked_wheels(constraints_text)   # [Path], cached under ~/.cache/tfm1-tests/wheels by sha256
    wheels = wheels_for_tags(constraints_text, tags)   # every locked wheel another machine could take (a Mac's)

For each requirement whose marker holds here, the best wheel for this interpreter (packaging's tag order) among the
files whose sha256 the requirement lists: what pip with --require-hashes --only-binary :all: would install, so a
local index serving them stands in for PyPI.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests
from packaging.requirements import Requirement
from packaging.tags import Tag, sys_tags
from packaging.utils import parse_wheel_filename

from tests.support.pypi_files import SIMPLE, fetch_wheel


def parse_pinned(text: str) -> list[tuple[Requirement, set[str]]]:
    """(requirement, its sha256 set) for each entry; continuation lines joined, comments dropped."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    entries = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
        entries.append((Requirement(line.split(" --hash", 1)[0].strip()), hashes))
    return entries


def _files(project: str) -> list[dict[str, object]]:
    accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
    index = requests.get(SIMPLE.format(project=project), headers=accept, timeout=60)
    index.raise_for_status()
    files: list[dict[str, object]] = index.json()["files"]
    return files


def wheels_for_tags(text: str, tags: set[Tag]) -> list[Path]:
    """Every wheel among the locked files (by sha256) with a tag in `tags`, whatever the markers say here: the files a
    pip on another machine (a Mac, another Python) may choose from."""
    wheels = []
    for requirement, hashes in parse_pinned(text):
        for file in _files(requirement.name):
            filename, digest = str(file["filename"]), file.get("hashes", {}).get("sha256")  # type: ignore[attr-defined]
            if filename.endswith(".whl") and digest in hashes and parse_wheel_filename(filename)[3] & tags:
                wheels.append(fetch_wheel(requirement.name, filename, str(digest)))
    return wheels


def locked_wheels(text: str) -> list[Path]:
    priority = {tag: index for index, tag in enumerate(sys_tags())}
    wheels = []
    for requirement, hashes in parse_pinned(text):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
        index = requests.get(SIMPLE.format(project=requirement.name), headers=accept, timeout=60)
        index.raise_for_status()
        candidates = []
        for file in index.json()["files"]:
            digest = file.get("hashes", {}).get("sha256")
            if not file["filename"].endswith(".whl") or digest not in hashes:
                continue
            tags = parse_wheel_filename(file["filename"])[3]
            rank = min((priority[tag] for tag in tags if tag in priority), default=None)
            if rank is not None:
                candidates.append((rank, file["filename"], digest))
        assert candidates, f"no locked wheel of {requirement} fits this interpreter"
        _, filename, digest = min(candidates)
        wheels.append(fetch_wheel(requirement.name, filename, digest))
    return wheels
