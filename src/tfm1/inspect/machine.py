"""The hardware and the process: Apple silicon or Intel, translated by Rosetta or native, macOS version."""

from __future__ import annotations

from typing import NamedTuple

from tfm1.host.base import Host


class Machine(NamedTuple):
    system: str
    process_arch: str  # platform.machine(): x86_64 under Rosetta even on Apple silicon
    apple_silicon: bool | None  # None off macOS
    translated: bool  # this process runs under Rosetta 2
    macos: str  # the real product version; empty off macOS
    macos_reported: str  # what platform.mac_ver() said (10.16 from a Python built against an old SDK)
    chip: str

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
    return Machine(system, host.machine(), arm64_hardware or translated, translated, real, reported, chip)
