"""Scalar expressions: symbolic index math for views and the values of Loop IR.

Integer expressions know their range (vmin, vmax). The constructors simplify as they build:
sums are kept as sorted linear forms, constants fold, and division/modulo by a constant use
the ranges to drop what cannot matter, so a permuted, padded, sliced read renders as one
short index expression. IDIV and MOD truncate toward zero like C; rules that assume floor
semantics only fire when the numerator is known to be non-negative.
"""
from __future__ import annotations

import functools
import math
import weakref
from typing import Any

from lazygrad.dtypes import DType, bool_, cast_scalar, int64, value_range
from lazygrad.ir.expr_text import expr_to_text
from lazygrad.ir.ops import Op

_CONS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class Expr:
    __slots__ = ("op", "dtype", "srcs", "arg", "vmin", "vmax", "_text", "__weakref__")

    op: Op
    dtype: DType
    srcs: tuple["Expr", ...]
    arg: Any
    vmin: Any
    vmax: Any

    def __repr__(self) -> str:
        return f"Expr({self})"

    def __str__(self) -> str:
        if self._text is None:
            self._text = expr_to_text(self)
        return self._text

    @property
    def is_const(self) -> bool:
        return self.op is Op.CONST

    # convenience operators for index math (ints only)
    def __add__(self, o: "Expr | int") -> "Expr":
        return add(self, _lift(o))

    __radd__ = __add__

    def __mul__(self, o: "Expr | int") -> "Expr":
        return mul(self, _lift(o))

    __rmul__ = __mul__

    def __sub__(self, o: "Expr | int") -> "Expr":
        return add(self, mul(_lift(o), const(-1)))

    def __floordiv__(self, o: int) -> "Expr":
        return idiv(self, const(o))

    def __mod__(self, o: int) -> "Expr":
        return mod(self, const(o))


def _lift(x: "Expr | int") -> Expr:
    return x if isinstance(x, Expr) else const(x)


def _make(op: Op, dtype: DType, srcs: tuple[Expr, ...], arg: Any, vmin: Any, vmax: Any) -> Expr:
    key = (op, dtype, srcs, ("f", repr(arg)) if isinstance(arg, float) else arg)
    e = _CONS.get(key)
    if e is None:
        e = Expr.__new__(Expr)
        e.op, e.dtype, e.srcs, e.arg, e.vmin, e.vmax, e._text = op, dtype, srcs, arg, vmin, vmax, None
        _CONS[key] = e
    return e


def const(value: Any, dtype: DType = int64) -> Expr:
    if dtype.is_bool:
        value = bool(value)
    elif dtype.is_float:
        value = float(value)
    else:
        value = int(value)
    return _make(Op.CONST, dtype, (), value, value, value)


def var(name: str, vmin: int = 0, vmax: int = 0, dtype: DType = int64) -> Expr:
    """A named scalar. For loop variables [vmin, vmax] is the inclusive range."""
    if dtype.is_float:
        return _make(Op.VAR, dtype, (), name, -math.inf, math.inf)
    return _make(Op.VAR, dtype, (), (name, vmin, vmax), vmin, vmax)


def var_name(e: Expr) -> str:
    return e.arg[0] if isinstance(e.arg, tuple) else e.arg


# ---- linear forms -------------------------------------------------------------------------

def _linear(e: Expr) -> tuple[dict[Expr, int], int]:
    """e == sum(coeff * term) + constant."""
    if e.op is Op.CONST:
        return {}, e.arg
    if e.op is Op.ADD:
        ta, ca = _linear(e.srcs[0])
        tb, cb = _linear(e.srcs[1])
        for t, c in tb.items():
            ta[t] = ta.get(t, 0) + c
        return ta, ca + cb
    if e.op is Op.MUL and e.srcs[1].op is Op.CONST:
        t, c = _linear(e.srcs[0])
        k = e.srcs[1].arg
        return {x: v * k for x, v in t.items()}, c * k
    return {e: 1}, 0


linear_form = _linear  # (public: Loop IR's bounds proof reads index math as linear forms)


def step_along(index: Expr, var: str) -> int | None:
    """How far index moves when variable `var` counts up by one: its coefficient, when var
    appears only as a linear term (0 when it does not appear); None when var sits inside
    a division, modulo or product of variables."""
    terms, _ = _linear(index)
    step = 0
    for term, k in terms.items():
        if term.op is Op.VAR and var_name(term) == var:
            step = k
        elif var in free_vars(term):
            return None
    return step


def _from_linear(terms: dict[Expr, int], c: int) -> Expr:
    parts = [(str(t), t, k) for t, k in terms.items() if k != 0]
    parts.sort(key=lambda p: p[0])
    result: Expr | None = None
    for _, t, k in parts:
        term = t if k == 1 else _raw(Op.MUL, (t, const(k)))
        result = term if result is None else _raw(Op.ADD, (result, term))
    if result is None:
        return const(c)
    return result if c == 0 else _raw(Op.ADD, (result, const(c)))


def _range(op: Op, a: Expr, b: Expr) -> tuple[Any, Any]:
    if op is Op.ADD:
        return a.vmin + b.vmin, a.vmax + b.vmax
    if op is Op.MUL:
        vals = [a.vmin * b.vmin, a.vmin * b.vmax, a.vmax * b.vmin, a.vmax * b.vmax]
        return min(vals), max(vals)
    if op is Op.IDIV:
        c = b.arg
        lo, hi = _tdiv(a.vmin, c), _tdiv(a.vmax, c)
        return min(lo, hi), max(lo, hi)
    if op is Op.MOD:
        c = abs(b.arg)
        if a.vmin >= 0:
            return 0, min(a.vmax, c - 1)
        return -(c - 1), c - 1
    raise AssertionError(op)


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _raw(op: Op, srcs: tuple[Expr, ...]) -> Expr:
    lo, hi = _range(op, *srcs)
    return _make(op, srcs[0].dtype, srcs, None, lo, hi)


# ---- integer constructors ------------------------------------------------------------------

def add(a: Expr, b: Expr) -> Expr:
    if a.dtype.is_float or b.dtype.is_float:
        return alu(Op.ADD, a, b)
    if a.op is Op.CONST and b.op is Op.CONST:
        return const(a.arg + b.arg, a.dtype)
    ta, ca = _linear(a)
    tb, cb = _linear(b)
    for t, k in tb.items():
        ta[t] = ta.get(t, 0) + k
    return _from_linear(ta, ca + cb)


def add_const(a: Expr, c: int) -> Expr:
    """add(a, const(c)) for an integer `a` in the form add and mul return (its terms, then
    its constant last), without taking it apart: a register tile shifts one index by 256
    constants, and the warm first call of a model is mostly this kind of work."""
    if c == 0:
        return a
    if a.op is Op.CONST:
        return const(a.arg + c, a.dtype)
    if a.op is Op.ADD and a.srcs[1].op is Op.CONST:
        total = a.srcs[1].arg + c
        return a.srcs[0] if total == 0 else _raw(Op.ADD, (a.srcs[0], const(total, a.dtype)))
    return _raw(Op.ADD, (a, const(c, a.dtype)))


def mul(a: Expr, b: Expr) -> Expr:
    if a.dtype.is_float or b.dtype.is_float:
        return alu(Op.MUL, a, b)
    if a.op is Op.CONST and b.op is not Op.CONST:
        a, b = b, a
    if b.op is Op.CONST:
        k = b.arg
        if a.op is Op.CONST:
            return const(a.arg * k, a.dtype)
        if k == 0:
            return const(0, a.dtype)
        terms, c = _linear(a)
        return _from_linear({t: v * k for t, v in terms.items()}, c * k)
    if str(a) > str(b):
        a, b = b, a
    return _raw(Op.MUL, (a, b))


def idiv(a: Expr, b: Expr) -> Expr:
    """Truncating division by a positive constant (or a general expression)."""
    if b.op is not Op.CONST or b.arg <= 0 or a.dtype.is_float:
        return alu(Op.IDIV, a, b)
    c = b.arg
    if a.op is Op.CONST:
        return const(_tdiv(a.arg, c), a.dtype)
    if c == 1:
        return a
    if a.vmin >= 0:
        if a.vmax < c:
            return const(0, a.dtype)
        if a.op is Op.IDIV and a.srcs[1].op is Op.CONST:
            return idiv(a.srcs[0], const(a.srcs[1].arg * c))
        terms, k = _linear(a)
        pulled = {t: v // c for t, v in terms.items() if v % c == 0}
        rest = {t: v for t, v in terms.items() if v % c != 0}
        rest_expr = _from_linear(rest, k % c)
        if pulled or k >= c:
            if rest_expr.vmin >= 0:
                return add(_from_linear(pulled, k // c), idiv(rest_expr, b))
        if (aligned := _aligned_base(terms, k, c)) is not None:  # (16x + 5) // 32 == 16x // 32
            return idiv(aligned[0], b)
        # divide through by a common factor: (4x + 2y) // 8 == (2x + y) // 4
        g = math.gcd(c, k, *terms.values())
        if g > 1:
            return idiv(_from_linear({t: v // g for t, v in terms.items()}, k // g), const(c // g))
    return _raw(Op.IDIV, (a, b))


def mod(a: Expr, b: Expr) -> Expr:
    """Truncating remainder by a positive constant (or a general expression)."""
    if b.op is not Op.CONST or b.arg <= 0 or a.dtype.is_float:
        return alu(Op.MOD, a, b)
    c = b.arg
    if a.op is Op.CONST:
        return const(a.arg - _tdiv(a.arg, c) * c, a.dtype)
    if c == 1:
        return const(0, a.dtype)
    if a.vmin >= 0:
        if a.vmax < c:
            return a
        if a.op is Op.MOD and a.srcs[1].op is Op.CONST and a.srcs[1].arg % c == 0:
            return mod(a.srcs[0], b)
        terms, k = _linear(a)
        rest = {t: v % c for t, v in terms.items() if v % c != 0}
        if len(rest) != len(terms) or k >= c:
            reduced = _from_linear(rest, k % c)
            if reduced.vmin >= 0:
                return mod(reduced, b)
        if (aligned := _aligned_base(terms, k, c)) is not None:  # (16x + 5) % 32 == 16x % 32 + 5
            return add_const(mod(aligned[0], b), aligned[1])
    return _raw(Op.MOD, (a, b))


def _aligned_base(terms: dict, k: int, c: int) -> tuple[Expr, int] | None:
    """(base, k % g) with base = x - k % g, for x = sum(terms) + k whose terms are multiples
    of g = gcd(c, coefficients) > 1, where k % g > 0 and base >= 0. base % c is a multiple of g
    (g divides c), at most c - g: adding k % g < g cannot carry into the quotient."""
    g = math.gcd(c, *terms.values())
    if not terms or g <= 1 or k % g == 0 or (base := _from_linear(dict(terms), k - k % g)).vmin < 0:
        return None
    return base, k % g


# ---- comparisons and logic (index validity) --------------------------------------------------

def lt(a: Expr, b: Expr) -> Expr:
    """a < b, folded when the ranges decide it."""
    if not (a.dtype.is_float or b.dtype.is_float):
        if a.vmax < b.vmin:
            return const(True, bool_)
        if a.vmin >= b.vmax:
            return const(False, bool_)
    return alu(Op.CMPLT, a, b)


def ge(a: Expr, b: Expr) -> Expr:
    return logical_not(lt(a, b))


def logical_not(a: Expr) -> Expr:
    if a.op is Op.CONST:
        return const(not a.arg, bool_)
    return alu(Op.CMPNE, a, const(True, bool_))


def logical_and(a: Expr, b: Expr) -> Expr:
    for x, y in ((a, b), (b, a)):
        if x.op is Op.CONST:
            return y if x.arg else const(False, bool_)
    return alu(Op.AND, a, b)


def all_of(conds: list[Expr]) -> Expr:
    return functools.reduce(logical_and, conds, TRUE)


# ---- general values (Loop IR) ---------------------------------------------------------------

def alu(op: Op, *srcs: Expr, dtype: DType | None = None) -> Expr:
    """Any ALU op on scalars; integer range info is kept conservative."""
    if dtype is None:
        dtype = bool_ if op in (Op.CMPLT, Op.CMPNE) else srcs[-1].dtype
    lo, hi = (-math.inf, math.inf)
    if dtype.is_bool:
        lo, hi = 0, 1
    elif op in (Op.ADD, Op.MUL) and dtype.is_int and all(s.vmin is not None for s in srcs):
        lo, hi = _range(op, *srcs)
    elif op in (Op.IDIV, Op.MOD) and dtype.is_int and srcs[1].op is Op.CONST and srcs[1].arg > 0:
        lo, hi = _range(op, *srcs)  # the same range idiv()/mod() give: the node is shared
    elif op is Op.CAST and srcs[0].dtype.is_int and dtype.is_int:
        lo, hi = srcs[0].vmin, srcs[0].vmax
    if dtype.is_int and not dtype.is_bool and lo is not None and math.isfinite(lo) and math.isfinite(hi):
        low, high = value_range(dtype)
        if lo < low or hi > high:  # it wraps: its values are no longer a range of these
            lo, hi = -math.inf, math.inf
    return _make(op, dtype, tuple(srcs), None, lo, hi)


def load(param: str, index: Expr, valid: Expr, dtype: DType) -> Expr:
    """Read param[index]; where valid is false the result is 0 and nothing is read."""
    return _make(Op.LOAD, dtype, (index, valid), param, -math.inf, math.inf)


def cast(e: Expr, dtype: DType) -> Expr:
    if e.dtype == dtype:
        return e
    if e.op is Op.CONST:
        return const(cast_scalar(e.arg, dtype), dtype)
    return alu(Op.CAST, e, dtype=dtype)


def substitute(e: Expr, mapping: dict[Expr, Expr]) -> Expr:
    """Replace sub-expressions (usually variables) and re-simplify."""
    return _substitute(e, mapping, {})


def _substitute(x: Expr, mapping: dict[Expr, Expr], memo: dict[Expr, Expr]) -> Expr:
    if x in mapping:
        return mapping[x]
    if x in memo:
        return memo[x]
    if not x.srcs:
        return x
    memo[x] = rebuild(x, tuple(_substitute(s, mapping, memo) for s in x.srcs))
    return memo[x]


def rebuild(x: Expr, srcs: tuple[Expr, ...]) -> Expr:
    if srcs == x.srcs:
        return x
    if x.op is Op.LOAD:
        if srcs[1].op is Op.CONST and not srcs[1].arg:  # never read: its value is 0
            return const(cast_scalar(0, x.dtype), x.dtype)
        return load(x.arg, srcs[0], srcs[1], x.dtype)
    if x.op is Op.CMPNE and x.dtype == bool_ and srcs[1].op is Op.CONST and srcs[1].arg is True:
        return logical_not(srcs[0])  # (a guard's "not": folds once its comparison has)
    simplifying = {Op.ADD: add, Op.MUL: mul, Op.IDIV: idiv, Op.MOD: mod, Op.CMPLT: lt,
                   Op.AND: logical_and}
    if x.op in simplifying and not x.dtype.is_float and x.dtype != bool_ or x.op in (Op.CMPLT, Op.AND):
        return simplifying[x.op](*srcs)
    return alu(x.op, *srcs, dtype=x.dtype)


def free_vars(e: Expr) -> set[str]:
    out: set[str] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if x.op is Op.VAR:
            out.add(var_name(x))
        stack.extend(x.srcs)
    return out


TRUE = const(True, bool_)
FALSE = const(False, bool_)
