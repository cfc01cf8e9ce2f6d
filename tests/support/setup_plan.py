"""Setup's plan built in-process, the way `tfm1 setup` builds it, for a world's lock on any host (live or a
recorded snapshot): what the run would do there, decided without changing anything."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tfm1.host.base import Host
from tfm1.rattler.conda_lock import read_lock
from tfm1.setup.events import Events
from tfm1.setup.miniforge import host_platform
from tfm1.setup.options import SetupOptions
from tfm1.setup.plan import SetupPlan, SetupRequest, build_plan
from tfm1.setup.resolve import assess_prefix, resolve_lockfile, resolve_target


def request_for(options: SetupOptions, host: Host) -> SetupRequest:
    source = resolve_lockfile(options, host_platform(host))
    target = resolve_target(options, host, source.platform, Events(json_mode=True))
    return SetupRequest(options, source, target, assess_prefix(target, options, source.sha256))


def plan_for(lock: Path, host: Host, options: SetupOptions) -> SetupPlan:
    """The plan of `tfm1 setup --lockfile LOCK` with `options` on `host`."""
    request = request_for(replace(options, lockfile=lock), host)
    return build_plan(request, host, read_lock(lock, request.source.platform, request.source.sha256))
