"""Write a file so that readers see the old content or the new, never half of it, and no debris on failure."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to a uniquely named temporary file beside `path`, then rename it over `path`.

    The unique name lets two writers (two tfm1 runs, two threads) work at once; the temporary file is removed
    when anything fails, and the OSError is raised for the caller to word.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
