"""`tfm1 doctor`: name the root cause of a broken TensorFlow setup from files and sysctl values alone."""

from __future__ import annotations

import argparse
import json
import posixpath
import sys
from typing import TYPE_CHECKING

from tfm1.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from tfm1.host.base import Host
    from tfm1.host.recorder import RecordingHost
    from tfm1.host.snapshot import SnapshotHost


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="diagnose this Mac's TensorFlow setup without importing TensorFlow",
        description="Read the machine (sysctl, Mach-O headers, conda and Homebrew prefixes, installed "
        "wheels) without importing TensorFlow, and name the root cause and the fix. Exit status: 0 no error found, "
        "1 an error found, 2 bad usage or an unreadable snapshot.",
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter to check: a path, a name on PATH (python3.12) or an environment's folder "
        "(default: $VIRTUAL_ENV, $CONDA_PREFIX, then python3 on PATH)",
    )
    parser.add_argument(
        "--kernel", metavar="NAME", help="check the interpreter of this Jupyter kernel (its kernel.json argv[0])"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--snapshot", metavar="FILE", help="diagnose from a saved snapshot instead of this machine")
    source.add_argument("--save-snapshot", metavar="FILE", help="also write what doctor read to FILE (JSON)")
    parser.add_argument("--json", action="store_true", help="print findings and facts as JSON")
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also prove from the installed binaries that tensorflow-metal's plugin can load with the "
        "installed TensorFlow (reads the Mach-O libraries: slower; not with --snapshot)",
    )


def _read_snapshot(path: str) -> SnapshotHost:
    from pathlib import Path

    from tfm1.host.snapshot import SnapshotError, SnapshotHost, load_snapshot

    try:
        with Path(path).open(encoding="utf-8") as handle:
            text = handle.read(64 << 20)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"cannot read snapshot {path}: {error}", "pass a snapshot saved by tfm1 doctor --save-snapshot"
        ) from None
    try:
        return SnapshotHost(load_snapshot(text))
    except SnapshotError as error:
        raise UsageError(
            f"{path} is not a usable tfm1 snapshot: {error}",
            "save it again with tfm1 doctor --save-snapshot FILE",
        ) from None


def run(args: argparse.Namespace) -> int:
    from tfm1.doctor import diagnose
    from tfm1.host import live_host

    host: Host
    recorder: RecordingHost | None = None
    snapshot_python = None
    if args.snapshot:
        replay = _read_snapshot(args.snapshot)
        host, snapshot_python = replay, replay.snapshot.python
    elif args.save_snapshot:
        from tfm1.host.recorder import RecordingHost

        host = recorder = RecordingHost(live_host())
    else:
        host = live_host()
    python = _python_argument(host, args.python, live=not args.snapshot) if args.python else None
    if args.kernel:
        python = _kernel_argument(host, args.kernel, python)
    if args.deep and args.snapshot:
        raise UsageError("--deep reads the installed binaries, which a snapshot does not hold", "drop --deep")
    report = diagnose(host, python, snapshot_python)
    if args.deep:
        from tfm1.doctor.deep import add_linkage_findings

        report = add_linkage_findings(report)
    if recorder is not None:
        # Only an explicit --python is recorded: otherwise the replay finds the interpreter the same
        # way the live run did, from the recorded environment variables.
        recorder.snapshot.python = python
        _save_snapshot(recorder, args.save_snapshot)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from tfm1.doctor.render import render_report

        if hasattr(sys.stdout, "reconfigure"):
            # A terminal that cannot show a character (a Latin-1 locale, a lone surrogate from a snapshot)
            # gets an escape, not a traceback.
            sys.stdout.reconfigure(errors="backslashreplace")
        render_report(report, sys.stdout)
    return ExitCode.FAILED if report.has_errors else ExitCode.OK


def _python_argument(host: Host, given: str, *, live: bool) -> str:
    """The interpreter `--python` names, as an absolute path on the host being diagnosed."""
    fix = "give the path of a Python interpreter, its name on PATH, or an environment's folder"
    if "/" not in given:  # a bare name means the one a shell would run, as in `tfm1 verify --python`
        found = host.which(given) or _env_python(host, given)
        if found is None:
            raise UsageError(f"--python {given}: not found on PATH, nor an environment of that name", fix)
        return found
    path = given
    if not path.startswith("/"):
        if not live:
            raise UsageError(f"--python {given}: a snapshot's paths are absolute", "give the path as recorded")
        from pathlib import Path

        path = str(Path(path).absolute())  # not resolved: a venv's bin/python is a symlink to keep
    if host.is_dir(path):
        inside = posixpath.join(path, "bin", "python")
        if not host.exists(inside):
            raise UsageError(f"--python {given} is a folder without bin/python", fix)
        return inside
    if not host.exists(path):
        raise UsageError(f"--python {given}: no such file", fix)
    return path


def _env_python(host: Host, name: str) -> str | None:
    """bin/python of the environment `name` (conda, mamba, pixi, environments.txt), as `conda activate NAME` means."""
    from tfm1.inspect.conda import find_conda_roots
    from tfm1.inspect.places import env_named, find_other_envs

    roots = find_conda_roots(host)
    prefix = env_named(host, name, roots, find_other_envs(host, roots))
    python = posixpath.join(prefix, "bin", "python") if prefix else None
    return python if python and host.exists(python) else None


def _kernel_argument(host: Host, name: str, python: str | None) -> str:
    from tfm1.inspect.conda import find_conda_roots
    from tfm1.inspect.kernels import find_kernels

    if python:
        raise UsageError("--kernel and --python both name the interpreter", "give one of them")
    prefixes = [env.prefix for root in find_conda_roots(host) for env in (root.env, *root.envs)]
    kernels = find_kernels(host, prefixes)
    found = next((k.python for k in kernels if k.name == name), None)
    if found is None:
        known = ", ".join(k.name for k in kernels) or "none"
        raise UsageError(f"--kernel {name}: no such Jupyter kernel (found: {known})", "jupyter kernelspec list")
    return found


def _save_snapshot(host: RecordingHost, path: str) -> None:
    from pathlib import Path

    try:
        with Path(path).open("w", encoding="utf-8") as handle:
            json.dump(host.snapshot.to_json(), handle, indent=1)
            handle.write("\n")
    except OSError as error:
        raise UsageError(f"cannot write snapshot {path}: {error}", "choose a writable path") from None
