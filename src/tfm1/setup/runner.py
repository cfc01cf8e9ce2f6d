"""The order of setup: lockfile, target, no-op check, plan, preflight, then the plan carried out and verify.

One function holds that order; each step is a call into the module that knows it, so what setup was asked
(`SetupOptions`) goes down into each of them once and comes back as the next step's input.

Re-running with the lockfile an environment was made from only reads the receipt and hashes the lockfile
(rattler is not even imported), so it finishes in well under a second.
"""

from __future__ import annotations

from contextlib import ExitStack

from tfm1.envelope import Outcome
from tfm1.errors import ExitCode
from tfm1.setup.events import Events
from tfm1.setup.options import SetupOptions


def run_setup(options: SetupOptions, events: Events) -> Outcome:
    """Set up what `options` ask for, telling `events` each step as it goes; the outcome (its result: a
    `SetupResult`). Raises Tfm1Error."""
    from tfm1.host import live_host
    from tfm1.setup.open_files import raise_open_files_limit
    from tfm1.setup.prefix_lock import lock_prefix
    from tfm1.setup.proceed import proceed
    from tfm1.setup.recover import recover_target
    from tfm1.setup.resolve import assess_prefix, resolve_request

    raise_open_files_limit()  # before rattler runs: it reads the lock and links packages with many files open
    host = live_host()
    request = resolve_request(options, host, events)
    target = request.target
    with ExitStack() as held:
        if not options.dry_run:
            # Held from the first look at the prefix to the last change: a second run on it stops at once.
            held.enter_context(lock_prefix(target.prefix, "setup", target.root, target.install_root))
        recover_target(target, events, options.dry_run)
        existing = assess_prefix(target, options, request.source.sha256)
        result = proceed(request, existing, host, events)
    failed = result.action == "cancelled" or result.verified is False
    return Outcome("setup", ExitCode.FAILED if failed else ExitCode.OK, result)


__all__ = ["run_setup"]
