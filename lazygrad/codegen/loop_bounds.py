"""Proof that every load and store of a Loop IR kernel stays inside its buffer, for IR that a
person wrote or edited (`lazygrad-ir run`): compiled C would read or write wherever the index
says.

Each index has a range (lowering gives every integer expression one: codegen/lower.py). A load
with a mask reads only where the mask holds, so its index is re-evaluated under the bounds the
mask's comparisons put on linear forms (`i2 + r1 < 6`, `i2 + r1 < 1 != true`: what lowering
writes for padding), as interval arithmetic over the index's linear form. An index whose range is unknown (a wrapping cast, a shift)
or reaches outside [0, size) is refused before anything compiles.
"""
from __future__ import annotations

from lazygrad.codegen.loop_ir import LoopKernel, Store, VecLoad, VecStore, walk_stmts
from lazygrad.errors import IRVerifyError
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, linear_form

INDEX_LIMIT = 2**62  # an index math value beyond this could overflow int64 on the way


def _constraints(mask: Expr) -> list[tuple[dict[Expr, int], int, int]]:
    """The linear forms a mask bounds, as (terms, low, high) with form - constant in [low, high]:
    the mask is read as a conjunction of `e < c` and `(e < c) != true` (e linear)."""
    bounds: dict[tuple, list] = {}
    stack = [mask]
    while stack:
        m = stack.pop()
        if m.op is Op.AND:
            stack.extend(m.srcs)
            continue
        negated = m.op is Op.CMPNE and m.srcs[1].op is Op.CONST and m.srcs[1].arg is True
        atom = m.srcs[0] if negated else m
        if atom.op is not Op.CMPLT or atom.srcs[1].op is not Op.CONST or atom.srcs[0].vmin is None:
            continue
        terms, c = linear_form(atom.srcs[0])
        key = tuple(sorted(((id(t), t, k) for t, k in terms.items()), key=lambda x: x[0]))
        entry = bounds.setdefault(key, [terms, atom.srcs[0].vmin - c, atom.srcs[0].vmax - c])
        limit = atom.srcs[1].arg - c
        if negated:
            entry[1] = max(entry[1], limit)
        else:
            entry[2] = min(entry[2], limit - 1)
    return [(t, lo, hi) for t, lo, hi in bounds.values()]


def _term_range(t: Expr) -> tuple[int, int] | None:
    if t.vmin is None or t.vmax is None or isinstance(t.vmin, float) or isinstance(t.vmax, float):
        return None
    return int(t.vmin), int(t.vmax)


def _range(index: Expr, mask: Expr | None) -> tuple[int, int] | None:
    """index's range where mask holds: its linear form, with each bounded form the mask names
    taken out whole where index holds a multiple of it (conv padding: 5*(i2 + r1) + ...)."""
    if mask is None:
        return _term_range(index)
    terms, low = linear_form(index)
    high = low
    for form, lo, hi in sorted(_constraints(mask), key=lambda f: -len(f[0])):
        ratios = {terms.get(t, 0) / k for t, k in form.items()}
        if len(ratios) != 1 or 0 in ratios or (k := ratios.pop()) != int(k):
            continue
        k = int(k)
        for t, coeff in form.items():
            terms[t] -= k * coeff
        low, high = low + min(k * lo, k * hi), high + max(k * lo, k * hi)
    for t, k in terms.items():
        r = _term_range(t)
        if k and r is None:
            return None
        if k:
            low, high = low + min(k * r[0], k * r[1]), high + max(k * r[0], k * r[1])
    return low, high


def check_bounds(kernel: LoopKernel, sizes: dict[str, int], param_lines: dict[str, int] | None = None) -> None:
    """IRVerifyError unless every access of kernel lies in [0, sizes[param]) (elements). The
    error gives the statement's line and column (a kernel parsed from Loop IR text), or
    param_lines' line of the Kernel IR op that reads or writes that parameter."""
    accesses: list[tuple[str, str, Expr, Expr | None, int, str]] = []  # (what, param, index, mask, lanes, where)
    seen: set[int] = set()
    lines = kernel.where or {}
    for st in walk_stmts(kernel.body):
        at = "line {}, column {}: ".format(*lines[id(st)]) if id(st) in lines else ""
        if not at and param_lines and getattr(st, "param", None) in param_lines:
            at = f"line {param_lines[st.param]}: "
        if isinstance(st, Store):
            accesses.append(("store into", st.param, st.index, None, 1, at))
        elif isinstance(st, VecLoad):
            accesses.append(("vector load from", st.param, st.index, None, st.width, at))
        elif isinstance(st, VecStore):
            accesses.append(("vector store into", st.param, st.index, None, st.width, at))
        stack = [e for e in (getattr(st, "value", None), getattr(st, "index", None), getattr(st, "init", None))
                 if e is not None]
        while stack:
            e = stack.pop()
            if id(e) in seen:
                continue
            seen.add(id(e))
            if e.op is Op.LOAD:
                mask = e.srcs[1] if len(e.srcs) > 1 and not (e.srcs[1].op is Op.CONST and e.srcs[1].arg is True) else None
                here = f"line {param_lines[e.arg]}: " if not lines and param_lines and e.arg in param_lines else at
                accesses.append(("load from", e.arg, e.srcs[0], mask, 1, here))
            stack.extend(e.srcs)
    for what, param, index, mask, lanes, at in accesses:
        found = _range(index, mask)
        size = sizes[param]
        if found is None or found[0] < 0 or found[1] + lanes > size or abs(found[1]) > INDEX_LIMIT:
            span = "no range it can be proven to stay in" if found is None else f"index range [{found[0]}, {found[1] + lanes - 1}]"
            raise IRVerifyError(f"{at}kernel {kernel.name}: a {what} {param} (index {index}) has {span}, "
                                f"outside {param}'s {size} elements [0, {size - 1}]")
