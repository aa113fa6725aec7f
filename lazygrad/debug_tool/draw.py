"""`lazygrad-ir draw SCRIPT.py -o out.svg`: the schedule (or the plain graph) as a picture.

Schedule view (default): one gray box per realize, inside it one blue cluster per kernel
holding the ops fused into it; buffers stand outside; a dashed edge is a value one kernel
stores and another loads, labelled with the reason it was not fused. A node drawn in two
kernels is recomputed by both. Graph view (--stage graph): the Graph IR as the user built it.
"""
from __future__ import annotations

import argparse
import sys

import networkx as nx

from lazygrad.debug_tool.capture import Capture, Realize, run_script
from lazygrad.debug_tool.dot import to_dot, write_picture
from lazygrad.debug_tool.dump import add_script_args
from lazygrad.debug_tool.regions import kernel_regions, unfused_edges
from lazygrad.debug_tool.stages import SelectionError, check_selection
from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import MOVEMENT, Op
from lazygrad.ir.printer import format_value, type_text

DRAW_STAGES = ("schedule", "graph")


def add_parser(sub) -> None:
    p = sub.add_parser("draw", help="the graph or schedule as a picture (svg, png, dot)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="out.svg, out.png or out.dot")
    p.add_argument("--stage", default="schedule", help=f"one of {', '.join(DRAW_STAGES)}")
    p.add_argument("--graph", type=int, help="only realize N")
    add_script_args(p)
    p.set_defaults(func=main)


def label(node: Node) -> str:
    text = f"{node.op.value}\n{type_text(node)}"
    if node.op in MOVEMENT or node.op in (Op.SUM, Op.REDUCE_MAX) or node.op is Op.CONST:
        text += f"\n{format_value(node.arg)}"
    return text + f"\n{node.loc}"


def _style(node: Node) -> dict:
    if node.op is Op.BUFFER:
        return {"shape": "cylinder", "fillcolor": "#fff3d6"}
    if node.op in MOVEMENT:
        return {"fillcolor": "#f4f4f4", "fontcolor": "#555555"}
    if node.op in (Op.SUM, Op.REDUCE_MAX):
        return {"fillcolor": "#ffe0e0"}
    return {}


def add_schedule(g: nx.DiGraph, r: Realize) -> None:
    top = f"graph {r.index} (realized at {r.where})"
    regions = kernel_regions(r)
    names = {k.index: f"kernel {k.index} {k.name}" for k in r.kernels}
    owner = {id(k.kernel.target): k.index for k in r.kernels}
    number = {n: i for i, n in enumerate(toposort(r.roots))}  # %N as `dump --stage schedule` names it

    def node_id(n: Node, kernel: int | None) -> str:
        return f"g{r.index}_%{number[n]}" if kernel is None else f"g{r.index}_k{kernel}_%{number[n]}"

    for index, nodes in regions.items():
        members = set(nodes)
        for n in nodes:
            g.add_node(node_id(n, index), label=f"%{number[n]} " + label(n), cluster=(top, names[index]),
                       **_style(n))
            for s in n.srcs:
                if s in members:
                    g.add_edge(node_id(s, index), node_id(n, index))
                elif s.op is Op.BUFFER:
                    g.add_node(node_id(s, None), label=f"%{number[s]} " + label(s), cluster=(top,), **_style(s))
                    g.add_edge(node_id(s, None), node_id(n, index))
    for e in unfused_edges(r):
        src = owner.get(id(e.value))
        if src is None:
            continue
        g.add_edge(node_id(e.value, src), node_id(e.reader, e.kernel), style="dashed",
                   color="#b03030", label=_short(e.reason))


def _short(reason: str, width: int = 40) -> str:
    return reason if len(reason) <= width else reason[: width - 1] + "…"


def add_graph(g: nx.DiGraph, r: Realize) -> None:
    top = f"graph {r.index} (realized at {r.where})"
    order = toposort(r.user_roots)
    number = {n: i for i, n in enumerate(order)}  # %N as `dump --stage graph` names it
    for n in order:
        g.add_node(f"g{r.index}_%{number[n]}", label=f"%{number[n]} " + label(n), cluster=(top,), **_style(n))
        for s in n.srcs:
            g.add_edge(f"g{r.index}_%{number[s]}", f"g{r.index}_%{number[n]}")


def picture(capture: Capture, stage: str = "schedule", graph: int | None = None) -> str:
    """DOT text for the captured realizes."""
    if stage not in DRAW_STAGES:
        raise SelectionError(f"unknown stage {stage!r} for draw; valid stages: {', '.join(DRAW_STAGES)}")
    check_selection(capture, graph, None)
    g = nx.DiGraph()
    for r in capture.realizes:
        if graph is None or r.index == graph:
            (add_schedule if stage == "schedule" else add_graph)(g, r)
    return to_dot(g)


def main(args) -> int:
    capture = run_script(args.script, args.script_args, device=args.device)
    try:
        text = picture(capture, args.stage, args.graph)
    except SelectionError as e:
        print(f"lazygrad-ir draw: {e}", file=sys.stderr)
        return 2
    hint = write_picture(text, args.output)
    print(f"lazygrad-ir: {hint}" if hint else f"lazygrad-ir: wrote {args.output}", file=sys.stderr)
    return 1 if capture.error is not None else 0
