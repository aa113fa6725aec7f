"""`lazygrad-ir ops`: the op card, one row per primitive, generated from the tables themselves.

For each primitive: how the front end spells it, its gradient rule (the math comment on its
line of GRADIENT_RULES), its meaning in numpy (ALU_NUMPY, the reference semantics) and what the
C and OpenCL renderers print for it. docs/ir.md holds a copy between markers that a test
compares with this output, so the card cannot drift from the code.
"""
from __future__ import annotations

import argparse
import inspect
import re
import sys

from lazygrad.codegen.render_c import CRenderer
from lazygrad.codegen.render_opencl import OpenCLRenderer
from lazygrad.dtypes import bool_, float32, int32
from lazygrad.ir import evaluate, gradient
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import ALU, BINARY, MOVEMENT, REDUCE, SOURCES, TERNARY, UNARY, Op

# how the front end spells each primitive (x, y: float tensors, w one that requires grad; i, j:
# int64 tensors; c: bool);
# tests/test_ir_text.py checks that each spelling builds its op
SPELLING: dict[Op, str] = {
    Op.CONST: "lg.full((2,), 3.0)", Op.BUFFER: "lg.tensor([1.0, 2.0])", Op.IOTA: "lg.arange(4)",
    Op.NEG: "-x", Op.EXP2: "x.exp2()", Op.LOG2: "x.log2()", Op.SIN: "x.sin()", Op.SQRT: "x.sqrt()",
    Op.RECIP: "x.reciprocal()", Op.CAST: "x.int()", Op.BITCAST: "x.view(lg.int32)",
    Op.ADD: "x + y", Op.MUL: "x * y", Op.DIV: "x / y", Op.MAX: "lg.maximum(x, y)", Op.MOD: "x.fmod(y)",
    Op.IDIV: "i.div(j, rounding_mode='trunc')", Op.CMPLT: "x < y", Op.CMPNE: "x != y", Op.AND: "i & j",
    Op.OR: "i | j", Op.XOR: "i ^ j", Op.SHL: "i << j", Op.SHR: "i >> j", Op.WHERE: "lg.where(c, x, y)",
    Op.SUM: "x.sum()", Op.REDUCE_MAX: "x.amax()", Op.RESHAPE: "x.reshape(2, 1)",
    Op.PERMUTE: "x.reshape(2, 1).T", Op.EXPAND: "x.expand(3, 2)", Op.PAD: "F.pad(x, (1, 1))",
    Op.SHRINK: "x[1:]", Op.FLIP: "x.flip(0)", Op.COPY: "x.to('python')", Op.ASSIGN: "x.assign(x + 1)",
    Op.CONTIGUOUS: "x.expand(3, 2).contiguous()", Op.DETACH: "w.detach()",
}
INT_ONLY = {Op.IDIV, Op.AND, Op.OR, Op.XOR, Op.SHL, Op.SHR}
KIND = [(SOURCES, "source"), (UNARY, "unary"), (BINARY, "binary"), (TERNARY, "ternary"),
        (REDUCE, "reduce"), (MOVEMENT, "view")]
LOWERED = {"source": "a load, or the constant or index itself", "reduce": "an accumulator loop",
           "view": "index arithmetic of the loads"}
MEMORY = {Op.COPY: "a copy between devices", Op.ASSIGN: "a kernel storing into the buffer",
          Op.CONTIGUOUS: "a kernel boundary", Op.DETACH: "nothing: the value itself"}
NUMPY_CASTS = {Op.CAST: "a.astype(dtype)", Op.BITCAST: "a.view(dtype)"}  # exec_alu's own cases


def add_parser(sub) -> None:
    p = sub.add_parser("ops", help="the op card: every primitive, its gradient, numpy, C and OpenCL",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=main)


def kind(op: Op) -> str:
    return next((name for ops, name in KIND if op in ops), "memory")


def _gradient_notes() -> dict[str, str]:
    """op name -> the math comment on its GRADIENT_RULES line."""
    notes = {}
    for line in inspect.getsource(gradient).splitlines():
        m = re.match(r"\s+Op\.(\w+): .*#\s*(.+)$", line)
        if m:
            notes[m.group(1)] = m.group(2).strip()
    return notes


def _numpy(op: Op) -> str:
    fn = evaluate.ALU_NUMPY.get(op)
    if fn is None:
        return NUMPY_CASTS.get(op, "")
    if fn.__name__ == "<lambda>":
        return inspect.getsource(fn).split("lambda", 1)[1].split(":", 1)[1].strip().rstrip(",")
    return f"np.{fn.__name__}" if fn.__module__ == "numpy" else f"{fn.__name__} (ir/evaluate.py)"


def _expression(op: Op) -> sym.Expr:
    dtype = int32 if op in INT_ONLY else float32
    a, b = sym.var("a", 0, 9, dtype), sym.var("b", 0, 9, dtype)
    if op in (Op.CAST, Op.BITCAST):
        return sym.alu(op, a, dtype=int32)
    if op is Op.WHERE:
        return sym.alu(op, sym.var("c", 0, 1, bool_), a, b)
    return sym.alu(op, a) if op in UNARY else sym.alu(op, a, b)


def rows() -> list[tuple[str, ...]]:
    notes, c, opencl = _gradient_notes(), CRenderer(), OpenCLRenderer()
    out = []
    for op in Op:
        if op not in SPELLING:
            continue  # kernel-level ops (load, store, index, valid, var): not in Graph IR
        grad = notes.get(op.name, "") if op in gradient.GRADIENT_RULES else "none"
        if op in ALU:
            e = _expression(op)
            spelled = (c.expr(e), opencl.expr(e))
        else:
            spelled = (LOWERED.get(kind(op)) or MEMORY[op],) * 2
        out.append((op.value, kind(op), SPELLING[op], grad, _numpy(op), *spelled))
    return out


def _cell(text: str, code: bool) -> str:
    text = text.replace("|", "\\|")
    return f"`{text}`" if code and text else text


def card() -> str:
    """The card as a markdown table (docs/ir.md holds a copy)."""
    head = ("op", "kind", "front end", "gradient", "numpy", "C (float32)", "OpenCL (float32)")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows():
        alu = row[1] in ("unary", "binary", "ternary")
        lines.append("| " + " | ".join(_cell(cell, i in (0, 2) or (alu and i in (4, 5, 6)))
                                       for i, cell in enumerate(row)) + " |")
    return "\n".join(lines) + "\n"


def main(args) -> int:
    sys.stdout.write(card())
    return 0
