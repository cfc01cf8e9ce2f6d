"""Build the picture of a machine that doctor's rules judge: hardware, Homebrew, conda, the target Python."""

from __future__ import annotations

from typing import Any, NamedTuple

from tfm1.host.base import Host
from tfm1.inspect.conda import CondaEnv, CondaRoot, find_conda_roots
from tfm1.inspect.homebrew import Homebrew, inspect_homebrew
from tfm1.inspect.interpreter import Interpreter, choose_interpreter, inspect_interpreter
from tfm1.inspect.interrupted import Interrupted, find_interrupted
from tfm1.inspect.machine import Machine, inspect_machine


class Picture(NamedTuple):
    machine: Machine
    homebrew: Homebrew
    conda_roots: list[CondaRoot]
    interpreter: Interpreter | None
    interrupted: list[Interrupted] = []  # noqa: RUF012 (a NamedTuple default, never mutated)

    def to_facts(self) -> dict[str, Any]:
        def env_facts(env: CondaEnv) -> dict[str, Any]:
            return {"prefix": env.prefix, "subdir": env.subdir, "python_archs": list(env.python_archs)}

        interpreter: dict[str, Any] | None = None
        if self.interpreter is not None:
            it = self.interpreter
            interpreter = {
                "path": it.path,
                "source": it.source,
                "exists": it.exists,
                "resolved": it.resolved,
                "archs": list(it.macho.archs),
                "kind": it.kind,
                "prefix": it.prefix,
                "version": it.version,
                "conda_subdir": it.conda_subdir,
                "base_python": it.base_python,
                "site_packages": list(it.site_packages),
                "tensorflow_importable": it.tensorflow_importable,
                "distributions": {name: d.to_json() for name, d in sorted(it.distributions.items())},
            }
        m = self.machine
        return {
            "machine": {
                "system": m.system,
                "process_arch": m.process_arch,
                "apple_silicon": m.apple_silicon,
                "translated": m.translated,
                "macos": m.macos,
                "macos_reported": m.macos_reported,
                "chip": m.chip,
            },
            "homebrew": {
                "arm": self.homebrew.arm,
                "intel": self.homebrew.intel,
                "intel_first_on_path": self.homebrew.intel_first_on_path,
            },
            "conda_roots": [
                {**env_facts(root.env), "envs": [env_facts(env) for env in root.envs]} for root in self.conda_roots
            ],
            "python": interpreter,
            "interrupted": [i._asdict() for i in self.interrupted],
        }


def inspect_host(host: Host, python: str | None = None, snapshot_python: str | None = None) -> Picture:
    path, source = choose_interpreter(host, python, snapshot_python)
    interpreter = inspect_interpreter(host, path, source) if path else None
    roots = find_conda_roots(host)
    return Picture(
        inspect_machine(host), inspect_homebrew(host), roots, interpreter, find_interrupted(host, roots, interpreter)
    )


__all__ = ["CondaRoot", "Homebrew", "Interpreter", "Machine", "Picture", "inspect_host"]
