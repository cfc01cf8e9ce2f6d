"""Where the uv binary that tfm1 depends on is."""

from __future__ import annotations

import functools
import threading

from tfm1.errors import Tfm1Error

_UV_LOOKUP = threading.Lock()


@functools.cache
def _find_uv() -> str:
    import uv

    try:
        return str(uv.find_uv_bin())
    except FileNotFoundError:
        raise Tfm1Error("the uv executable is missing", "reinstall tfm1 (it depends on uv)") from None


def uv_binary() -> str:
    # find_uv_bin reads sysconfig, whose first use is not thread-safe: profiles are locked from several threads.
    with _UV_LOOKUP:
        return _find_uv()
