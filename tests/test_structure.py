"""The shape of the code base, checked from its source: no import cycle, no module over 600
lines, the layers' arrows (campaigns → core ← notifications ← tasks ← flows), the
package list in pyproject.toml, and no near-copy of a function body.

Every import counts, also one inside a function (it only hides a cycle until the
function runs) and one spelled as a string for `importlib.import_module`. Nothing is
imported here: the modules are read with `ast`, so a broken module fails its own test,
not this one.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Source folder → the package it installs as (pyproject [tool.setuptools.package-dir]).
LAYERS = {"flows": "thidua.flows", "tasks": "thidua.tasks", "notifications": "thidua.notifications"}
OUTER = tuple(LAYERS.values())
MAX_LINES = 600


@dataclass(frozen=True)
class Source:
    name: str  # dotted module name as installed, e.g. thidua.flows.action
    path: Path
    is_package: bool  # an __init__.py

    @property
    def package(self) -> str:
        """The package relative imports start from."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] in LAYERS:
        parts[0:1] = LAYERS[parts[0]].split(".")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def sources() -> dict[str, Source]:
    """Every product module, by its installed name."""
    found = {}
    for folder in ("thidua", *LAYERS):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            name = _module_name(path)
            found[name] = Source(name, path, path.name == "__init__.py")
    return found


@cache
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _absolute(source: Source, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    base = source.package.split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _calls_import_module(module: ast.Module) -> bool:
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                return True
    return False


def imported_names(source: Source) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of everything `source` imports, wherever the import statement is.

    `from a.b import c` yields a.b.c when that is a module of ours (else a.b). In a module
    that calls `import_module`, every string constant naming one of our modules (or
    Prefect) counts as an import of it: the name may sit in a table (`COMMAND_MODULES`)
    rather than in the call itself.
    """
    module = tree(source.path)
    ours = sources()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(source, node.module, node.level)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in ours else base), node.lineno
    if _calls_import_module(module):
        for node in ast.walk(module):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if text in ours or text == "prefect" or text.startswith("prefect."):
                    yield text, node.lineno


def _resolve(name: str) -> str | None:
    """The module of ours that `name` names (a.b.c → a.b when c is a function), or None."""
    ours = sources()
    while name:
        if name in ours:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def graph() -> dict[str, dict[str, int]]:
    """module → {module of ours it imports: first line}."""
    edges: dict[str, dict[str, int]] = {}
    for name, source in sources().items():
        out: dict[str, int] = {}
        for target, line in imported_names(source):
            resolved = _resolve(target) if target.split(".")[0] == "thidua" else None
            if resolved and resolved != name:
                out.setdefault(resolved, line)
        edges[name] = out
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _describe(component: list[str], edges: dict[str, dict[str, int]]) -> str:
    members = set(component)
    arrows = [
        f"{a} → {b} ({sources()[a].path.relative_to(ROOT)}:{line})"
        for a in component
        for b, line in sorted(edges[a].items())
        if b in members
    ]
    return "cycle among " + ", ".join(component) + ":\n    " + "\n    ".join(arrows)


def _layer(name: str) -> str:
    for layer in OUTER:
        if name == layer or name.startswith(layer + "."):
            return layer
    return "core"


def _where(source: Source, line: int) -> str:
    return f"{source.path.relative_to(ROOT)}:{line}"


# --- the tests' own checks: they must be able to fail ---------------------------------------


def test_the_walker_sees_imports_in_functions_strings_and_relative_forms(tmp_path: Path) -> None:
    """The walker is what the other tests trust: it must see every form of import."""
    code = (
        "from importlib import import_module\n"
        "from .. import errors\n"
        "from ..store import campaign_rows\n"
        "def f():\n"
        "    import thidua.config\n"
        "    from thidua.text.fold import fold\n"
        "    return import_module('thidua.flows.action')\n"
    )
    fake = Source("thidua.campaign.spec", tmp_path / "spec.py", False)
    fake.path.write_text(code, encoding="utf-8")
    names = {name for name, _ in imported_names(fake)}
    assert {
        "thidua.errors",
        "thidua.store.campaign_rows",
        "thidua.config",
        "thidua.text.fold",
        "thidua.flows.action",
    } <= names, names
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_every_layer_is_walked_under_its_installed_name() -> None:
    names = set(sources())
    for layer in OUTER:
        assert layer in names and any(n.startswith(layer + ".") for n in names), layer
    assert not any(n.split(".")[0] in LAYERS for n in names)  # never as top-level flows.x


# --- (a) no import cycle ------------------------------------------------------------------


def test_no_import_cycle_even_through_imports_inside_functions() -> None:
    edges = graph()
    found = cycles(edges)
    assert not found, "\n".join(_describe(c, edges) for c in found)


# --- (b) no module over 600 lines -----------------------------------------------------------


def test_no_product_module_is_over_600_lines() -> None:
    long = {
        str(s.path.relative_to(ROOT)): n
        for s in sources().values()
        if (n := len(s.path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {dict(sorted(long.items()))}"


# --- (c), (d) the layers --------------------------------------------------------------------


@cache
def cross_layer_imports() -> list[tuple[str, str, str]]:
    """(importing layer, imported layer or "prefect", "file:line: a imports b") of every
    import that leaves its own layer."""
    found = []
    for name, source in sources().items():
        layer = _layer(name)
        for target, line in imported_names(source):
            top = target.split(".")[0]
            to = "prefect" if top == "prefect" else _layer(target) if top == "thidua" else None
            if to is not None and to != layer:
                found.append((layer, to, f"{_where(source, line)}: {name} imports {target}"))
    return found


#: Which other layers each layer may import: campaigns → core ← notifications ← tasks ← flows.
ARROWS = {
    "core": set(),
    "thidua.notifications": {"core", "prefect"},
    "thidua.tasks": {"core", "prefect", "thidua.notifications"},
    "thidua.flows": {"core", "prefect", "thidua.tasks", "thidua.notifications"},
}


def _against_arrows(layers: set[str]) -> list[str]:
    return [
        where
        for layer, to, where in cross_layer_imports()
        if layer in layers and to not in ARROWS[layer]
    ]


def test_the_layer_walk_sees_the_allowed_arrows() -> None:
    """The walk itself can fail: flows do import tasks, and tasks import Prefect."""
    pairs = {(layer, to) for layer, to, _ in cross_layer_imports()}
    assert {("thidua.flows", "thidua.tasks"), ("thidua.tasks", "prefect")} <= pairs, pairs


def test_the_core_imports_neither_prefect_nor_the_outer_layers() -> None:
    bad = _against_arrows({"core"})
    assert not bad, "\n".join(bad)


def test_notifications_never_import_tasks_or_flows_and_tasks_never_import_flows() -> None:
    bad = _against_arrows(set(OUTER))
    assert not bad, "\n".join(bad)


def test_campaign_files_import_only_the_public_api() -> None:
    """campaigns → core: a campaign file names `thidua` and nothing deeper or outer."""
    bad = []
    for path in sorted((ROOT / "campaigns").glob("*.py")):
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.Import):
                bad += [f"{path.name}: import {a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.level or node.module != "thidua"):
                bad.append(f"{path.name}:{node.lineno}: from {node.module}")
    assert not bad, bad


# --- (e) the package list -------------------------------------------------------------------


def test_pyproject_lists_exactly_the_package_folders() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert setuptools["package-dir"] == {pkg: folder for folder, pkg in LAYERS.items()}
    on_disk = {
        _module_name(folder / "__init__.py")
        for top in ("thidua", *LAYERS)
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]
        if folder.is_dir() and "__pycache__" not in folder.parts and any(folder.glob("*.py"))
    }
    assert sorted(setuptools["packages"]) == sorted(on_disk)


# --- (f) no near-copy of a function ---------------------------------------------------------

MIN_STATEMENTS = 8

#: Pairs of functions whose bodies are alike on purpose: (module.qualname, module.qualname)
#: → why. Each needs a reason a reader accepts; otherwise one of them should go. None is
#: needed today: no two functions of 8+ statements share a shape.
INTENTIONAL: dict[frozenset[str], str] = {}


class _Erase(ast.NodeTransformer):
    """Names, argument names, constants and docstrings erased: only the shape is left."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id="_", ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = "_"
        node.annotation = None
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.copy_location(ast.Constant(value=None), node)

    def visit_alias(self, node: ast.alias) -> ast.AST:
        return ast.alias(name="_", asname=None)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:]
    return body


def _functions(
    module: ast.Module, prefix: str
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    def walk(
        node: ast.AST, qual: str
    ) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{qual}.{child.name}"
                yield name, child
                yield from walk(child, name)
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{qual}.{child.name}")
            else:
                yield from walk(child, qual)

    yield from walk(module, prefix)


def fingerprint(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, str]:
    """(statement count, hash of the normalised body) of a function."""
    body = _without_docstring(copy.deepcopy(function.body))
    statements = sum(isinstance(n, ast.stmt) for stmt in body for n in ast.walk(stmt))
    shape = ast.Module(body=[_Erase().visit(stmt) for stmt in body], type_ignores=[])
    dumped = ast.dump(shape, annotate_fields=False, include_attributes=False)
    return statements, hashlib.sha256(dumped.encode()).hexdigest()


def near_copies() -> list[frozenset[str]]:
    by_shape: dict[str, list[str]] = defaultdict(list)
    for name, source in sources().items():
        for qual, function in _functions(tree(source.path), name):
            statements, digest = fingerprint(function)
            if statements >= MIN_STATEMENTS:
                by_shape[digest].append(qual)
    pairs = []
    for names in by_shape.values():
        pairs += [frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1 :]]
    return sorted(pairs, key=sorted)


def test_the_copy_check_finds_a_renamed_copy() -> None:
    first = ast.parse(
        "def a(rows):\n"
        "    '''Doc.'''\n"
        "    out = []\n"
        "    for row in rows:\n"
        "        if row.get('x'):\n"
        "            out.append(row['x'].strip())\n"
        "        else:\n"
        "            out.append('')\n"
        "    total = len(out)\n"
        "    seen = set(out)\n"
        "    return out, total, seen\n"
    ).body[0]
    second = ast.parse(
        "def b(lines):\n"
        "    result = []\n"
        "    for line in lines:\n"
        "        if line.get('y'):\n"
        "            result.append(line['y'].strip())\n"
        "        else:\n"
        "            result.append('-')\n"
        "    count = len(result)\n"
        "    unique = set(result)\n"
        "    return result, count, unique\n"
    ).body[0]
    other = ast.parse("def c(rows):\n    return [r.lower() for r in rows]\n").body[0]
    assert isinstance(first, ast.FunctionDef) and isinstance(second, ast.FunctionDef)
    assert isinstance(other, ast.FunctionDef)
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first)[0] >= MIN_STATEMENTS
    assert fingerprint(first)[1] != fingerprint(other)[1]


def test_no_near_copy_of_a_function_body_but_the_named_ones() -> None:
    found = near_copies()
    unexplained = [sorted(pair) for pair in found if pair not in INTENTIONAL]
    assert not unexplained, f"functions of {MIN_STATEMENTS}+ statements alike: {unexplained}"
    stale = [sorted(pair) for pair in INTENTIONAL if pair not in found]
    assert not stale, f"INTENTIONAL names pairs that are no longer alike: {stale}"


# --- the tests themselves: fixtures shared through conftest -----------------------------------

TESTS = ROOT / "tests"


def _fixture_names(path: Path) -> set[str]:
    """Functions of `path` decorated with pytest.fixture (called or not)."""
    names = set()
    for node in tree(path).body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(target) in ("pytest.fixture", "fixture"):
                    names.add(node.name)
    return names


def test_no_test_file_imports_another_test_file_or_a_fixture() -> None:
    """Shared fixtures come from tests/conftest.py (and the modules it registers), by name."""
    bad = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(tree(path)):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 1:
                    local = module
                elif module.startswith("tests."):
                    local = module.removeprefix("tests.")
                else:
                    continue
                where = f"{path.name}:{node.lineno}"
                if local.startswith("test_"):
                    bad.append(f"{where}: imports the test file {local}.py")
                    continue
                source = TESTS / f"{local}.py"
                imported = {alias.name for alias in node.names}
                if local == "":  # from . import test_x
                    bad += [f"{where}: imports {n}" for n in imported if n.startswith("test_")]
                elif source.exists() and (fixtures := imported & _fixture_names(source)):
                    bad.append(f"{where}: imports the fixtures {sorted(fixtures)} from {local}.py")
            elif isinstance(node, ast.Import):
                bad += [
                    f"{path.name}:{node.lineno}: imports {a.name}"
                    for a in node.names
                    if a.name.startswith("tests.test_")
                ]
    assert not bad, "\n".join(bad)
