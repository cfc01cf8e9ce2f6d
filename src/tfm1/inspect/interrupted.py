"""Journals that a killed `tfm1 setup` or `tfm1 remove` left beside an environment (`.<name>.tfm1-journal`).

Doctor only reports them (the next setup or remove of that environment repairs it): one directory listing per
folder that holds environments, and a read of a small JSON file when one is there.
"""

from __future__ import annotations

import json
import posixpath
from typing import NamedTuple

from tfm1.host.base import Host
from tfm1.inspect.conda import CondaRoot
from tfm1.inspect.interpreter import Interpreter

SUFFIX = ".tfm1-journal"


class Interrupted(NamedTuple):
    prefix: str  # the environment the run was changing
    action: str  # "setup" or "remove"
    pid: int
    step: str
    aside: str | None  # where the environment that was there before waits to be put back or deleted


def _folders(roots: list[CondaRoot], interpreter: Interpreter | None) -> list[str]:
    folders = [posixpath.join(root.prefix, "envs") for root in roots]
    if interpreter is not None:
        prefix = interpreter.prefix or posixpath.dirname(posixpath.dirname(interpreter.path))
        folders.append(posixpath.dirname(prefix.rstrip("/")))
    return list(dict.fromkeys(folders))


def find_interrupted(host: Host, roots: list[CondaRoot], interpreter: Interpreter | None) -> list[Interrupted]:
    found = []
    for folder in _folders(roots, interpreter):
        for name in host.list_dir(folder):
            if not (name.startswith(".") and name.endswith(SUFFIX)):
                continue
            try:
                data = json.loads(host.text(posixpath.join(folder, name)) or "")
            except ValueError:
                continue
            prefix = posixpath.join(folder, name[1 : -len(SUFFIX)])
            if (
                not isinstance(data, dict)
                or data.get("prefix") != prefix
                or data.get("action") not in ("setup", "remove")
            ):
                continue  # not one tfm1 wrote for that environment: the next run ignores it too
            pid, step, aside = data.get("pid"), data.get("step"), data.get("aside")
            found.append(
                Interrupted(
                    prefix,
                    str(data["action"]),
                    pid if isinstance(pid, int) else 0,
                    step if isinstance(step, str) else "?",
                    aside if isinstance(aside, str) else None,
                )
            )
    return found
