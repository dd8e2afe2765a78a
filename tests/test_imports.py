"""The import graph of the product: no cycles, and the arrows run flows → tasks →
notifications → core (issue 13), counting imports inside functions and under
TYPE_CHECKING, and `importlib.import_module("…")` of a literal name.

The core (`thidua/` without its outer layers) finds the flows' CLI commands through
the `thidua.commands` entry point; it never names a module of theirs.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Folder on disk → package it installs as (pyproject `package-dir`).
PACKAGES = {
    "thidua": "thidua",
    "notifications": "thidua.notifications",
    "tasks": "thidua.tasks",
    "flows": "thidua.flows",
}
#: Outer layers, innermost first: each may import the core and the layers before it.
LAYERS = ("thidua.notifications", "thidua.tasks", "thidua.flows")


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if "migrations" in parts:  # alembic's scripts, loaded by alembic by path
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _imported(module: str, path: Path) -> Iterator[str]:
    """Every name `module` imports, wherever the import statement stands."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: None if is_package else -1]
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            subs = [f"{name}.{alias.name}" for alias in node.names]
            # `from pkg import submodule` needs only the submodule: the package's
            # __init__ runs first, but a lazy one (thidua.registry) imports nothing then.
            if not all(sub in MODULES for sub in subs):
                yield name
            yield from subs
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def _owner(name: str) -> str | None:
    """The product module `name` is, or lives in (`thidua.x.y` for `thidua.x.y.func`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_owner(name) for name in _imported(module, path) if name.startswith("thidua")}
        graph[module] = {t for t in targets if t and t != module}
    return graph


GRAPH = _graph()


def _layer(module: str) -> int:
    for rank, layer in enumerate(LAYERS, start=1):
        if module == layer or module.startswith(layer + "."):
            return rank
    return 0


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walk_sees_lazy_imports() -> None:
    """The graph is not vacuous: it holds an import made inside a function."""
    assert "thidua.campaign.explain" in GRAPH["thidua.cli.main"]  # cmd_date's own import
    assert "thidua.cli.resend" in GRAPH["thidua.flows.resend_command"]


def test_a_cycle_would_be_found() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    cycles = _cycles(GRAPH)
    shown = [
        " ↔ ".join(c)
        + ": "
        + "; ".join(f"{a} → {b}" for a in c for b in sorted(GRAPH[a]) if b in c)
        for c in cycles
    ]
    assert not cycles, "\n".join(shown)


def test_imports_point_inwards() -> None:
    """campaigns → core ← notifications ← tasks ← flows: never outwards."""
    outward = [
        f"{module} → {target}"
        for module, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert not outward, outward


def test_the_flows_register_their_commands_by_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    points = project["entry-points"]["thidua.commands"]
    for name, target in points.items():
        module, _, function = target.partition(":")
        assert _layer(module) > 0, f"{name}: the core's commands need no entry point"
        assert module in MODULES and function == "add_commands", target
