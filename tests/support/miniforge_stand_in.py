"""A stand-in for the Miniforge installer: a real shell script run the way the real one is
(`bash <file>.sh -b -u -p PREFIX`, stdin closed) that refuses an existing prefix without `-u`, as constructor's
installers do, and lays out what tfm1 relies on in a conda root: `conda-meta/` with a record naming the platform,
`envs/`, `condabin/conda`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.support.conda_channel import host_subdir

FAKE_MINIFORGE = """#!/bin/bash
# A stand-in for Miniforge3-<version>-<os>-<arch>.sh: batch install into -p PREFIX.
set -eu
prefix="" force=0
while [ $# -gt 0 ]; do
    case "$1" in
        -b) shift ;;
        -u) force=1; shift ;;
        -p) prefix="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "no prefix" >&2; exit 2; }
if [ "$force" = 0 ] && [ -e "$prefix" ]; then echo "ERROR: File or directory already exists: '$prefix'" >&2; exit 1; fi
if read -r -t 1 line; then echo "the installer must not get input: $line" >&2; exit 3; fi
mkdir -p "$prefix/conda-meta" "$prefix/envs" "$prefix/condabin" "$prefix/pkgs"
printf '==> 2025-05-01 00:00:00 <==\\n' > "$prefix/conda-meta/history"
printf '{"name": "conda", "version": "25.3.1", "build": "0", "subdir": "@SUBDIR@"}\\n' \\
    > "$prefix/conda-meta/conda-25.3.1-0.json"
printf '#!/bin/sh\\necho "$@" >> "$(dirname "$0")/../conda-calls.txt"\\n' > "$prefix/condabin/conda"
chmod +x "$prefix/condabin/conda"
@EXTRA@
echo "installation finished."
"""


def fake_installer(directory: Path, extra: str = "") -> tuple[Path, str]:
    script = directory / "Miniforge3-25.3.1-0-Linux-x86_64.sh"
    directory.mkdir(parents=True, exist_ok=True)
    script.write_text(FAKE_MINIFORGE.replace("@SUBDIR@", host_subdir()).replace("@EXTRA@", extra))
    return script, hashlib.sha256(script.read_bytes()).hexdigest()
