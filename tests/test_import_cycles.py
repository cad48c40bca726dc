"""No import cycles: neither between the project's files nor between its packages.

The graph is read from the source with `ast`, so it holds every import: at module level,
inside functions and under `if TYPE_CHECKING:` (an import put there to dodge a cycle still
makes one).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("drafting", "guards", "evals", "prompts")

# module -> {imported project module: "path:line" of the first import of it}
Graph = dict[str, dict[str, str]]


def module_name(path: Path) -> str:
    """`drafting/batch/io.py` → `drafting.batch.io`; a package's `__init__.py` is the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_files() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, modules: dict[str, Path]) -> set[str]:
    """The project modules an import statement loads (`from a import b` loads `a.b` if it is one)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = module.split(".") if modules[module].name == "__init__.py" else module.split(".")[:-1]
            base = ".".join([*here[: len(here) - node.level + 1], *([base] if base else [])])
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    return {m for m in (known_module(name, modules) for name in names) if m and m != module}


def known_module(name: str, modules: dict[str, Path]) -> str | None:
    """The project module that `name` is, or is an attribute of (None outside the project)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> Graph:
    """Which project modules each module imports, wherever in the file the import is."""
    graph: Graph = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, {})
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in imported_modules(node, module, modules):
                    edges.setdefault(target, f"{path.relative_to(ROOT)}:{node.lineno}")
    return graph


def package_graph(graph: Graph) -> Graph:
    """The module graph collapsed to the top-level packages."""
    packages: Graph = {}
    for module, edges in graph.items():
        source = module.split(".")[0]
        for target, where in edges.items():
            if target.split(".")[0] != source:
                packages.setdefault(source, {}).setdefault(target.split(".")[0], where)
    return packages


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(graph: Graph, component: list[str]) -> str:
    """A cycle with the import lines that make it."""
    lines = [f"{a} → {b} ({where})" for a in component for b, where in graph[a].items() if b in component]
    return "\n  ".join([" ⇄ ".join(component), *lines])


def test_no_import_cycle_between_files() -> None:
    graph = import_graph(project_files())
    found = [describe(graph, c) for c in cycles(graph)]
    assert not found, "import cycles between files:\n" + "\n".join(found)


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph(import_graph(project_files()))
    found = [describe(graph, c) for c in cycles(graph)]
    assert not found, "import cycles between packages:\n" + "\n".join(found)


def test_the_graph_sees_local_and_relative_imports() -> None:
    """The reader must find the imports that hide cycles, or the tests above prove nothing."""
    modules = {name: Path(f"{name.replace('.', '/')}.py") for name in ("pkg.a", "pkg.b", "pkg.c", "pkg.d")}
    modules["pkg"] = Path("pkg/__init__.py")
    source = "from . import b\n\ndef f():\n    from pkg.c import g\n    import pkg.d\n    from pkg import h\n"
    imports = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import | ast.ImportFrom)]
    found = set().union(*(imported_modules(node, "pkg.a", modules) for node in imports))
    assert found == {"pkg", "pkg.b", "pkg.c", "pkg.d"}
    assert cycles({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}, "d": {"a": ""}}) == [["a", "b", "c"]]
    assert "drafting.engine" in import_graph(project_files())["drafting.cli.draft_output"]
