"""The default profile's bump to a newer pair the binaries proved to load: environment.yml, then its lock.

The bump is only proposed: it travels in the pull request, marked as waiting for the Apple-silicon workflow, and
`tfm1 compat confirm` records that workflow's pass. Until then the pair's evidence is the binaries alone, and
tests/test_compat_evidence.py keeps such a pair out of the default profile on the main branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfm1.compat_update.candidates import Candidate
from tfm1.compat_update.releases import python_key
from tfm1.errors import Tfm1Error
from tfm1.profiles import Profile

if TYPE_CHECKING:
    from tfm1.pypi.index import Index


@dataclass
class Bump:
    profile: str
    before: dict[str, str]  # tensorflow, tensorflow_metal, python
    after: dict[str, str]
    status: str = "proposed"  # proposed: environment.yml and the lock written; failed: both left as they were
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "proposed"

    def to_json(self) -> dict[str, Any]:
        from tfm1.jsonable import record_json

        return {**record_json(self), "ok": self.ok}


def newer_pair(profile: Profile, proven: list[dict[str, Any]], pairs: list[Candidate]) -> tuple[Candidate, str] | None:
    """The newest pair proven to load that moves neither TensorFlow nor tensorflow-metal back, and the Python for
    it: the profile's own when both have wheels for it, else the newest they share."""
    pins = profile.pins
    if "tensorflow" not in pins or "tensorflow-metal" not in pins:
        return None
    now = (python_key(pins["tensorflow"]), python_key(pins["tensorflow-metal"]))
    loading = {(r["tensorflow"], r["tensorflow_metal"]) for r in proven if r["status"] == "works"}
    best: Candidate | None = None
    for candidate in pairs:
        if candidate.key not in loading or candidate.tensorflow.project != "tensorflow":
            continue
        key = (python_key(candidate.tensorflow.version), python_key(candidate.metal.version))
        if key[0] < now[0] or key[1] < now[1] or key == now:
            continue
        if best is None or key > (python_key(best.tensorflow.version), python_key(best.metal.version)):
            best = candidate
    if best is None:
        return None
    common = set(best.tensorflow.python_arm64) & set(best.metal.python_arm64)
    return best, profile.python if profile.python in common else max(common, key=python_key)


def rewrite(text: str, before: dict[str, str], after: dict[str, str]) -> str:
    """environment.yml with the new pins, Python and the versions its comments and description name."""
    replacements = [
        (
            "tensorflow==",
            rf"^([ \t]*-[ \t]*tensorflow==){re.escape(before['tensorflow'])}([ \t]*)$",
            after["tensorflow"],
        ),
        (
            "tensorflow-metal==",
            rf"^([ \t]*-[ \t]*tensorflow-metal==){re.escape(before['tensorflow_metal'])}([ \t]*)$",
            after["tensorflow_metal"],
        ),
        ("python=", rf"^([ \t]*-[ \t]*python[ \t]*=[ \t]*){re.escape(before['python'])}([ \t]*)$", after["python"]),
    ]
    for name, pattern, new in replacements:
        text, count = re.subn(pattern, rf"\g<1>{new}\g<2>", text, flags=re.MULTILINE)
        if count != 1:
            raise Tfm1Error(
                f"environment.yml does not pin {name} on one line of its own, as tfm1 compat update rewrites it",
                "pin tensorflow==X, tensorflow-metal==Y and python=X.Y on lines of their own",
            )
    for old, new in (
        (f"TensorFlow {before['tensorflow']}", f"TensorFlow {after['tensorflow']}"),
        (f"tensorflow-metal {before['tensorflow_metal']}", f"tensorflow-metal {after['tensorflow_metal']}"),
    ):
        text = text.replace(old, new)
    return text


def bump(profile: Profile, candidate: Candidate, python: str, index: Index) -> Bump:
    """Rewrite the profile's environment.yml and lock it (the gate and `lock --check` must pass); on any failure both
    files are left as they were."""
    from tfm1.lock.check import check_profile
    from tfm1.lock.run import expected_projects, lock_profile
    from tfm1.profiles import load_profile
    from tfm1.pypi.index_mirror import IndexMirror

    pins = profile.pins
    before = {"tensorflow": pins["tensorflow"], "tensorflow_metal": pins["tensorflow-metal"], "python": profile.python}
    after = {"tensorflow": candidate.tensorflow.version, "tensorflow_metal": candidate.metal.version, "python": python}
    result = Bump(profile.name, before, after)
    environment, lockfile = profile.environment_file, profile.lockfile
    saved = {path: path.read_bytes() if path.is_file() else None for path in (environment, lockfile)}
    try:
        environment.write_text(rewrite(environment.read_text(encoding="utf-8"), before, after), encoding="utf-8")
        bumped = load_profile(environment.parent)
        with IndexMirror(index) as mirror:
            mirror.prefetch(expected_projects(bumped))
            # The conda layer holds Python and pip only: with the same Python it stays as locked (no conda-forge
            # needed); another Python is solved again.
            locked = lock_profile(bumped, pip_only=python == profile.python, index=index, resolver_url=mirror.url)
        result.problems += [locked.error] if locked.error else []
        result.problems += [str(f) for f in locked.findings if f.severity == "error"]
        if locked.ok:
            check = check_profile(bumped)
            result.problems += check.problems + [str(f) for f in check.findings if f.severity == "error"]
        if not locked.ok or result.problems:
            result.status = "failed"
    except Tfm1Error as error:
        result.status, result.problems = "failed", [error.message]
    if result.status == "failed":
        _restore(saved)
    return result


def _restore(saved: dict[Path, bytes | None]) -> None:
    from tfm1.atomic import write_atomic

    for path, content in saved.items():
        if content is not None:
            write_atomic(path, content)
        else:
            path.unlink(missing_ok=True)  # a lock this run created
