"""Registering an environment's kernel with Jupyter as `jupyter kernelspec install --user` does: the name tfm1 gives it
(`kernel_name`), the `kernel.json` it writes (`spec_document`) in the user's Jupyter data dir
(`<data dir>/kernels/<name>/kernel.json`, `kernel_file`), written whole or not at all, and removed with its folder;
and whether a kernelspec is one tfm1 wrote (`owned`, by the sha256 a receipt recorded; `marked_for`, by its marker)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from tfm1.atomic import write_atomic
from tfm1.host.base import Host
from tfm1.jupyter.dirs import data_dir
from tfm1.jupyter.kernelspecs import KERNEL_FILE, TFM1_KERNEL_PREFIX

# Jupyter lists a kernel under its folder's name, lower-cased, and allows only these characters in it
# (`_is_valid_kernel_name`, `_list_kernels_in` in
# https://github.com/jupyter/jupyter_client/blob/main/jupyter_client/kernelspec.py).
_UNSAFE = re.compile(r"[^a-z0-9._-]+")

KernelRecord = dict[str, str]  # {"path": kernel.json, "sha256": of the bytes tfm1 wrote}


def kernel_name(prefix: Path) -> str:
    """`tfm1-<environment name>`: the prefix's folder name, made into a name Jupyter accepts."""
    return TFM1_KERNEL_PREFIX + (_UNSAFE.sub("-", prefix.name.lower()).strip("-.") or "env")


def spec_document(python: Path, display: str, prefix: Path) -> bytes:
    """kernel.json for the environment's own interpreter, by absolute path: never a `python` found on PATH.

    TensorFlow on Metal needs no environment variable, so there is no `env`. The `tfm1` metadata names the
    environment: for people reading the file, and for setup when the environment's receipt is gone (deleted by
    hand); otherwise whether the file is tfm1's is decided by the sha256 recorded in the receipt.
    """
    document = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display,
        "language": "python",
        "metadata": {"debugger": True, "tfm1": {"prefix": str(prefix)}},
    }
    return (json.dumps(document, indent=1) + "\n").encode()


def kernel_file(host: Host, prefix: Path) -> Path:
    """`<Jupyter data dir>/kernels/tfm1-<name>/kernel.json`, absolute (the receipt records it, remove reads it)."""
    # abspath, not resolve: the path as Jupyter lists it, symlinks and all.
    return Path(os.path.abspath(data_dir(host))) / "kernels" / kernel_name(prefix) / KERNEL_FILE  # noqa: PTH100


def write_kernelspec(spec: Path, document: bytes) -> str:
    """Write `document` as the kernel.json `spec` (a reader sees the old one or the new, never half); its sha256.
    Raises OSError."""
    write_atomic(spec, document)
    return hashlib.sha256(document).hexdigest()


def remove_kernelspec(spec: Path) -> None:
    """Delete the kernel.json `spec`, and its folder once nothing else is in it. Raises OSError."""
    spec.unlink()
    if not any(spec.parent.iterdir()):
        spec.parent.rmdir()


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def owned(record: KernelRecord | None) -> bool:
    """Whether `record` (from an untrusted receipt) names a tfm1 kernel.json that is unchanged since it was written."""
    if record is None:
        return False
    spec = Path(record["path"])
    # Only the shape tfm1 writes: a receipt naming any other file must not make tfm1 delete or replace it.
    shaped = spec.is_absolute() and spec.name == KERNEL_FILE and spec.parent.name.startswith("tfm1-")
    return shaped and spec.parent.parent.name == "kernels" and _sha256(spec) == record["sha256"]


def marked_for(spec: Path, prefix: Path) -> bool:
    """A kernelspec tfm1 wrote for this very prefix whose record is gone with the environment (deleted by hand).

    Only kernel.json in its folder, the tfm1 marker naming `prefix` and argv[0] its interpreter: replacing it
    changes nothing anyone relies on, since it can only ever start this environment.
    """
    try:
        document = json.loads(spec.read_text(encoding="utf-8"))
        entries = [p.name for p in spec.parent.iterdir()]
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(document, dict) or entries != [KERNEL_FILE]:
        return False
    marker = document.get("metadata", {}).get("tfm1", {}) if isinstance(document.get("metadata"), dict) else {}
    argv = document.get("argv")
    python = str(prefix / "bin" / "python")
    return (
        isinstance(marker, dict)
        and marker.get("prefix") == str(prefix)
        and isinstance(argv, list)
        and argv[:1] == [python]
    )
