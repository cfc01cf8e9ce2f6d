"""Credentials in URLs never reach the screen, a log or a file tfm1 writes.

A lockfile may pin packages behind a private channel as `https://user:password@host/...`, or with an
anaconda.org token in the path (`/t/<token>/`, conda's own convention); both are replaced by `***`.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]+@")
_TOKEN = re.compile(r"/t/[^/\s]+/")


def redact(text: str) -> str:
    """`text` (a URL, or a message holding URLs) without the credentials it carries."""
    return _TOKEN.sub("/t/***/", _USERINFO.sub(r"\g<scheme>***@", text))
