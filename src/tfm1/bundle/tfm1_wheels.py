"""tfm1's own wheels in a bundle, for `bootstrap/install.sh --bundle`: tfm1's wheel and its dependencies' for the
Macs (`pip download --only-binary :all: --platform macosx_11_0_arm64 --python-version 3.12 -d DIR tfm1==VERSION`,
or a release's files), given as a folder, and `requirements.txt`, one `name==version --hash=sha256:…` line per
project, which install.sh hands to pip with `--no-index --require-hashes`: pip installs those files and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from tfm1.errors import UsageError

REQUIREMENTS = "requirements.txt"


def wheels_in(folder: Path) -> list[Path]:
    folder = folder.expanduser().absolute()
    if not folder.is_dir():
        raise UsageError(
            f"--wheels {folder} is not a folder", "pass the folder holding tfm1's wheel and its dependencies'"
        )
    wheels = sorted(p for p in folder.iterdir() if p.name.endswith(".whl") and p.is_file())
    if not wheels:
        # Which of them is tfm1 is install.sh's to find out: it checks that a `tfm1` command was installed.
        raise UsageError(f"{folder} holds no wheels", "put tfm1's wheel and its dependencies' into it")
    return wheels


def requirements_for(wheels: dict[Path, str]) -> bytes:
    """The pinned requirements of `wheels` (file -> sha256): every file of one project and version is one line
    with all its hashes (wheels for several Python versions of one release)."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    hashes: dict[tuple[str, str], list[str]] = {}
    for wheel, sha256 in wheels.items():
        try:
            name, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            raise UsageError(f"{wheel} is not named like a wheel", "pass only wheels pip or uv made") from None
        hashes.setdefault((str(name), str(version)), []).append(sha256)
    lines = [
        f"{name}=={version}" + "".join(f" --hash=sha256:{h}" for h in sorted(found))
        for (name, version), found in sorted(hashes.items())
    ]
    return ("\n".join(lines) + "\n").encode()
