"""What a conda platform means on the wheel side: the uv target, the wheel tags it accepts, its markers.

macOS locks target macOS 12.0, the oldest macOS that TensorFlow's arm64 wheels support, so a lock installs on
every Mac that can run TensorFlow; linux-64 targets glibc 2.28 (manylinux_2_28, e.g. Debian 10, RHEL 8).
"""

from __future__ import annotations

from dataclasses import dataclass

from tfm1.errors import UsageError

MACOS_TARGET = (12, 0)
MACOS_TARGET_TEXT = f"{MACOS_TARGET[0]}.{MACOS_TARGET[1]}"
GLIBC_TARGET = (2, 28)


def minor(python: str) -> str:
    """ "3.12.13" -> "3.12"."""
    return ".".join(python.split(".")[:2])


@dataclass(frozen=True)
class LockTarget:
    platform: str  # conda subdir
    uv_platform: str  # uv's --python-platform
    label: str  # for people: what machines the lock installs on
    sys_platform: str
    platform_system: str
    platform_machine: str
    platform_tags: tuple[str, ...]  # best first
    uv_env: tuple[tuple[str, str], ...]  # extra environment for uv
    virtual_packages: tuple[tuple[str, str, str], ...]  # (name, version, build) of the target's conda virtual packages

    def tags(self, python: str) -> list[str]:
        """Wheel tags a CPython `python` (e.g. "3.12.13") on this target accepts, best first."""
        from packaging import tags

        major, sub = (int(part) for part in python.split(".")[:2])
        version = (major, sub)
        interpreter = f"cp{major}{sub}"
        found = [
            *tags.cpython_tags(version, abis=[interpreter], platforms=self.platform_tags),
            *tags.compatible_tags(version, interpreter, platforms=self.platform_tags),
        ]
        return [str(tag) for tag in found]

    def markers(self, python: str) -> dict[str, str]:
        """PEP 508 marker values of a CPython `python` on this target."""
        return {
            "implementation_name": "cpython",
            "implementation_version": python,
            "os_name": "posix",
            "platform_machine": self.platform_machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": self.platform_system,
            "platform_version": "",
            "python_full_version": python,
            "python_version": minor(python),
            "sys_platform": self.sys_platform,
        }


def _manylinux_tags(arch: str, glibc: tuple[int, int]) -> tuple[str, ...]:
    # PEP 600 tags from the target glibc down, each legacy alias beside the glibc version it stands for.
    aliases = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    found: list[str] = []
    for minor in range(glibc[1], 4, -1):
        found.append(f"manylinux_{glibc[0]}_{minor}_{arch}")
        if minor in aliases:
            found.append(f"{aliases[minor]}_{arch}")
    return tuple(found)


def _mac_tags(arch: str, version: tuple[int, int]) -> tuple[str, ...]:
    from packaging import tags

    return tuple(tags.mac_platforms(version, arch))


def target(platform: str) -> LockTarget:
    if platform == "osx-arm64":
        return LockTarget(
            platform=platform,
            uv_platform="aarch64-apple-darwin",
            label=f"macOS {MACOS_TARGET_TEXT}+ on Apple silicon",
            sys_platform="darwin",
            platform_system="Darwin",
            platform_machine="arm64",
            platform_tags=_mac_tags("arm64", MACOS_TARGET),
            uv_env=(("MACOSX_DEPLOYMENT_TARGET", MACOS_TARGET_TEXT),),
            virtual_packages=(
                ("__unix", "0", "0"),
                ("__osx", MACOS_TARGET_TEXT, "0"),
                ("__archspec", "1", "arm64"),
            ),
        )
    if platform == "linux-64":
        return LockTarget(
            platform=platform,
            uv_platform=f"x86_64-manylinux_{GLIBC_TARGET[0]}_{GLIBC_TARGET[1]}",
            label=f"Linux x86_64 with glibc {GLIBC_TARGET[0]}.{GLIBC_TARGET[1]}+",
            sys_platform="linux",
            platform_system="Linux",
            platform_machine="x86_64",
            platform_tags=_manylinux_tags("x86_64", GLIBC_TARGET),
            uv_env=(),
            virtual_packages=(
                ("__unix", "0", "0"),
                ("__linux", "5.10", "0"),
                ("__glibc", f"{GLIBC_TARGET[0]}.{GLIBC_TARGET[1]}", "0"),
                ("__archspec", "1", "x86_64"),
            ),
        )
    raise UsageError(
        f"tfm1 lock cannot lock for platform {platform!r}", "use osx-arm64 and/or linux-64 in the profile's platforms"
    )
