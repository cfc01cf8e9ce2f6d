"""The human-readable doctor report: plain text, with colour on a terminal, printed by rich like every command's.

rich is imported only here, when the report is printed for people: `tfm1 doctor --json` never loads it (importing
`rich.console` costs ~80 ms, seven times the interpreter's own start-up). The lines are laid out here (commands are
never wrapped, continuation lines keep their indent) and rich prints them with soft wrap, adding only the style.
Colour follows the usual conventions (`terminal.use_colour`): never with `NO_COLOR` (no-color.org) or `TERM=dumb`,
always with `FORCE_COLOR`, else only when the output is a terminal.
"""

from __future__ import annotations

import shutil
import textwrap
from typing import TYPE_CHECKING, Any, TextIO

from tfm1.compat_data import TENSORFLOW_NAMES
from tfm1.doctor.report import Report
from tfm1.terminal import use_colour

if TYPE_CHECKING:
    from rich.console import Console

# rich style names.
BOLD, DIM, GREEN = "bold", "dim", "green"
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MARK = {"error": "✗", "warning": "!", "info": "i"}
INDENT = "    "

# A snapshot is untrusted input: its strings must not reach the terminal as control sequences, nor reorder
# what is shown around them (bidirectional overrides and isolates).
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
# Also the implicit direction marks (LRM, RLM, ALM) and the line and paragraph separators, which a terminal may
# show as a line break.
_CONTROL.update(
    {
        code: f"\\u{code:04x}"
        for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, 0x2028, 0x2029)
    }
)


class Writer:
    def __init__(self, console: Console, width: int) -> None:
        self.console = console
        self.width = max(width, 40)

    def line(self, *parts: str | tuple[str, str]) -> None:
        """One line of `parts`: plain strings, or (text, style) pairs."""
        from rich.text import Text

        self.console.print(Text.assemble(*parts))

    def wrapped(self, text: str, style: str = "", indent: str = "") -> None:
        """Prose, wrapped to the terminal; its continuation lines keep the indent."""
        for line in textwrap.wrap(
            text,
            self.width,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,  # paths stay whole
            break_on_hyphens=False,
        ) or [""]:
            self.line((line, style))


def clean(value: object) -> str:
    return str(value).translate(_CONTROL)


def _summary(facts: dict[str, Any]) -> list[str]:
    machine = facts["machine"]
    lines = []
    if machine["system"] == "Darwin":
        hardware = {True: "Apple silicon", False: "Intel"}.get(machine["apple_silicon"], "unknown hardware")
        chip = f" ({machine['chip']})" if machine["chip"] else ""
        process = "translated by Rosetta" if machine["translated"] else "native"
        if machine.get("translated_ancestor"):
            process += f", its shell {machine['translated_ancestor']['name']} translated by Rosetta"
        lines.append(f"Mac: {hardware}{chip}, macOS {machine['macos'] or '?'}, this process {process}")
    else:
        lines.append(f"Host: {machine['system']} {machine['process_arch']}")
    python = facts["python"]
    if python and python["exists"]:
        archs = "+".join(python["archs"]) or "not a Mach-O"
        lines.append(
            f"Python: {python['path']} ({python['kind']}, {python['version'] or 'version ?'}, {archs}; "
            f"from {python['source']})"
        )
        dists = python["distributions"]
        wanted = [*TENSORFLOW_NAMES, "tensorflow-metal", "numpy", "keras"]
        installed = [f"{n} {dists[n]['version']}" for n in wanted if n in dists]
        lines.append("Installed: " + (", ".join(installed) if installed else "no TensorFlow packages"))
    for root in facts["conda_roots"]:
        envs = len(root["envs"])
        lines.append(f"Conda: {root['prefix']} ({root['subdir'] or '?'}, {envs} env{'s' * (envs != 1)})")
    return lines


def _notes(facts: dict[str, Any]) -> list[str]:
    """What doctor could not check, said once in the report rather than skipped in silence."""
    requirements = facts.get("requirements") or {}
    notes = [
        f"Note: not checked: {u['source']}'s requirement {u['line']!r} ({u['reason']})"
        for u in requirements.get("unread", [])
    ]
    notes += [
        f"Note: not checked: {name}'s METADATA lists no Requires-Dist, so none of its ranges was read"
        for name in requirements.get("no_requires_dist", [])
    ]
    return notes


def render_report(report: Report, stream: TextIO) -> None:
    from rich.console import Console

    width = shutil.get_terminal_size().columns  # honours $COLUMNS; 80 when not a terminal
    colour = use_colour(stream)
    # The colour decision is use_colour's, the layout this module's: rich wraps nothing (soft_wrap) and marks up
    # nothing (the lines are Text, never markup, so a path holding `[` prints as it is).
    console = Console(
        file=stream,
        force_terminal=colour,
        color_system="standard" if colour else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )
    out = Writer(console, width)
    for line in _summary(report.facts):
        out.wrapped(clean(line), DIM)
    for line in _notes(report.facts):
        out.wrapped(clean(line))
    out.line()
    if not report.findings:
        out.line(("✓ No problems found.", GREEN))
        out.line()
    for finding in report.findings:
        head = (f"{MARK[finding.severity]} {finding.severity}", STYLE[finding.severity])
        out.line(head, " ", (clean(finding.code), BOLD), ": " + clean(finding.title))
        if finding.detail:
            out.wrapped(clean(finding.detail), DIM, INDENT)
        for key, value in finding.evidence.items():
            if value not in (None, "", [], ()):
                out.wrapped(f"{clean(key)}: {clean(value)}", DIM, INDENT)
        # Commands are copied and pasted: never wrapped.
        for line in finding.fix:
            out.line(INDENT, *([clean(line)] if line.startswith("#") else [("$", GREEN), " " + clean(line)]))
        out.line()
    out.line(("Next step:", BOLD), " " + clean(report.next_step()))
