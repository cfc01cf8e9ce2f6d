"""A pretend Mac on Linux for `bootstrap/install.sh` and `bootstrap/uninstall.sh`.

The sandbox is a HOME, a TMPDIR and a PATH made of one directory: stubs for the macOS commands the scripts ask
about the machine (`uname`, `sysctl`, `sw_vers`, `arch`, `id`, `shasum`), driven by FAKE_* variables, and
logging wrappers around the real tools a Mac also has. Every command the scripts run is logged, so a test can say
"nothing ran", and a tool the scripts start using without it being listed here fails the tests.

Knobs: FAKE_OS (uname -s, default Darwin), FAKE_CPU (arm64 | intel), FAKE_TRANSLATED=1 (a Rosetta shell),
FAKE_ARCH_TRANSLATED=1 (arch -arm64 fails to leave Rosetta), FAKE_MACOS (sw_vers -productVersion), FAKE_UID,
FAKE_INSTALLER_HANG, FAKE_INSTALLER_DIR (see fake_miniforge_installer).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import termios
import textwrap
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.support.caches import TEST_CACHE, building
from tfm1 import miniforge_release

REPO = Path(__file__).resolve().parents[2]
INSTALL_SH = REPO / "bootstrap" / "install.sh"
UNINSTALL_SH = REPO / "bootstrap" / "uninstall.sh"

# The external commands the scripts and the fake Miniforge installer may run; every one ships with macOS.
MAC_TOOLS = (
    "bash",
    "cat",
    "curl",
    "grep",
    "head",
    "ln",
    "ls",
    "mkdir",
    "mktemp",
    "readlink",
    "rm",
    "rmdir",
    "sed",
    "tr",
)

# How each shell is asked to read a script the POSIX way (argv before the script or `-s`).
SHELLS: dict[str, tuple[str, ...]] = {
    "dash": ("dash",),
    "bash-posix": ("bash", "--posix"),
    "zsh-sh": ("zsh", "--emulate", "sh"),
    "busybox-sh": ("busybox", "sh"),
}

# Variables the machine needs for pip and curl to reach PyPI (proxies, CA bundles, pip's own settings).
PASSTHROUGH_PREFIXES = ("PIP_", "UV_")
PASSTHROUGH = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
)

# One log line per call: the name and each argument, tab-separated.
_LOG = (
    'printf \'%s\' "{name}" >>"$FAKE_LOG"; '
    'for a in "$@"; do printf \'\\t%s\' "$a" >>"$FAKE_LOG"; done; '
    'echo >>"$FAKE_LOG"'
)

_STUBS = {
    "uname": """
        case "${1:-}" in
            -m)
                if [ "${FAKE_CPU:-arm64}" = intel ] || [ "${FAKE_TRANSLATED:-0}" = 1 ]; then
                    echo x86_64
                else
                    echo arm64
                fi
                ;;
            *) echo "${FAKE_OS:-Darwin}" ;;
        esac
    """,
    # Intel Macs lack both OIDs; sysctl then says "unknown oid" and fails.
    "sysctl": """
        value_only=0
        if [ "${1:-}" = -n ]; then value_only=1; shift; fi
        case "$1:${FAKE_CPU:-arm64}" in
            hw.optional.arm64:arm64) value=1 ;;
            sysctl.proc_translated:arm64) value="${FAKE_TRANSLATED:-0}" ;;
            *) echo "sysctl: unknown oid '$1'" >&2; exit 1 ;;
        esac
        if [ "$value_only" = 1 ]; then echo "$value"; else echo "$1: $value"; fi
    """,
    "sw_vers": """
        case "${1:-}" in
            -productVersion) echo "${FAKE_MACOS:-14.5}" ;;
            *) printf 'ProductName:\\tmacOS\\nProductVersion:\\t%s\\n' "${FAKE_MACOS:-14.5}" ;;
        esac
    """,
    # arch -arm64 CMD: run CMD natively, which here means "no longer translated".
    "arch": """
        [ "${1:-}" = -arm64 ] || { echo "arch stub: only -arm64 is supported" >&2; exit 64; }
        shift
        FAKE_TRANSLATED="${FAKE_ARCH_TRANSLATED:-0}"
        export FAKE_TRANSLATED
        exec "$@"
    """,
    "id": """
        case "${1:-}" in
            -u) echo "${FAKE_UID:-501}" ;;
            *) echo "uid=${FAKE_UID:-501}(user)" ;;
        esac
    """,
    # macOS has shasum (Perl); its output is sha256sum's for `-a 256`.
    "shasum": """
        [ "${1:-}" = -a ] && [ "${2:-}" = 256 ] || { echo "shasum stub: only -a 256 is supported" >&2; exit 64; }
        shift 2
        exec {sha256sum} "$@"
    """,
}


def shell_argv(name: str) -> list[str]:
    """The command line that starts shell `name`; a missing shell is a failure (CI installs all of them)."""
    argv = list(SHELLS[name])
    found = shutil.which(argv[0])
    if found is None:
        raise AssertionError(f"{argv[0]} is not installed: apt-get install {argv[0]} (scripts/test does this in CI)")
    argv[0] = found
    return argv


def _write_executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def base_python() -> str:
    """The interpreter a fake conda root symlinks to: the real one behind this venv, so `-m venv` works from it."""
    return str(Path(getattr(sys, "_base_executable", sys.executable)))


def fake_miniforge_installer(subdir: str = "osx-arm64") -> bytes:
    """A stand-in for Miniforge3-*-MacOSX-arm64.sh taking `-b -p PREFIX`: a conda root whose python is this machine's.

    Like the real one it refuses a file name not ending in .sh and an existing prefix; it logs its argv and what its
    stdin is (the bootstrap must give children /dev/null) as a `miniforge-installer` call.
    """
    version = ".".join(str(part) for part in sys.version_info[:3])
    short = ".".join(str(part) for part in sys.version_info[:2])
    script = f"""\
        #!/bin/sh
        set -eu
        case "$0" in *.sh) ;; *) echo "ERROR: the installer file name must end in .sh" >&2; exit 1 ;; esac
        stdin=$(readlink /proc/self/fd/0 || echo unknown)
        printf 'miniforge-installer' >>"$FAKE_LOG"
        for a in "$@" "stdin=$stdin"; do printf '\\t%s' "$a" >>"$FAKE_LOG"; done
        echo >>"$FAKE_LOG"
        batch=0
        prefix=""
        while [ $# -gt 0 ]; do
            case "$1" in
                -b) batch=1 ;;
                -p) prefix="$2"; shift ;;
                *) echo "unexpected argument: $1" >&2; exit 2 ;;
            esac
            shift
        done
        [ "$batch" = 1 ] && [ -n "$prefix" ] || {{ echo "expected -b -p PREFIX" >&2; exit 2; }}
        [ ! -e "$prefix" ] || {{ echo "ERROR: File or directory already exists: '$prefix'" >&2; exit 1; }}
        mkdir -p "$prefix/bin" "$prefix/conda-meta" "$prefix/envs"
        # FAKE_INSTALLER_HANG=FILE: create FILE, then hang half-way (for a Ctrl-C test).
        if [ -n "${{FAKE_INSTALLER_HANG:-}}" ]; then : >"$FAKE_INSTALLER_HANG"; sleep 120; fi
        # FAKE_INSTALLER_DIR=NAME: leave a folder NAME in the root (no file of that name can be written, by root too).
        if [ -n "${{FAKE_INSTALLER_DIR:-}}" ]; then mkdir "$prefix/$FAKE_INSTALLER_DIR"; fi
        ln -s {base_python()} "$prefix/bin/python{short}"
        ln -s python{short} "$prefix/bin/python3"
        ln -s python{short} "$prefix/bin/python"
        echo '{{"name": "python", "version": "{version}", "build": "fake_0", "subdir": "{subdir}"}}' \\
            >"$prefix/conda-meta/python-{version}-fake_0.json"
        : >"$prefix/conda-meta/history"
        echo "installation finished."
    """
    return textwrap.dedent(script).encode()


@dataclass
class Sandbox:
    root: Path
    home: Path
    bin: Path
    tmp: Path
    log: Path
    env: dict[str, str]

    @classmethod
    def create(cls, root: Path, *, without: Iterable[str] = (), extra_tools: Iterable[str] = ()) -> Sandbox:
        home, bin_dir, tmp = root / "home", root / "bin", root / "tmp"
        for directory in (home, bin_dir, tmp):
            directory.mkdir(parents=True)
        log = root / "calls.log"
        log.touch()
        skip = set(without)
        sha256sum = shutil.which("sha256sum")
        assert sha256sum, "sha256sum (coreutils) is needed by the shasum stub"
        for name, body in _STUBS.items():
            if name in skip:
                continue
            text = (
                "#!/bin/sh\n" + _LOG.format(name=name) + "\n" + textwrap.dedent(body).replace("{sha256sum}", sha256sum)
            )
            _write_executable(bin_dir / name, text)
        for name in (*MAC_TOOLS, *extra_tools):
            if name in skip:
                continue
            real = shutil.which(name)
            assert real, f"{name} is not installed on this machine"
            _write_executable(bin_dir / name, f'#!/bin/sh\n{_LOG.format(name=name)}\nexec {real} "$@"\n')
        env = {
            "HOME": str(home),
            "PATH": str(bin_dir),
            "TMPDIR": str(tmp),
            "FAKE_LOG": str(log),
            "LANG": "C.UTF-8",
            "SHELL": "/bin/zsh",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            # The sandbox HOME is new each time; pip's cache is not.
            "PIP_CACHE_DIR": str(TEST_CACHE / "pip"),
        }
        for key, value in os.environ.items():
            if key in PASSTHROUGH or key.startswith(PASSTHROUGH_PREFIXES):
                env.setdefault(key, value)
        return cls(root, home, bin_dir, tmp, log, env)

    def run(
        self,
        *args: str,
        script: Path = INSTALL_SH,
        shell: str = "dash",
        piped: bool = True,
        source: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run a script as `curl … | sh -s -- ARGS` (piped) or as `sh FILE ARGS`, with no controlling terminal."""
        full_env = {**self.env, **(env or {})}
        if piped:
            argv = [*shell_argv(shell), "-s", "--", *args]
            stdin = source if source is not None else script.read_bytes()
        else:
            argv = [*shell_argv(shell), str(script), *args]
            stdin = b""
        # A new session has no controlling terminal, so /dev/tty cannot be opened: what `curl | sh` in CI sees.
        completed = subprocess.run(
            argv, input=stdin, capture_output=True, env=full_env, timeout=timeout, start_new_session=True, check=False
        )
        return subprocess.CompletedProcess(
            argv,
            completed.returncode,
            completed.stdout.decode(errors="replace"),
            completed.stderr.decode(errors="replace"),
        )

    def run_with_terminal(
        self,
        *args: str,
        answer: str,
        script: Path = INSTALL_SH,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> tuple[subprocess.CompletedProcess[str], str]:
        """Pipe the script into dash while a pseudo-terminal is the controlling terminal (what /dev/tty opens).

        `answer` is typed on the terminal once something is written to it. Returns the run and what the terminal showed.
        """
        master, slave = os.openpty()

        def become_terminal_owner() -> None:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        out, err = self.root / "tty-run.out", self.root / "tty-run.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [*shell_argv("dash"), "-s", "--", *args],
                stdin=subprocess.PIPE,
                stdout=stdout,
                stderr=stderr,
                env={**self.env, **(env or {})},
                preexec_fn=become_terminal_owner,  # the child must own the terminal before it runs
                pass_fds=(slave,),
            )
            os.close(slave)
            assert process.stdin is not None
            process.stdin.write(script.read_bytes())
            process.stdin.close()
            shown = self._answer(master, process, answer, time.monotonic() + timeout)
            process.wait(timeout=timeout)
        os.close(master)
        completed = subprocess.CompletedProcess(process.args, process.returncode, out.read_text(), err.read_text())
        return completed, shown

    @staticmethod
    def _answer(master: int, process: subprocess.Popen[bytes], answer: str, deadline: float) -> str:
        shown = b""
        answered = False
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed its side of the terminal
                    break
                shown += chunk
                if not answered:
                    os.write(master, answer.encode() + b"\n")
                    answered = True
            elif process.poll() is not None:
                break
        return shown.decode(errors="replace")

    def calls(self, name: str | None = None) -> list[list[str]]:
        """Logged commands, each as [name, *argv]; only those called `name` when given."""
        rows = [line.split("\t") for line in self.log.read_text().splitlines()]
        return [row for row in rows if name is None or row[0] == name]

    def home_files(self) -> set[str]:
        """Every path under HOME (files, directories, links), relative to HOME."""
        return {str(path.relative_to(self.home)) for path in self.home.rglob("*")}

    def receipt(self) -> list[str]:
        text = (self.home / ".tfm1" / "bootstrap-receipt").read_text()
        return [line for line in text.splitlines() if line and not line.startswith("#")]

    def make_conda_root(self, prefix: Path, subdir: str) -> None:
        """Lay out a conda installation the way the fake installer does (for roots that exist before the bootstrap)."""
        installer = self.root / f"make-root-{subdir}.sh"
        installer.write_bytes(fake_miniforge_installer(subdir))
        env = {**self.env, "FAKE_LOG": str(self.root / "setup-calls.log")}
        subprocess.run(["bash", str(installer), "-b", "-p", str(prefix)], env=env, check=True, capture_output=True)


def probe_log_entries(path: Path) -> list[dict[str, object]]:
    """What the hand-over probe recorded: one {"argv": [...], "stdin": ...} per `tfm1` run other than --version."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


# A package whose `tfm1` command records how it was called: stands in for tfm1 when a test checks the hand-over.
PROBE_PROJECT = {
    "pyproject.toml": """\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "tfm1-handover-probe"
        version = "0.0.1"

        [project.scripts]
        tfm1 = "tfm1_handover_probe:main"
    """,
    "tfm1_handover_probe/__init__.py": """\
        import json
        import os
        import sys


        def main() -> int:
            if sys.argv[1:] == ["--version"]:
                print("tfm1 0.0.1 (hand-over probe)")
                return 0
            with open(os.environ["TFM1_PROBE_LOG"], "a") as log:
                record = {"argv": sys.argv[1:], "stdin": os.readlink("/proc/self/fd/0")}
                record["conda_exe"] = os.environ.get("CONDA_EXE")
                log.write(json.dumps(record) + "\\n")
            return int(os.environ.get("TFM1_PROBE_EXIT", "0"))
    """,
}


def build_wheel(project: Path, out_dir: Path) -> Path:
    """`uv build --wheel` (the project's own build tool); returns the one wheel it made."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(
        [sys.executable, "-m", "uv", "build", "--wheel", "--out-dir", str(out_dir), str(project)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out_dir.glob("*.whl")
    return wheel


def build_probe_wheel() -> Path:
    """The probe's wheel, built once and cached under a key of its source (a changed probe is built again)."""
    key = hashlib.sha256(json.dumps(PROBE_PROJECT, sort_keys=True).encode()).hexdigest()[:16]
    cache = TEST_CACHE / "probe-wheel" / key
    with building(cache):
        return _probe_wheel(cache)


def _probe_wheel(cache: Path) -> Path:
    done = cache / ".complete"
    if done.exists():
        (wheel,) = (cache / "dist").glob("*.whl")
        return wheel
    shutil.rmtree(cache, ignore_errors=True)
    project = cache / "project"
    for relative, text in PROBE_PROJECT.items():
        target = project / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    wheel = build_wheel(project, cache / "dist")
    done.touch()  # last, so an interrupted build is never taken for a finished one
    return wheel


INSTALLER_NAME = f"Miniforge3-{miniforge_release.VERSION}-MacOSX-arm64.sh"


@dataclass
class Mac:
    """A sandboxed Apple-silicon Mac whose downloads come from a local server: Miniforge (the fake installer, its
    real sha256 given through TFM1_MINIFORGE_SHA256) and, as the tfm1 package, the hand-over probe."""

    sandbox: Sandbox
    server: HTTPServer
    installer: bytes
    probe_log: Path

    @classmethod
    def serve(cls, sandbox: Sandbox, server: HTTPServer, probe_wheel: Path) -> Mac:
        installer = fake_miniforge_installer()
        server.expect_request(f"/miniforge/{INSTALLER_NAME}").respond_with_data(installer)
        server.expect_request(f"/wheels/{probe_wheel.name}").respond_with_data(probe_wheel.read_bytes())
        probe_log = sandbox.root / "probe.jsonl"
        sandbox.env.update(
            {
                "TFM1_MINIFORGE_URL": server.url_for(f"/miniforge/{INSTALLER_NAME}"),
                "TFM1_MINIFORGE_SHA256": hashlib.sha256(installer).hexdigest(),
                "TFM1_PACKAGE": server.url_for(f"/wheels/{probe_wheel.name}"),
                "TFM1_PROBE_LOG": str(probe_log),
            }
        )
        return cls(sandbox, server, installer, probe_log)

    @property
    def env(self) -> dict[str, str]:
        return self.sandbox.env

    def installer_downloads(self) -> int:
        return sum(1 for request, _ in self.server.log if request.path.endswith(INSTALLER_NAME))
