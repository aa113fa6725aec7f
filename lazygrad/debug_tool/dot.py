"""Graphs as pictures: a networkx DiGraph -> DOT text -> graphviz `dot` when installed.

DOT is written here rather than through pydot or pygraphviz (neither is a dependency). Node
attribute `cluster` is a path of cluster names, outermost first (("graph 0", "kernel 1 R_8")),
so kernels nest inside the realize they belong to; `label`, `shape`, `style`, ... pass through.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import networkx as nx

from lazygrad.runtime.disk_cache import atomic_write

CLUSTER_STYLE = 'style="rounded,filled"; fillcolor="#eef3fb"; color="#4a6fa5"'


def quote(text) -> str:
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def _attrs(data: dict) -> str:
    items = [f"{k}={quote(v)}" for k, v in data.items() if k != "cluster" and v is not None]
    return f" [{', '.join(items)}]" if items else ""


def to_dot(graph: nx.DiGraph, name: str = "lazygrad") -> str:
    """DOT text for a DiGraph whose nodes may carry a `cluster` path."""
    tree: dict = {"nodes": [], "children": {}}
    for node, data in graph.nodes(data=True):
        where = tree
        for part in data.get("cluster", ()):
            where = where["children"].setdefault(part, {"nodes": [], "children": {}})
        where["nodes"].append((node, data))
    lines = [f"digraph {quote(name)} {{", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    counter = [0]

    def emit(where: dict, depth: int) -> None:
        pad = "  " * depth
        for node, data in where["nodes"]:
            lines.append(f"{pad}{quote(node)}{_attrs(data)};")
        for label, child in where["children"].items():
            counter[0] += 1
            lines.append(f"{pad}subgraph cluster_{counter[0]} {{")
            lines.append(f"{pad}  label={quote(label)}; {CLUSTER_STYLE if depth > 1 else 'color=gray'};")
            emit(child, depth + 1)
            lines.append(f"{pad}}}")
    emit(tree, 1)
    for a, b, data in graph.edges(data=True):
        lines.append(f"  {quote(a)} -> {quote(b)}{_attrs(data)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def have_dot() -> bool:
    return shutil.which("dot") is not None


def render(dot_text: str, fmt: str) -> bytes:
    """Run graphviz: DOT text -> svg/png bytes. Raises RuntimeError naming dot's complaint."""
    proc = subprocess.run(["dot", f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=120,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dot failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def write_picture(dot_text: str, path: str) -> str:
    """Write path (.dot, .svg, .png, .pdf). Without graphviz, writes the .dot next to it and
    returns a hint for the user; else returns ""."""
    base, ext = os.path.splitext(path)
    fmt = ext.lstrip(".").lower()
    if fmt in ("dot", "gv", ""):
        atomic_write(path if fmt else path + ".dot", dot_text, durable=False)
        return ""
    if not have_dot():
        atomic_write(base + ".dot", dot_text, durable=False)
        return (f"graphviz `dot` is not installed: wrote {base}.dot instead; install graphviz "
                f"(apt-get install graphviz) or run `dot -T{fmt} {base}.dot -o {path}` elsewhere")
    atomic_write(path, render(dot_text, fmt), durable=False)
    return ""
