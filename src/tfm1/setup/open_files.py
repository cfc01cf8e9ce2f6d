"""Room for open files before rattler links packages.

macOS shells start with a soft `ulimit -n` of 256, and rattler has failed with "Too many open files (os error 24)"
while linking on osx-arm64 (https://github.com/prefix-dev/rattler-build/issues/1475,
https://github.com/prefix-dev/rattler-build/issues/1638). Raising the soft limit up to the hard one needs no privilege.
"""

from __future__ import annotations

import resource

# Enough for rattler's parallel linking; below macOS's per-process ceiling (OPEN_MAX, 10240), which setrlimit enforces
# even when the hard limit reads "unlimited".
WANTED = 4096


def raise_open_files_limit(wanted: int = WANTED) -> tuple[int, int] | None:
    """Raise the soft RLIMIT_NOFILE to min(hard limit, wanted) when it is lower; (old, new) when it changed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # a limit the system refuses: link with what there is
        return None
    return soft, target
