"""The package's import graph, built from the source of every module (module-level and
function-level imports, relative and absolute): layers point one way."""
from __future__ import annotations

import ast
from pathlib import Path

import mottrack

ROOT = Path(mottrack.__file__).resolve().parent

#: The core: imports nothing above it.
CORE = ("mottrack._numba", "mottrack._validate", "mottrack._sorting", "mottrack.detections", "mottrack.geometry",
        "mottrack.kalman", "mottrack.assignment", "mottrack.tracks", "mottrack.motion")
#: What the core must not import (these and everything under them).
ABOVE_CORE = ("mottrack.trackers", "mottrack.registry", "mottrack.state", "mottrack.eval",
              "mottrack.io", "mottrack.analytics")


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str, modules) -> str | None:
    """The mottrack module ``name`` refers to (a module, or a package's ``__init__``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph():
    """{module: set of mottrack modules it imports}; ``from x import y`` counts as an
    import of ``x.y`` when that is a module, else of ``x`` (where ``y`` is defined or
    re-exported)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod
                           for a in node.names]
            for t in targets:
                if t.split(".")[0] != "mottrack":
                    continue
                r = _resolve(t, modules)
                if r is not None and r != name:
                    deps.add(r)
        graph[name] = deps
    return graph


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_graph_sees_every_kind_of_import():
    g = import_graph()
    assert "mottrack.geometry" in g["mottrack.kalman"]            # from .geometry import ...
    assert "mottrack.trackers._byte_stages" in g["mottrack.trackers.bytetrack"]  # from . import x
    assert "mottrack.eval.tune" in g["mottrack.eval.cli"]          # function-level import
    assert "mottrack.trackers.base" in g["mottrack.trackers.sort"]  # module-level relative
    # a synthetic cycle is found
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_core_imports_nothing_above_it():
    g = import_graph()
    for m in CORE:
        if m not in g:
            continue
        up = sorted(d for d in g[m] if d == "mottrack"  # the package re-exports the trackers
                    or any(d == a or d.startswith(a + ".") for a in ABOVE_CORE))
        assert not up, f"{m} imports {up}"
