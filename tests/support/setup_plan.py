"""Setup's plan built in-process, the way `tfm1 setup` builds it, for a world's lock on any host (live or a
recorded snapshot): what the run would do there, decided without changing anything."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tfm1.host.base import Host
from tfm1.rattler.conda_lock import read_lock
from tfm1.setup.events import events_for
from tfm1.setup.kernel import plan_kernel
from tfm1.setup.options import SetupOptions
from tfm1.setup.plan import SetupPlan, build_plan
from tfm1.setup.resolve import assess_prefix, resolve_request


def plan_for(lock: Path, host: Host, options: SetupOptions) -> SetupPlan:
    """The plan of `tfm1 setup --lockfile LOCK` with `options` on `host`."""
    request = resolve_request(replace(options, lockfile=lock), host, events_for(json_mode=True))
    existing = assess_prefix(request.target, request.options, request.source.sha256)
    options = request.options
    kernel = plan_kernel(host, request.target.prefix, existing.receipt, options.force, options.kernel)
    return build_plan(request, existing, read_lock(lock, request.source.platform, request.source.sha256), kernel)
