"""The layout ARCHITECTURE.md describes: imports point down the layers, no import cycle (type-only imports
count), one class per name and one job per module file name."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Higher layers import lower ones, never the reverse. Base modules (the last rank) may import each other.
RANK = {
    "__main__": 0,
    "cli": 1,
    "commands": 2,
    "bundle": 3,  # `tfm1 bundle`: fetches and checks what setup installs (setup's plan parts, store, lock reading)
    "setup": 4,
    "compat_update": 4,  # `tfm1 compat`: reads PyPI, proves pairs (linkage), locks the bumped profile (lock)
    "lock": 5,
    "verify": 6,
    "doctor": 7,
    "linkage": 8,
    "profiles_render": 8,  # `tfm1 profiles` output: reads profiles and their locks
    "profiles": 9,
    # One room per outside tool, used by the domain packages (as pypi/ is for PyPI): rattler reads conda-lock files
    # into lockfile's types, so it sits above them; jupyter sits below inspect, which lists kernels for doctor.
    "rattler": 10,
    "uv": 10,
    "bundlefile": 11,
    "compat": 11,
    "lockfile": 11,
    "pypi": 11,
    "receipt": 11,
    "inspect": 12,
    "jupyter": 13,
    "host": 14,
}
BASE = 15  # every module directly under tfm1/ not named above: errors, atomic, cache, children, envelope, terminal, ...
UPWARD_ALLOWED: set[tuple[str, str]] = set()  # none: the command layer imports nothing from cli

# The same file name in two packages, each doing that job for its own package.
SHARED_FILE_NAMES = {
    "__init__.py",
    "conda_layer.py",  # lock/ keeps or solves the conda layer (with rattler/), setup/ installs it
    "pip_layer.py",  # lock/ resolves the pip layer (with uv/), setup/ installs it
    "render.py",  # doctor's report, verify's result
    "result.py",  # linkage's verdict, verify's result, setup's and remove's
    "remove.py",  # commands/ is `tfm1 remove`, setup/ does the removal
    "profiles.py",  # commands/ is `tfm1 profiles`, tfm1/profiles.py reads them
    "compat.py",  # commands/ is `tfm1 compat`, tfm1/compat.py answers questions on the data
    "command.py",  # doctor/, lock/, linkage/, verify/: that command end to end, below its typer signature
    "kernel.py",  # setup/ registers the Jupyter kernel, verify/ runs the checks through one
    "target.py",  # where setup puts the environment, which interpreter verify checks
}


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted((SRC / "tfm1").rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(tree: ast.Module, known: set[str], *, runtime_only: bool) -> set[str]:
    found: set[str] = set()
    skipped = {id(n) for b in ast.walk(tree) if runtime_only and _type_checking(b) for n in ast.walk(b)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tfm1."):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known)
        elif isinstance(node, ast.ImportFrom) and node.module == "tfm1":
            found.update(f"tfm1.{a.name}" for a in node.names if f"tfm1.{a.name}" in known)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tfm1."))
    return found & known


def rank(module: str) -> tuple[str, int]:
    top = module.split(".")[1] if "." in module else "__init__"  # tfm1/__init__.py: the version, a base module
    return top, RANK.get(top, BASE)


def test_imports_point_down_the_layers() -> None:
    trees = modules()
    upward = []
    for name, tree in trees.items():
        (top, level) = rank(name)
        for target in imports(tree, set(trees), runtime_only=False):
            (other, other_level) = rank(target)
            if other == top or (level == other_level == BASE) or (top, other) in UPWARD_ALLOWED:
                continue
            if other_level <= level:
                upward.append(f"{name} -> {target}")
    assert upward == []


def cycles(*, runtime_only: bool) -> list[list[str]]:
    trees = modules()
    graph = {name: imports(tree, set(trees), runtime_only=runtime_only) - {name} for name, tree in trees.items()}
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target] if target in path else [module, target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_no_import_cycle_at_run_time() -> None:
    assert cycles(runtime_only=True) == []


def test_no_import_cycle_counting_type_only_imports() -> None:
    # An import under `if TYPE_CHECKING:` still ties two modules together for a reader and for mypy.
    assert cycles(runtime_only=False) == []


def test_every_class_name_is_defined_once() -> None:
    names = Counter(
        node.name for tree in modules().values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_a_module_file_name_means_one_job() -> None:
    names = Counter(path.name for path in (SRC / "tfm1").rglob("*.py"))
    assert sorted(name for name, count in names.items() if count > 1 and name not in SHARED_FILE_NAMES) == []
