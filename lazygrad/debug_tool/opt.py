"""`lazygrad-ir opt FILE.lgir --passes simplify,fuse,lower`: run named passes, print the IR.

Like mlir-opt: the input is verified, each pass runs in order and the verifier runs after
each one; the result is printed as units that `run` and `opt` read again.
"""
from __future__ import annotations

import argparse
import sys

from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.debug_tool.execute import parse_unit
from lazygrad.debug_tool.passes import PASSES, IRUnit, apply, verify
from lazygrad.debug_tool.run_ir import read_units
from lazygrad.debug_tool.units import header
from lazygrad.errors import LazygradError
from lazygrad.ir.printer import print_graph


def add_parser(sub) -> None:
    p = sub.add_parser("opt", help="run named passes on a saved IR file and print the result",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", help="an IR file (.lgir)")
    p.add_argument("--passes", default="", help="comma-separated pass names, run in order")
    p.add_argument("--list-passes", "--list", action="store_true",
                   help="name every pass, in the order the engine runs them, and what it does")
    p.set_defaults(func=main)


def list_passes() -> str:
    width = max(len(n) for n in PASSES)
    lines = ["passes (takes -> gives):"]
    for p in PASSES.values():
        lines.append(f"  {p.name:<{width}}  {'|'.join(p.takes)} -> {p.gives}: {p.help}")
    return "\n".join(lines) + "\n"


def print_units(units: list[IRUnit], done: list[str]) -> str:
    out = []
    for u in units:
        parts = [x.strip() for x in u.note.split(";") if x.strip()]
        before = [x[len("after "):] for x in parts if x.startswith("after ")]
        passes = ",".join(before + done)
        parts = [x for x in parts if not x.startswith("after ")] + ([f"after {passes}"] if passes else [])
        note = "; ".join(parts)
        body = print_loop_ir(u.ir) if u.level == "loop" else print_graph(list(u.ir))
        out.append(header(u.level, u.name, note) + body)
    return "".join(out)


def main(args) -> int:
    if args.list_passes:
        sys.stdout.write(list_passes())
        return 0
    if not args.file:
        print("lazygrad-ir opt: give an IR file (or --list-passes)", file=sys.stderr)
        return 2
    names = [n.strip() for n in args.passes.split(",") if n.strip()]
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        print(f"lazygrad-ir opt: unknown pass {unknown[0]!r}; valid passes: {', '.join(PASSES)}",
              file=sys.stderr)
        return 2
    try:
        units = []
        for u in read_units(args.file):
            if u.level == "source":
                continue
            unit = IRUnit(u.level, u.name, parse_unit(u), u.note)
            verify(unit)
            units.append(unit)
        done: list[str] = []
        for name in names:
            units = apply(PASSES[name], units)
            done.append(name)
    except (LazygradError, ValueError) as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(print_units(units, done))
    return 0
