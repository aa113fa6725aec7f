"""`lazygrad-ir why SCRIPT.py`: why each realized node got its own buffer, and for every
pair of adjacent ops that did not fuse, the reason, with the user's source lines.

The reasons are the schedule's own (Schedule.why, see docs/scheduling.md): an output, a
reduce read by several ops or through a movement op, a broadcast that would recompute work,
a pad that needs real zeros, a kernel grown past the op limit, contiguous/assign/copy.
"""
from __future__ import annotations

import argparse
import sys

from lazygrad.debug_tool.capture import Capture, run_script
from lazygrad.debug_tool.dump import add_script_args
from lazygrad.debug_tool.regions import unfused_edges
from lazygrad.debug_tool.sources import source_line
from lazygrad.ir.node import Node
from lazygrad.schedule.realize_rules import labelled


def add_parser(sub) -> None:
    p = sub.add_parser("why", help="why each kernel boundary is where it is, with source lines",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_script_args(p)
    p.set_defaults(func=main)


def _at(node: Node, script: str) -> str:
    text = source_line(node.loc, script)
    return f"{node.op.value} at {node.loc}" + (f"    | {text}" if text else "")


def explain(capture: Capture, script: str) -> str:
    lines: list[str] = []
    for r in capture.realizes:
        lines.append(f"graph {r.index} (realized at {r.where}): {len(r.schedule.kernels)} kernel(s)")
        targets = {id(k.kernel.target) for k in r.kernels}
        entries = [(f"kernel {k.index} {k.name}", k.kernel.target) for k in r.kernels]
        entries += [("buffer", n) for n in r.schedule.why if id(n) not in targets]
        for label, node in entries:
            lines.append(f"  {label}: {_at(node, script)}")
            lines.append(f"    own buffer because: {labelled(r.schedule.why.get(node, 'scheduled'))}")
        edges = unfused_edges(r)
        if edges:
            lines.append("  not fused:")
        for e in edges:
            lines.append(f"    {_at(e.value, script)}")
            lines.append(f"      -> {_at(e.reader, script)}  (in kernel {e.kernel})")
            lines.append(f"      because: {e.reason}")
    if not capture.realizes:
        lines.append("nothing was realized")
    return "\n".join(lines) + "\n"


def main(args) -> int:
    capture = run_script(args.script, args.script_args, device=args.device)
    sys.stdout.write(explain(capture, args.script))
    return 1 if capture.error is not None else 0
