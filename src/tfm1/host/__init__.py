"""Every fact tfm1 reads from an operating system goes through a `Host`."""

from tfm1.host.base import Host
from tfm1.host.live import LinuxHost, LocalHost, MacHost, live_host

__all__ = ["Host", "LinuxHost", "LocalHost", "MacHost", "live_host"]
