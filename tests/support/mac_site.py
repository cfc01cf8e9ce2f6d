"""A Mac with Apple silicon laid out in a temporary directory: a venv whose files are real (dist-info text and Mach-O
heads taken out of PyPI wheels), read through the live host's code.

    mac = MacSite(tmp_path, python="3.11")
    mac.dist("tensorflow-macos", "2.11.0", metadata=..., wheel=..., files={"tensorflow/__init__.py": b""})
    report = diagnose(mac.host())

Only what the operating system answers is stood in for (`platform`, `sysctl`): the host interface is the seam
doctor reads a machine through, and LinuxHost(root=...) already maps every path into the temporary directory.
"""

from __future__ import annotations

from pathlib import Path

from tfm1.host import LinuxHost

FIXTURES = Path(__file__).parent.parent / "fixtures"
# A real arm64 Mach-O (markupsafe's extension from its macOS arm64 wheel, tests/fixtures/macho/README.md) stands in
# for the interpreter: doctor reads only its header.
ARM64_PYTHON = FIXTURES / "macho" / "markupsafe-arm64.head"
PREFIX = "/Users/ana/venv"


class MacOnDisk(LinuxHost):
    """An M1 on macOS `macos`, natively running tfm1, whose files are those under `root`."""

    def __init__(self, root: Path, environ: dict[str, str], macos: str, mac_ver: str | None = None) -> None:
        super().__init__(root=str(root), environ=environ)
        self.macos = macos
        self.reported = macos if mac_ver is None else mac_ver

    def system(self) -> str:
        return "Darwin"

    def machine(self) -> str:
        return "arm64"

    def mac_ver(self) -> str:
        return self.reported

    def sysctl(self, name: str) -> str | None:
        return {
            "hw.optional.arm64": "1",
            "sysctl.proc_translated": "0",
            "kern.osproductversion": self.macos,
            "machdep.cpu.brand_string": "Apple M1",
        }.get(name)


class MacSite:
    """A venv at /Users/ana/venv on its own Python `python` (X.Y), active in the shell."""

    def __init__(self, root: Path, python: str = "3.11", interpreter: bytes | None = None) -> None:
        self.root = root
        self.python = python
        prefix = root / PREFIX.lstrip("/")
        (prefix / "bin").mkdir(parents=True)
        (prefix / "pyvenv.cfg").write_text(
            f"home = /opt/homebrew/opt/python@{python}/bin\ninclude-system-site-packages = false\n"
            f"version = {python}.9\n"
        )
        (prefix / "bin" / f"python{python}").write_bytes(interpreter or ARM64_PYTHON.read_bytes())
        (prefix / "bin" / "python").symlink_to(f"python{python}")
        self.site = prefix / "lib" / f"python{python}" / "site-packages"
        self.site.mkdir(parents=True)

    @property
    def site_path(self) -> str:
        """The site-packages as doctor sees it (an absolute path on the laid-out Mac)."""
        return f"{PREFIX}/lib/python{self.python}/site-packages"

    def environ(self) -> dict[str, str]:
        return {"HOME": "/Users/ana", "PATH": f"{PREFIX}/bin:/usr/bin:/bin", "VIRTUAL_ENV": PREFIX, "SHELL": "/bin/zsh"}

    def host(self, macos: str = "14.5", mac_ver: str | None = None) -> MacOnDisk:
        return MacOnDisk(self.root, self.environ(), macos, mac_ver)

    def dist(
        self,
        name: str,
        version: str,
        *,
        metadata: str | None = None,
        wheel: str | None = None,
        record: list[str] | None = None,
        files: dict[str, bytes] | None = None,
    ) -> Path:
        """A distribution as pip installs it: `<name>-<version>.dist-info` and the files it put in site-packages."""
        info = self.site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
        if wheel is not None:
            (info / "WHEEL").write_text(wheel)
        (info / "INSTALLER").write_text("pip\n")
        if record is not None:
            (info / "RECORD").write_text("".join(f"{row},,\n" for row in sorted(record)))
        for relative, data in (files or {}).items():
            path = self.site / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return info


def fixture_dist_info(wheel_filename: str) -> tuple[str, str]:
    """(METADATA, WHEEL) as they are in that PyPI wheel (tests/fixtures/dist-info/README.md)."""
    folder = FIXTURES / "dist-info" / wheel_filename
    return (folder / "METADATA").read_text(encoding="utf-8"), (folder / "WHEEL").read_text(encoding="utf-8")


def fixture_head(name: str) -> bytes:
    return (FIXTURES / "macho" / name).read_bytes()
