"""Register tiles as GCC vector extensions: the C renderer's vector code for upcast kernels.

An upcast reduce kernel (heuristics.choose_upcasts) is a tile of scalar accumulators, and its
innermost loop updates each with a product of two loads: one that moves along the tile's
vector dim (16 consecutive floats) and one that stays put (a broadcast). Left to gcc 12's SLP
vectorizer, the broadcast side comes out as a 64-byte load and a register shuffle per
multiply-add, and a shuffle takes the vector unit an FMA needs: a 3x3 conv ran at 250
GFLOP/s. Written with `lg_v16f` vectors, the same loop is one vector load and 16 FMAs that
broadcast their other operand straight from memory: 465 GFLOP/s, the two cores' peak.

`plan_tile` finds such a tile in a block of statements: float32 sum accumulators in groups
of 16, and an innermost loop whose updates, with its Lets substituted, line up lane by lane
as vector expressions (`_Zipper`); accumulators updated k times there (each the same k)
become k vector updates, in program order. Anything else keeps the scalar code, which is
always correct. The scalar Lets are still emitted (gcc drops the ones nothing reads any
more), and the statements after the loop read lane l of group g as `accv{g}[l]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from lazygrad.codegen.loop_ir import Acc, Let, Loop, Stmt, Update, walk_stmts
from lazygrad.dtypes import float32
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr

WIDTH = 16  # float32 lanes of one lg_v16f: an AVX-512 register, two AVX ones
TYPEDEFS = ("typedef float lg_v16f __attribute__((vector_size(64)));\n"
            "typedef float lg_v16fu __attribute__((vector_size(64), aligned(4)));")
_VECTOR_OPS = {Op.ADD: "+", Op.MUL: "*"}


@dataclass
class TilePlan:
    """How to render one tile: its groups of accumulators and the innermost loop's vector
    statements (loads first, then one update a group)."""
    groups: list[list[str]]
    innermost: Loop
    vector_lines: list[str]
    lane_text: dict[str, str] = field(default_factory=dict)  # acc name -> "accv{g}[l]"


def plan_tile(block: tuple[Stmt, ...], render: Callable[[Expr], str]) -> TilePlan | None:
    """The tile declared in `block` (a loop body), or None. render(expr) -> C text of a
    scalar expression, as the scalar renderer writes it."""
    accs = [s for s in block if isinstance(s, Acc)]
    if not accs or len(accs) % WIDTH or any(not _is_zero_sum(a) for a in accs):
        return None
    loops = [s for s in block if isinstance(s, Loop)]
    if len(loops) != 1:
        return None
    innermost = loops[0]
    while any(isinstance(s, Loop) for s in innermost.body):
        inner = [s for s in innermost.body if isinstance(s, Loop)]
        if len(inner) != 1:
            return None
        innermost = inner[0]
    if not all(isinstance(s, (Let, Update)) for s in innermost.body):
        return None
    names = [a.name for a in accs]
    updates: dict[str, list[Expr]] = {n: [] for n in names}  # an acc may be updated twice
    for s in innermost.body:
        if isinstance(s, Update):
            if s.name not in updates:
                return None
            updates[s.name].append(s.value)
    rounds = len(updates[names[0]])
    if not rounds or any(len(v) != rounds for v in updates.values()):
        return None
    if sum(isinstance(s, Update) for s in walk_stmts(block)) != rounds * len(names):
        return None  # an update outside the innermost loop would name a scalar that is gone
    if any(sym.free_vars(s.value) & updates.keys() for s in innermost.body):
        return None  # the vector updates come after every Let, so nothing may read an acc
    zipper = _Zipper({s.name: s.value for s in innermost.body if isinstance(s, Let)}, render)
    groups = [names[i:i + WIDTH] for i in range(0, len(names), WIDTH)]
    updates_text = []
    for k in range(rounds):  # the k-th update of each lane, in program order
        for g, group in enumerate(groups):
            lane_values = zipper.zip([updates[n][k] for n in group])
            if lane_values is None:
                return None
            updates_text.append(f"accv{g} += {lane_values[1]};")
    lane_text = {n: f"accv{g}[{lane}]" for g, group in enumerate(groups) for lane, n in enumerate(group)}
    return TilePlan(groups, innermost, zipper.loads + updates_text, lane_text)


def _is_zero_sum(acc: Acc) -> bool:
    return acc.dtype == float32 and acc.op is Op.ADD and acc.init.op is Op.CONST and acc.init.arg == 0


class _Zipper:
    """Lines up WIDTH scalar expressions (one a lane) as one vector expression."""

    def __init__(self, lets: dict[str, Expr], render: Callable[[Expr], str]):
        self.lets = lets
        self.render = render
        self.loads: list[str] = []  # the vector loads, each once
        self._load_names: dict[tuple[str, str], str] = {}
        self._zipped_loads: dict[tuple[Expr, ...], tuple[str, str] | None] = {}

    def zip(self, exprs: list[Expr]) -> tuple[str, str] | None:
        """("scalar" | "vector", C text), or None where the lanes do not line up."""
        if all(e is exprs[0] for e in exprs):
            return "scalar", self.render(exprs[0])
        exprs = [self._resolve(e) for e in exprs]
        first = exprs[0]
        if any(e.op is not first.op or e.dtype != float32 for e in exprs):
            return None
        if first.op is Op.LOAD:
            return self._vector_load(exprs)
        if first.op in _VECTOR_OPS:
            a = self.zip([e.srcs[0] for e in exprs])
            b = self.zip([e.srcs[1] for e in exprs])
            if a is None or b is None or a[0] == b[0] == "scalar":
                return None  # lanes that differ must differ somewhere below
            return "vector", f"({a[1]} {_VECTOR_OPS[first.op]} {b[1]})"
        if first.op is Op.NEG:
            a = self.zip([e.srcs[0] for e in exprs])
            return None if a is None or a[0] == "scalar" else ("vector", f"(-{a[1]})")
        return None

    def _resolve(self, e: Expr) -> Expr:
        while e.op is Op.VAR and sym.var_name(e) in self.lets:
            e = self.lets[sym.var_name(e)]
        return e

    def _vector_load(self, loads: list[Expr]) -> tuple[str, str] | None:
        key = tuple(loads)  # every group of a tile reads the same vector: check it once
        if key not in self._zipped_loads:
            self._zipped_loads[key] = self._line_up_loads(loads)
        return self._zipped_loads[key]

    def _line_up_loads(self, loads: list[Expr]) -> tuple[str, str] | None:
        param = loads[0].arg
        if any(e.arg != param or not (e.srcs[1].op is Op.CONST and e.srcs[1].arg) for e in loads):
            return None  # a masked lane keeps the scalar code and its bounds checks
        terms0, c0 = sym._linear(loads[0].srcs[0])
        for lane, e in enumerate(loads):
            terms, c = sym._linear(e.srcs[0])
            if terms != terms0 or c - c0 != lane:
                return None
        key = (param, self.render(loads[0].srcs[0]))
        name = self._load_names.get(key)
        if name is None:
            name = self._load_names[key] = f"vl{len(self._load_names)}"
            self.loads.append(f"lg_v16f {name} = *(const lg_v16fu*)({param} + {key[1]});")
        return "vector", name
