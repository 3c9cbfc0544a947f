"""The import graph keeps the layers of ``ARCHITECTURE.md``: no circles, nothing imported from a
higher layer. Read from the source with ``ast`` (every import, also those inside functions: a
deferred import is still a dependency).

None is allowed: the graph has no circle and no upward import (issue 11 straightened the
last ones), and a new one fails the test.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Top-level packages/modules of ``oncegov`` by layer, lowest first (ARCHITECTURE.md "Layers").
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"config", "db", "errors", "column_lengths", "migrate", "translatable"}),
    frozenset({"kit", "integrations", "jobs", "web", "ratelimit"}),
    frozenset({"units"}),
    frozenset({"auth", "audit"}),
    frozenset({"registry"}),
    frozenset({"identity", "health", "linkage"}),
    frozenset({"procedures", "exchange", "benefits"}),
    frozenset({"monitoring"}),
    frozenset({"me", "home"}),
    frozenset({"app", "api_docs", "cli", "demo", "models", "tasks", "__main__", ""}),
)
# Peers that must not import each other although they share a layer.
FORBIDDEN_PEERS = {("audit", "auth")}  # audit stores what it must show; it never asks auth


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    paths = sorted(SRC.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    edges: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        source = _module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from oncegov.x import y``: y is a module of its own or a name in x.
                names = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                ]
            for name in names:
                if name in modules and name != source:
                    edges[source].add(name)
    return edges


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer(package: str) -> int:
    for number, members in enumerate(LAYERS):
        if package in members:
            return number
    raise AssertionError(f"package oncegov.{package} has no layer: add it to LAYERS")


def _circles(edges: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    counter = itertools.count()

    def visit(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _upward(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    found = set()
    for source, targets in edges.items():
        for target in targets:
            low_pkg, high_pkg = _package(source), _package(target)
            if low_pkg == high_pkg:
                continue
            if _layer(high_pkg) > _layer(low_pkg) or (low_pkg, high_pkg) in FORBIDDEN_PEERS:
                found.add((low_pkg, high_pkg))
    return found


def test_every_package_has_a_layer() -> None:
    for module in _graph():
        _layer(_package(module))


def test_no_import_circles() -> None:
    assert _circles(_graph()) == set()


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    assert _upward(_graph()) == set()


def test_the_checks_see_a_circle_and_an_upward_import() -> None:
    edges = {"oncegov.kit.a": {"oncegov.registry.b"}, "oncegov.registry.b": {"oncegov.kit.a"}}
    assert _circles(edges) == {frozenset(edges)}
    assert _upward(edges) == {("kit", "registry")}
