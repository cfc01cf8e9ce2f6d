"""The pinned Miniforge release: the one source of truth for `tfm1 setup` and `bootstrap/install.sh`.

Version and hashes are those of Homebrew's `miniforge` cask, checked against the release's own
`.sha256` files (only versioned assets have them; `latest/download/` does not).
"""

from __future__ import annotations

VERSION = "25.3.1-0"

# Keyed by `uname -m` on macOS.
SHA256 = {
    "arm64": "d9eabd1868030589a1d74017b8723b01cf81b5fec1b9da8021b6fa44be7bbeae",
    "x86_64": "6c09a3550bb65bdb6d3db6f6c2b890b987b57189f3b71c67a5af49943d2522e8",
}

URL_TEMPLATE = (
    "https://github.com/conda-forge/miniforge/releases/download/{version}/Miniforge3-{version}-MacOSX-{arch}.sh"
)


def installer_url(arch: str = "arm64", version: str = VERSION) -> str:
    return URL_TEMPLATE.format(version=version, arch=arch)
