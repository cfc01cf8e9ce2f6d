"""`tfm1 compat update`, `confirm` and `page` end to end: read, prove, write, and report to people or as JSON."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfm1.envelope import Outcome
from tfm1.errors import ExitCode
from tfm1.terminal import console

if TYPE_CHECKING:
    from rich.console import Console

    from tfm1.compat_update.bump import Bump
    from tfm1.compat_update.candidates import Candidate
    from tfm1.compat_update.checkout import Checkout


@dataclass
class Update:
    index: str
    tensorflow: list[str]  # the newest release of each minor
    tensorflow_metal: list[str]
    proven: list[dict[str, Any]] = field(default_factory=list)
    metal: list[dict[str, Any]] = field(default_factory=list)
    tensorflow_rows: list[dict[str, Any]] = field(default_factory=list)
    python_tags: list[dict[str, Any]] = field(default_factory=list)
    no_common_python: list[tuple[str, str]] = field(default_factory=list)
    left: list[tuple[str, str, str]] = field(default_factory=list)  # over --max-pairs: the next run proves them
    superseded: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    bump: Bump | None = None
    # The default profile's pair after this run and what vouches for it: "binaries" means a bump waits for the Mac job.
    default: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.bump is None or self.bump.ok

    def to_json(self) -> dict[str, Any]:
        from tfm1.jsonable import record_json

        return {
            "ok": self.ok,
            "changed": bool(self.written),
            **record_json(self, rename={"tensorflow_rows": "tensorflow_releases_added", "metal": "metal_added"}),
        }


def today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def update_command(index_url: str | None, max_pairs: int, *, bump: bool) -> Outcome:
    """`tfm1 compat update`; the outcome (its result: the `Update`'s JSON document, also the envelope's own keys)."""
    from tfm1.compat import load
    from tfm1.compat_data import DATA
    from tfm1.compat_update import candidates, found_file
    from tfm1.compat_update.checkout import checkout
    from tfm1.compat_update.metadata import tensorflow_row
    from tfm1.compat_update.releases import METAL, final_releases, tensorflow_releases
    from tfm1.pypi.index import SIMPLE_URL, Index

    where = checkout()
    date = today()
    index = Index(index_url or SIMPLE_URL)
    stderr = console(stderr=True)
    with stderr.status(f"reading the releases on {index.index_url}"):
        tensorflow = tensorflow_releases(index)
        metal = final_releases(index, METAL)
    before = found_file.current()
    found = candidates.find(load(), before.get("metal", []), tensorflow, metal, date)
    todo, rest = found.pairs[:max_pairs], found.pairs[max_pairs:]
    result = Update(index.index_url, [r.version for r in tensorflow], [r.version for r in metal])
    result.no_common_python = found.no_common_python
    result.left = [(c.tensorflow.version, c.metal.version, c.python) for c in rest]
    result.proven = _prove(index, todo, date, stderr)
    result.tensorflow_rows = [tensorflow_row(index, release, date) for release in found.tensorflow_rows]
    result.metal, result.python_tags = found.metal_rows, found.python_tags
    seen = before.get("releases", {})
    new = {
        "releases": {
            "tensorflow": _union(seen.get("tensorflow", []), result.tensorflow),
            "tensorflow-metal": _union(seen.get("tensorflow-metal", []), result.tensorflow_metal),
        },
        "pairs": result.proven,
        "metal": result.metal,
        "tensorflow": result.tensorflow_rows,
        "python_tags": result.python_tags,
    }
    merged = found_file.merge(before, new, DATA)
    result.superseded = merged.superseded
    if merged.found != before:
        result.written += _write(where, merged.found)
        if bump:
            result.bump = _bump(where, result.proven, todo, index)
            if result.bump is not None and result.bump.ok:
                result.written += [str(where.envs / result.bump.profile / name) for name in _PROFILE_FILES]
    result.default = default_pair(where)
    document = result.to_json()
    code = ExitCode.OK if result.ok else ExitCode.FAILED
    return Outcome(
        "compat update", code, document, fields=document, show=lambda: _render(result, console(soft_wrap=True))
    )


def default_pair(where: Checkout) -> dict[str, str]:
    from tfm1.compat import load
    from tfm1.profiles import DEFAULT_PROFILE, get_profile

    pins = get_profile(DEFAULT_PROFILE, where.envs).pins
    tf, metal = pins.get("tensorflow", ""), pins.get("tensorflow-metal", "")
    evidence = load().evidence(tf, metal).kind if tf and metal else "none"
    return {"profile": DEFAULT_PROFILE, "tensorflow": tf, "tensorflow_metal": metal, "evidence": evidence}


_PROFILE_FILES = ("environment.yml", "conda-lock.yml")


def _union(before: list[str], now: list[str]) -> list[str]:
    """Releases seen, then or now (a release the index no longer lists stays in the table)."""
    from tfm1.compat_update.releases import python_key

    return sorted({*before, *now}, key=python_key)


def _prove(index: Any, pairs: list[Candidate], date: str, stderr: Console) -> list[dict[str, Any]]:
    if not pairs:
        return []
    from tfm1.compat_update.prove import prove_all
    from tfm1.linkage.pairs import LinkageSession
    from tfm1.linkage.render import pair_progress

    with pair_progress(stderr, log=True) as progress, LinkageSession(index=index, progress=progress.read) as session:

        def step(number: int, candidate: Candidate) -> None:
            what = f"TensorFlow {candidate.tensorflow.version} × tensorflow-metal {candidate.metal.version}"
            progress.pair(f"{what}, Python {candidate.python}", number, len(pairs))

        return prove_all(session, pairs, date, step)


def _write(where: Checkout, found: dict[str, Any]) -> list[str]:
    """The found data, made this process's data too, and the page made from it: the files written."""
    from tfm1.compat_update import found_file

    written = [str(path) for path in found_file.write(where.found_file, where.pairs_file, found)]
    found_file.install(found)
    return written + _write_page(where)


def _write_page(where: Checkout) -> list[str]:
    from tfm1.atomic import write_atomic
    from tfm1.compat import load
    from tfm1.compat_data import DATA
    from tfm1.compat_found import FOUND
    from tfm1.compat_update.page import page

    text = page(load(), FOUND, DATA)
    if where.page.is_file() and where.page.read_text(encoding="utf-8") == text:
        return []
    write_atomic(where.page, text.encode("utf-8"))
    return [str(where.page)]


def _bump(where: Checkout, proven: list[dict[str, Any]], pairs: list[Candidate], index: Any) -> Bump | None:
    from tfm1.compat_update.bump import bump, newer_pair
    from tfm1.profiles import DEFAULT_PROFILE, get_profile

    profile = get_profile(DEFAULT_PROFILE, where.envs)
    chosen = newer_pair(profile, proven, pairs)
    if chosen is None:
        return None
    return bump(profile, *chosen, index)


def _render(result: Update, out: Console) -> None:
    from rich.markup import escape

    tf, metal = result.tensorflow, result.tensorflow_metal
    out.print(
        f"{escape(result.index)}: TensorFlow {tf[0]} to {tf[-1]} ({len(tf)} minors, newest release of each), "
        f"tensorflow-metal {metal[0]} to {metal[-1]} ({len(metal)} releases)"
        if tf and metal
        else f"{escape(result.index)}: no TensorFlow or tensorflow-metal release with a macOS arm64 wheel"
    )
    for row in result.proven:
        style = {"works": "green", "broken": "red"}.get(row["status"], "yellow")
        detail = row.get("error") or row["reason"]
        out.print(
            f"  TensorFlow {row['tensorflow']} + tensorflow-metal {row['tensorflow_metal']} "
            f"(Python {row['evidence']['python']}): [{style}]{row['status']}[/]"
            + (f": {escape(detail)}" if row["status"] != "works" else "")
        )
    for row in result.metal:
        out.print(f"  new tensorflow-metal {row['version']}: Python {', '.join(row['python'])}")
    for row in result.tensorflow_rows:
        out.print(f"  new {row['package']} {row['release']}: Python {', '.join(row['python_arm64'])}")
    for tags in result.python_tags:
        out.print(f"  {tags['package']} {tags['version']}: new Python {', '.join(tags['python_arm64'])}")
    for line in result.superseded:
        out.print(f"  [yellow]superseded by a report:[/] {escape(line)}")
    if result.no_common_python:
        out.print(f"[dim]{len(result.no_common_python)} pair(s) share no Python and are never installed together.[/]")
    if result.left:
        out.print(
            f"[yellow]{len(result.left)} pair(s) left for the next run (--max-pairs {len(result.proven)}):[/] "
            + ", ".join(f"{t} + {m}" for t, m, _ in result.left[:10])
            + (", ..." if len(result.left) > 10 else "")
        )
    if not result.written:
        out.print("Nothing new: tfm1's data covers every release on the index; nothing written.")
    for path in result.written:
        out.print(f"wrote {escape(path)}")
    if result.bump is not None:
        _render_bump(result.bump, out)


def _render_bump(bump: Bump, out: Console) -> None:
    from rich.markup import escape

    change = (
        f"TensorFlow {bump.before['tensorflow']} + tensorflow-metal {bump.before['tensorflow_metal']} "
        f"(Python {bump.before['python']}) -> TensorFlow {bump.after['tensorflow']} + tensorflow-metal "
        f"{bump.after['tensorflow_metal']} (Python {bump.after['python']})"
    )
    if bump.ok:
        out.print(f"profile {bump.profile}: {change}: locked, and its lock passes `tfm1 lock --check`.")
        out.print(
            "  Proven from the binaries only: it stays out of the default until the Apple-silicon workflow passes "
            "with it (`tfm1 compat confirm` records that)."
        )
        return
    out.print(f"[red]profile {bump.profile}: {change}: not bumped[/]; environment.yml and the lock are unchanged:")
    for problem in bump.problems:
        out.print(f"  {escape(problem)}")


def confirm_command(profile: str | None, run: str, commit: str) -> Outcome:
    """`tfm1 compat confirm`; the outcome (its result: the pair, its status and the files written, also the
    envelope's own keys)."""
    from tfm1.compat_update import found_file
    from tfm1.compat_update.checkout import checkout
    from tfm1.compat_update.confirm import Confirmed, confirm
    from tfm1.profiles import DEFAULT_PROFILE, get_profile

    where = checkout()
    chosen = get_profile(profile or DEFAULT_PROFILE, where.envs)
    pins = chosen.pins
    found = found_file.current()
    status = confirm(found, pins, run, commit, today())
    written = _write(where, found) if status == "recorded" else []
    result = Confirmed(chosen.name, pins.get("tensorflow", ""), pins.get("tensorflow-metal", ""), status, run)
    document = {**result.to_json(), "written": written}

    def show() -> None:
        pair = f"TensorFlow {result.tensorflow} + tensorflow-metal {result.tensorflow_metal}"
        message = {
            "recorded": f"{pair}: the Apple-silicon workflow's pass is now its evidence ({run}).",
            "unchanged": f"{pair}: this run is already its evidence; nothing written.",
            "report": f"{pair}: a report in compat_data.py decides it; nothing to record.",
        }[status]
        out = console(soft_wrap=True)
        out.print(message, markup=False)
        for path in written:
            out.print(f"wrote {path}", markup=False)

    return Outcome("compat confirm", ExitCode.OK, document, fields=document, show=show)


def page_command(check: bool) -> Outcome:
    """Write docs/compatibility.md from the data, or (`check`) fail when it is not what the data makes; the outcome
    (its result: `{"page", "current", "written": [paths]}`, also the envelope's own keys)."""
    from tfm1.compat import load
    from tfm1.compat_data import DATA
    from tfm1.compat_found import FOUND
    from tfm1.compat_update.checkout import checkout
    from tfm1.compat_update.page import page

    where = checkout()
    current = where.page.read_text(encoding="utf-8") if where.page.is_file() else None
    written: list[str] = []
    if check:
        is_current = current == page(load(), FOUND, DATA)
    else:
        written = _write_page(where)
        is_current = True
    document = {"page": str(where.page), "current": is_current, "written": written}

    def show() -> None:
        if not is_current:
            message = f"{where.page} is not what the data makes: run `tfm1 compat page`."
            console(stderr=True).print(message, markup=False)
        else:
            console().print(f"wrote {where.page}" if written else f"{where.page} is current.", markup=False)

    code = ExitCode.OK if is_current else ExitCode.FAILED
    return Outcome("compat page", code, document, fields=document, show=show)
