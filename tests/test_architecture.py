"""The layering rules of docs/architecture.md, checked on the source: an AST walk over src/.

* no module-level import cycle among gazelearn's modules (imports inside functions are how a
  module reaches a heavy or higher dependency late, and do not count);
* no library module imports the apps (``cli``, ``server``, ``demo``, ``__main__``), at module
  level or inside functions;
* the demo imports nothing from the CLI;
* domains return data: no domain imports ``gazelearn.report``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
APPS = ("gazelearn.cli", "gazelearn.server", "gazelearn.demo", "gazelearn.__main__")
DOMAINS = ("gazelearn.scanpath", "gazelearn.biometrics", "gazelearn.detection",
           "gazelearn.webcam", "gazelearn.appearance", "gazelearn.simulate")


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (SRC / "gazelearn").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """The dotted names an import statement in ``package`` may load."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Module-level and in-function imports of every module, resolved to gazelearn modules."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    top: dict[str, set[str]] = {m: set() for m in modules}
    late: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text())

        at_top: set[int] = set()
        stack = list(tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                at_top.add(id(node))
                top[module] |= {r for t in _targets(node, package)
                                if (r := resolve(t)) and r != module}
            stack.extend(ast.iter_child_nodes(node))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in at_top:
                late[module] |= {r for t in _targets(node, package)
                                 if (r := resolve(t)) and r != module}
    return top, late


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


@pytest.fixture(scope="module")
def graph():
    return _graph()


def test_no_module_level_import_cycle(graph):
    top, _ = graph
    assert _cycles(top) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_library_module_imports_the_apps(graph):
    top, late = graph
    upward = sorted((m, t) for m in top for t in top[m] | late[m]
                    if _within(t, APPS) and not _within(m, APPS))
    assert upward == []


def test_the_demo_imports_no_cli(graph):
    top, late = graph
    assert sorted((m, t) for m in top for t in top[m] | late[m]
                  if _within(m, ("gazelearn.demo",)) and _within(t, ("gazelearn.cli",))) == []


def test_domains_return_data_and_never_import_report(graph):
    top, late = graph
    assert sorted((m, t) for m in top for t in top[m] | late[m]
                  if _within(m, DOMAINS) and _within(t, ("gazelearn.report",))) == []
