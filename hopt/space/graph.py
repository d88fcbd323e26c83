"""Walking and copying expression graphs, iteratively (no recursion limit)."""

from __future__ import annotations

from typing import Any

from .nodes import Apply, Literal, as_apply


def dfs(expr: Apply, seen: set | None = None) -> list[Apply]:
    """Every node reachable from ``expr``, each once, inputs before the nodes using them."""
    seen_ids: set[int] = set() if seen is None else seen
    order: list[Apply] = []
    stack: list[tuple[Apply, bool]] = [(expr, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen_ids:
            continue
        seen_ids.add(id(node))
        stack.append((node, True))
        for child in reversed(node.inputs()):
            if id(child) not in seen_ids:
                stack.append((child, False))
    return order


def toposort(expr: Apply) -> list[Apply]:
    """Nodes in an order where every node comes after all of its inputs (networkx)."""
    import networkx as nx

    graph = nx.DiGraph()
    for node in dfs(expr):
        graph.add_node(node)
        for child in node.inputs():
            graph.add_edge(child, node)
    return list(nx.topological_sort(graph))


def clone(expr: Apply, memo: dict | None = None) -> Apply:
    """A structural copy of the graph; ``memo`` maps original nodes to replacements."""
    copies: dict[Apply, Apply] = dict(memo) if memo else {}
    for node in dfs(expr):
        if node in copies:
            continue
        copies[node] = node.clone_from_inputs([copies[child] for child in node.inputs()])
    return copies[expr]


def pretty(expr: Apply, max_lines: int = 200) -> str:
    """A readable indented listing of a graph (shared nodes printed once)."""
    lines: list[str] = []
    seen: dict[int, int] = {}
    stack: list[tuple[Any, int, str]] = [(expr, 0, "")]
    while stack and len(lines) < max_lines:
        node, depth, prefix = stack.pop()
        pad = "  " * depth + prefix
        if isinstance(node, Literal):
            lines.append(f"{pad}Literal{{{node.obj!r}}}")
            continue
        if id(node) in seen:
            lines.append(f"{pad}<shared node {seen[id(node)]}: {node.name}>")
            continue
        seen[id(node)] = len(lines)
        lines.append(f"{pad}{len(lines)} {node.name}")
        children = [(child, depth + 1, "") for child in node.pos_args]
        children += [(child, depth + 1, f"{key} = ") for key, child in node.named_args]
        stack.extend(reversed(children))
    return "\n".join(lines)


__all__ = ["dfs", "toposort", "clone", "pretty", "as_apply"]
