"""The hardware and the process: Apple silicon or Intel, translated by Rosetta or native, macOS version."""

from __future__ import annotations

from typing import NamedTuple

from tfm1.host.base import Host, Process

# Where the walk up from tfm1 stops: the shell a user typed in (or what started it).
SHELLS = frozenset({"zsh", "bash", "sh", "fish", "tcsh", "csh", "ksh", "dash", "nu", "login", "launchd"})


class Machine(NamedTuple):
    system: str
    process_arch: str  # platform.machine(): x86_64 under Rosetta even on Apple silicon
    apple_silicon: bool | None  # None off macOS
    translated: bool  # this process runs under Rosetta 2
    macos: str  # the real product version; empty off macOS
    macos_reported: str  # what platform.mac_ver() said (10.16 from a Python built against an old SDK)
    chip: str
    # tfm1 itself may run natively (Miniforge's Python is arm64-only) from a Rosetta shell, whose other
    # commands all run as x86_64: the first translated process between tfm1 and that shell.
    translated_ancestor: Process | None = None

    @property
    def is_macos(self) -> bool:
        return self.system == "Darwin"


def _flag(value: str | None) -> bool:
    return (value or "").strip() == "1"


def inspect_machine(host: Host) -> Machine:
    system = host.system()
    if system != "Darwin":
        return Machine(system, host.machine(), None, False, "", "", "")
    # Check both OIDs: hw.optional.arm64 is absent on Intel, proc_translated is absent on pre-Rosetta systems.
    arm64_hardware = _flag(host.sysctl("hw.optional.arm64"))
    translated = _flag(host.sysctl("sysctl.proc_translated"))
    reported = host.mac_ver()
    real = host.sysctl("kern.osproductversion") or reported
    chip = host.sysctl("machdep.cpu.brand_string") or ""
    ancestor = translated_ancestor(host)
    return Machine(
        system,
        host.machine(),
        arm64_hardware or translated or ancestor is not None,
        translated,
        real,
        reported,
        chip,
        ancestor,
    )


def translated_ancestor(host: Host) -> Process | None:
    """The nearest translated process from tfm1's parent up to the user's shell (`$SHELL`), if any."""
    shell = (host.env("SHELL") or "").rsplit("/", 1)[-1]
    for process in host.ancestors():
        if process.translated:
            return process
        if process.name == shell or process.name.lstrip("-") in SHELLS:
            return None
    return None
