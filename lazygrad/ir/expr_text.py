"""Text of scalar expressions, as the Loop IR printer shows them and its grammar reads them.

Infix for arithmetic and comparisons (C precedence, parenthesised only where needed), calls
for everything else: `i0*64 + r0`, `exp2(v3)`, `where(v1, v2, 0.0:float32)`,
`load(p1, i0 + 1, 0 < i0)`. Constants that are not int64 or bool carry their dtype.
"""
from __future__ import annotations

from lazygrad.dtypes import int64
from lazygrad.ir.ops import Op

INFIX = {Op.ADD: ("+", 8), Op.MUL: ("*", 9), Op.IDIV: ("/", 9), Op.MOD: ("%", 9),
         Op.CMPLT: ("<", 5), Op.CMPNE: ("!=", 4), Op.AND: ("&", 3), Op.XOR: ("^", 2),
         Op.OR: ("|", 1), Op.SHL: ("<<", 7), Op.SHR: (">>", 7)}
_ATOM = 100


def const_text(value, dtype) -> str:
    if dtype.is_bool:
        return "true" if value else "false"
    text = repr(value)
    return text if dtype == int64 else f"{text}:{dtype.name}"


def _prec(e) -> int:
    if e.op in INFIX:
        return INFIX[e.op][1]
    if e.op is Op.CONST and (not isinstance(e.arg, bool)) and e.arg < 0:
        return 10  # a negative literal binds like a unary minus
    return _ATOM


def expr_to_text(e) -> str:
    """Render iteratively-safe for the shallow trees expressions are (depth < 100)."""
    if e.op is Op.CONST:
        return const_text(e.arg, e.dtype)
    if e.op is Op.VAR:
        return e.arg[0] if isinstance(e.arg, tuple) else e.arg
    if e.op in INFIX:
        sym, prec = INFIX[e.op]
        left, right = e.srcs
        lt = str(left)
        rt = str(right)
        if _prec(left) < prec:
            lt = f"({lt})"
        if _prec(right) <= prec:
            rt = f"({rt})"
        return f"{lt} {sym} {rt}" if prec < 8 else f"{lt}{sym}{rt}" if sym in "*/%" else f"{lt} {sym} {rt}"
    if e.op is Op.LOAD:
        index, valid = e.srcs
        inner = f"{e.arg}, {index}"
        if not (valid.op is Op.CONST and valid.arg is True):
            inner += f", {valid}"
        return f"load<{e.dtype.name}>({inner})"
    if e.op in (Op.CAST, Op.BITCAST):
        return f"{e.op.value}<{e.dtype.name}>({e.srcs[0]})"
    name = "max" if e.op is Op.MAX else e.op.value
    return f"{name}({', '.join(str(s) for s in e.srcs)})"
