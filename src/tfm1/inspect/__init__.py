"""Build the picture of a machine that doctor's rules judge: hardware, Homebrew, conda, the target Python."""

from __future__ import annotations

from typing import Any, NamedTuple

from tfm1.host.base import Host
from tfm1.inspect.conda import CondaEnv, CondaRoot, find_conda_roots
from tfm1.inspect.homebrew import Homebrew, inspect_homebrew
from tfm1.inspect.interpreter import Interpreter, choose_interpreter, inspect_interpreter
from tfm1.inspect.interrupted import Interrupted, find_interrupted
from tfm1.inspect.machine import Machine, inspect_machine
from tfm1.inspect.places import find_other_envs
from tfm1.jupyter.kernelspecs import Kernel, find_kernels


class Picture(NamedTuple):
    machine: Machine
    homebrew: Homebrew
    conda_roots: list[CondaRoot]
    interpreter: Interpreter | None
    # Jupyter kernels and what their interpreters are (None: missing, or the target itself).
    kernels: tuple[tuple[Kernel, Interpreter | None], ...] = ()
    # Environments outside those roots: environments.txt, ~/.conda/envs, micromamba/mamba, pixi, ./.venv.
    other_envs: tuple[CondaEnv, ...] = ()
    interrupted: tuple[Interrupted, ...] = ()

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
                # What the architecture and minimum macOS of TensorFlow and its plugin are decided from.
                "binaries": [
                    {"path": path, "kind": info.kind, "slices": [s._asdict() for s in info.slices]}
                    for path, info in it.binaries
                ],
                "distributions": {name: d.to_json() for name, d in sorted(it.distributions.items())},
            }
        m = self.machine
        return {
            "machine": {
                "system": m.system,
                "process_arch": m.process_arch,
                "apple_silicon": m.apple_silicon,
                "translated": m.translated,
                "translated_ancestor": m.translated_ancestor._asdict() if m.translated_ancestor else None,
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
            "other_envs": [env_facts(env) for env in self.other_envs],
            "kernels": [
                {
                    "name": kernel.name,
                    "spec": kernel.spec,
                    "python": kernel.python,
                    "exists": kernel.exists,
                    "archs": list(it.macho.archs) if it else None,
                }
                for kernel, it in self.kernels
            ],
            "interrupted": [i._asdict() for i in self.interrupted],
        }


def inspect_host(host: Host, python: str | None = None, snapshot_python: str | None = None) -> Picture:
    path, source = choose_interpreter(host, python, snapshot_python)
    interpreter = inspect_interpreter(host, path, source) if path else None
    roots = find_conda_roots(host)
    others = tuple(find_other_envs(host, roots))
    kernels = inspect_kernels(host, roots, interpreter, others)
    interrupted = tuple(find_interrupted(host, roots, interpreter))
    return Picture(inspect_machine(host), inspect_homebrew(host), roots, interpreter, kernels, others, interrupted)


def kernel_prefixes(
    roots: list[CondaRoot], interpreter: Interpreter | None, others: tuple[CondaEnv, ...] = ()
) -> list[str]:
    """Environments whose share/jupyter may hold kernelspecs: the target's, and every conda root's and env's."""
    prefixes = [interpreter.prefix] if interpreter is not None and interpreter.prefix else []
    return prefixes + [env.prefix for root in roots for env in (root.env, *root.envs)] + [e.prefix for e in others]


def inspect_kernels(
    host: Host, roots: list[CondaRoot], interpreter: Interpreter | None, others: tuple[CondaEnv, ...]
) -> tuple[tuple[Kernel, Interpreter | None], ...]:
    target = host.resolve(interpreter.path) if interpreter is not None and interpreter.exists else None
    found = []
    for kernel in find_kernels(host, kernel_prefixes(roots, interpreter, others)):
        same = kernel.exists and host.resolve(kernel.python) == target
        found.append(
            (kernel, inspect_interpreter(host, kernel.python, "kernel") if kernel.exists and not same else None)
        )
    return tuple(found)


__all__ = ["CondaRoot", "Homebrew", "Interpreter", "Kernel", "Machine", "Picture", "inspect_host"]
