"""Register tiles: a Loop IR -> Loop IR pass that turns an upcast kernel's tile of scalar
accumulators into vector accumulators (VecAcc) updated from vector loads (VecLoad).

An upcast reduce kernel (heuristics.choose_upcasts) is a tile of scalar accumulators, and its
innermost loop updates each with a product of two loads: one that moves along the tile's
vector dim (16 consecutive floats) and one that stays put (a broadcast). Left to gcc 12's SLP
vectorizer, the broadcast side comes out as a 64-byte load and a register shuffle per
multiply-add, and a shuffle takes the vector unit an FMA needs: a 3x3 conv ran at 250
GFLOP/s. Written as vectors, the same loop is one vector load and 16 FMAs that broadcast
their other operand straight from memory: 465 GFLOP/s, the two cores' peak.

The pass finds such a tile in a loop body: float32 sum accumulators in groups of WIDTH, and an
innermost loop whose updates, with its Lets substituted, line up lane by lane as vector
expressions (`_Zipper`); accumulators updated k times there (each the same k) become k
vector updates, in program order. Anything else is left as it is, which is always correct.
Lets that only fed the replaced updates are dropped. Statements after the loop read lane l
of group g by its scalar accumulator's name (VecAcc.lanes), so they stay as they were, except
the stores: WIDTH consecutive stores whose values line up lane by lane over a vector
accumulator's lanes (a bias add, a scale) become one vector store (VecStore), from vector
loads where the epilogue reads along the lanes. A 16x16 tile's epilogue was 768 scalar
statements, most of what gcc compiled: a transformer's matmul kernels took 0.23 s each to
compile with them, 0.05 s without, and the first training step is mostly compiling.
"""
from __future__ import annotations

from dataclasses import replace

from lazygrad.codegen.heuristics import REGISTER_LANES
from lazygrad.codegen.loop_ir import (
    Acc,
    Let,
    Loop,
    LoopKernel,
    Stmt,
    Store,
    Update,
    VecAcc,
    VecLoad,
    VecStore,
    walk_stmts,
)
from lazygrad.dtypes import float32
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr

WIDTH = REGISTER_LANES  # float32 lanes of one vector: this CPU's register (16 on AVX-512, 8 on AVX)
_VECTOR_OPS = (Op.ADD, Op.MUL)


def register_tiles(kernel: LoopKernel) -> LoopKernel:
    """kernel with every register tile it holds written as vectors."""
    taken = {p.name for p in kernel.params} | {getattr(s, "name", None) or getattr(s, "var", None)
                                                 for s in walk_stmts(kernel.body)}
    body = _blocks(kernel.body, _Names(taken))
    return kernel if body is kernel.body else replace(kernel, body=body)


class _Names:
    """Fresh names for vectors, unique in the kernel (as every Loop IR name is)."""

    def __init__(self, taken: set):
        self.taken = taken
        self.count = {"accv": 0, "vl": 0}

    def new(self, prefix: str) -> str:
        while f"{prefix}{self.count[prefix]}" in self.taken:
            self.count[prefix] += 1
        name = f"{prefix}{self.count[prefix]}"
        self.taken.add(name)
        return name


def _blocks(body: tuple[Stmt, ...], names: _Names) -> tuple[Stmt, ...]:
    """The statements of a block, each loop's body tiled (the outermost tile wins)."""
    out, changed = [], False
    for st in body:
        if isinstance(st, Loop):
            tiled = _tile(st.body, names) if any(isinstance(s, Acc) for s in st.body) else None
            inner = tiled if tiled is not None else _blocks(st.body, names)
            if inner is not st.body:
                st, changed = replace(st, body=inner), True
        out.append(st)
    return tuple(out) if changed else body


def _tile(block: tuple[Stmt, ...], names: _Names) -> tuple[Stmt, ...] | None:
    """The block (a loop body) with its tile as vectors, or None where it holds none."""
    accs = [s for s in block if isinstance(s, Acc)]
    if not accs or len(accs) % WIDTH or any(not _is_zero_sum(a) for a in accs):
        return None
    loops = [s for s in block if isinstance(s, Loop)]
    if len(loops) != 1:
        return None
    path = [loops[0]]  # the loop nest down to the innermost loop
    while any(isinstance(s, Loop) for s in path[-1].body):
        inner = [s for s in path[-1].body if isinstance(s, Loop)]
        if len(inner) != 1:
            return None
        path.append(inner[0])
    innermost = path[-1]
    if not all(isinstance(s, (Let, Update)) for s in innermost.body):
        return None
    lane_names = [a.name for a in accs]
    updates: dict[str, list[Expr]] = {n: [] for n in lane_names}  # an acc may be updated twice
    for s in innermost.body:
        if isinstance(s, Update):
            if s.name not in updates:
                return None
            updates[s.name].append(s.value)
    rounds = len(updates[lane_names[0]])
    if not rounds or any(len(v) != rounds for v in updates.values()):
        return None
    if sum(isinstance(s, Update) for s in walk_stmts(block)) != rounds * len(lane_names):
        return None  # an update outside the innermost loop would name a lane, not a scalar
    if any(sym.free_vars(s.value) & updates.keys() for s in innermost.body):
        return None  # the vector updates come after every Let, so nothing may read an acc
    zipper = _Zipper({s.name: s.value for s in innermost.body if isinstance(s, Let)})
    groups = [lane_names[i:i + WIDTH] for i in range(0, len(lane_names), WIDTH)]
    vector_updates = []
    for k in range(rounds):  # the k-th update of each lane, in program order
        for g, group in enumerate(groups):
            lanes = zipper.zip([updates[n][k] for n in group])
            if lanes is None or lanes[0] == "scalar":
                return None
            vector_updates.append((g, lanes[1]))
    # it is a tile: name its vectors
    vaccs = [VecAcc(names.new("accv"), float32, tuple(group)) for group in groups]
    loads = {v.name: replace(v, name=names.new("vl")) for v in zipper.loads}
    renamed = {v: sym.var(new.name, 0, 0, float32) for v, new in
               ((sym.var(old, 0, 0, float32), new) for old, new in loads.items())}
    vector_updates = [Update(vaccs[g].name, sym.substitute(value, renamed)) for g, value in vector_updates]
    lets = _live_lets([s for s in innermost.body if isinstance(s, Let)],
                      [u.value for u in vector_updates] + [v.index for v in loads.values()])
    new_inner = replace(innermost, body=tuple(lets) + tuple(loads.values()) + tuple(vector_updates))
    for outer in reversed(path[:-1]):
        new_inner = replace(outer, body=tuple(new_inner if s is _child(outer) else s for s in outer.body))
    firsts = {group[0]: vacc for vacc, group in zip(vaccs, groups)}
    out = []
    for st in block:
        if isinstance(st, Acc):
            if st.name in firsts:
                out.append(firsts[st.name])
            continue
        out.append(new_inner if st is path[0] else st)
    after = out.index(new_inner) + 1
    return tuple(out[:after]) + _vector_stores(tuple(out[after:]), vaccs, names)


def _vector_stores(epilogue: tuple[Stmt, ...], vaccs: list[VecAcc], names: _Names) -> tuple[Stmt, ...]:
    """The statements after a tile's loop with each run of WIDTH stores that line up as
    vectors written as one VecStore (at the run's last store, where every value it reads is
    defined), and the Lets only they read dropped. A run stays scalar where anything does not
    line up, and so does every store into a parameter the epilogue also reads.

    Reads stay before writes, so a parameter that shares memory with the output (an in-place
    kernel) reads what the scalar code read: only an epilogue whose every Let comes before its
    first Store is rewritten, and every vector load goes just before that first store."""
    if not all(isinstance(s, (Let, Store)) for s in epilogue):
        return epilogue
    first = next((i for i, s in enumerate(epilogue) if isinstance(s, Store)), len(epilogue))
    if any(isinstance(s, Let) for s in epilogue[first:]):
        return epilogue
    lets = {s.name: s.value for s in epilogue if isinstance(s, Let)}
    zipper = _Zipper(lets, {tuple(v.lanes): v.name for v in vaccs})
    read = _loaded_params([e for s in epilogue for e in _exprs_of(s)])
    stores = [s for s in epilogue if isinstance(s, Store) and s.param not in read]
    replaced: dict[int, tuple[Stmt, ...]] = {}  # id(last store of a run) -> what takes its place
    dropped: set[int] = set()
    for run in (stores[i:i + WIDTH] for i in range(0, len(stores) - WIDTH + 1, WIDTH)):
        known = len(zipper.loads)
        value = zipper.zip([s.value for s in run]) if _consecutive(run) else None
        if value is None or value[0] == "scalar":
            zipper.forget(known)  # (a load zipped for a run that failed is not emitted)
            continue
        loads = [replace(v, name=names.new("vl")) for v in zipper.loads[known:]]
        renamed = {sym.var(old.name, 0, 0, float32): sym.var(new.name, 0, 0, float32)
                   for old, new in zip(zipper.loads[known:], loads)}
        zipper.loads[known:] = loads
        zipper.rename(renamed)
        store = VecStore(run[0].param, run[0].index, sym.substitute(value[1], renamed), WIDTH)
        replaced[id(run[-1])] = (store,)
        dropped.update(id(s) for s in run)
    if not replaced:
        return epilogue
    kept = []
    for st in epilogue:
        if st is epilogue[first]:
            kept.extend(zipper.loads)  # (every load of the rewritten runs, before any write)
        if id(st) in replaced:
            kept.extend(replaced[id(st)])
        elif id(st) not in dropped:
            kept.append(st)
    roots = [e for s in kept if not isinstance(s, Let) for e in _exprs_of(s)]
    live = {let.name for let in _live_lets([s for s in kept if isinstance(s, Let)], roots)}
    return tuple(s for s in kept if not isinstance(s, Let) or s.name in live)


def _consecutive(run: list[Store]) -> bool:
    """WIDTH stores into one float32 parameter at index, index + 1, ..., in order."""
    terms0, c0 = sym._linear(run[0].index)
    for lane, st in enumerate(run):
        terms, c = sym._linear(st.index)
        if st.param != run[0].param or st.value.dtype != float32 or terms != terms0 or c - c0 != lane:
            return False
    return len(run) == WIDTH


def _loaded_params(exprs: list[Expr]) -> set[str]:
    params: set[str] = set()
    seen: set[int] = set()
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if id(e) not in seen:
            seen.add(id(e))  # (lanes share subexpressions: each is looked at once)
            if e.op is Op.LOAD:
                params.add(e.arg)
            stack.extend(e.srcs)
    return params


def _exprs_of(st: Stmt) -> tuple[Expr, ...]:
    if isinstance(st, (Store, VecStore)):
        return st.index, st.value
    if isinstance(st, VecLoad):
        return (st.index,)
    return (st.value,)


def _child(loop: Loop) -> Loop:
    return next(s for s in loop.body if isinstance(s, Loop))


def _live_lets(lets: list[Let], roots: list[Expr]) -> list[Let]:
    """The lets the roots read, directly or through other lets, in program order."""
    live = set()
    for e in roots:
        live |= sym.free_vars(e)
    for let in reversed(lets):
        if let.name in live:
            live |= sym.free_vars(let.value)
    return [let for let in lets if let.name in live]


def _is_zero_sum(acc: Acc) -> bool:
    return acc.dtype == float32 and acc.op is Op.ADD and acc.init.op is Op.CONST and acc.init.arg == 0


class _Zipper:
    """Lines up WIDTH scalar expressions (one a lane) as one vector expression. vectors: the
    lane names of vector accumulators (in lane order) -> the vector's name."""

    def __init__(self, lets: dict[str, Expr], vectors: dict[tuple[str, ...], str] | None = None):
        self.lets = lets
        self.vectors = vectors or {}
        self.loads: list[VecLoad] = []  # the vector loads, each once
        self._load_names: dict[tuple[str, Expr], VecLoad] = {}
        self._zipped_loads: dict[tuple[Expr, ...], tuple[str, Expr] | None] = {}

    def forget(self, known: int) -> None:
        """Drop the vector loads found after the first `known` (a run that did not line up)."""
        gone = {load.name for load in self.loads[known:]}
        del self.loads[known:]
        self._load_names = {k: v for k, v in self._load_names.items() if v.name not in gone}
        self._zipped_loads = {k: v for k, v in self._zipped_loads.items()
                              if v is None or v[1].op is not Op.VAR or sym.var_name(v[1]) not in gone}

    def rename(self, renamed: dict[Expr, Expr]) -> None:
        """The vector loads were given new names (renamed: old variable -> new): zips from
        now on use them."""
        by_old = {sym.var_name(old): sym.var_name(new) for old, new in renamed.items()}
        for key, load in list(self._load_names.items()):
            if load.name in by_old:
                self._load_names[key] = replace(load, name=by_old[load.name])
        for key, zipped in list(self._zipped_loads.items()):
            if zipped is not None and zipped[1] in renamed:
                self._zipped_loads[key] = (zipped[0], renamed[zipped[1]])

    def zip(self, exprs: list[Expr]) -> tuple[str, Expr] | None:
        """("scalar" | "vector", the expression), or None where the lanes do not line up."""
        if all(e is exprs[0] for e in exprs):
            return "scalar", exprs[0]
        exprs = [self._resolve(e) for e in exprs]
        first = exprs[0]
        if any(e.op is not first.op or e.dtype != float32 for e in exprs):
            return None
        if first.op is Op.VAR:  # the lanes of one vector accumulator, in order
            vector = self.vectors.get(tuple(sym.var_name(e) for e in exprs))
            return None if vector is None else ("vector", sym.var(vector, 0, 0, float32))
        if first.op is Op.LOAD:
            return self._vector_load(exprs)
        if first.op in _VECTOR_OPS:
            a = self.zip([e.srcs[0] for e in exprs])
            b = self.zip([e.srcs[1] for e in exprs])
            if a is None or b is None or a[0] == b[0] == "scalar":
                return None  # lanes that differ must differ somewhere below
            return "vector", sym.alu(first.op, a[1], b[1], dtype=float32)
        if first.op is Op.NEG:
            a = self.zip([e.srcs[0] for e in exprs])
            return None if a is None or a[0] == "scalar" else ("vector", sym.alu(Op.NEG, a[1], dtype=float32))
        return None

    def _resolve(self, e: Expr) -> Expr:
        while e.op is Op.VAR and sym.var_name(e) in self.lets:
            e = self.lets[sym.var_name(e)]
        return e

    def _vector_load(self, loads: list[Expr]) -> tuple[str, Expr] | None:
        key = tuple(loads)  # every group of a tile reads the same vector: check it once
        if key not in self._zipped_loads:
            self._zipped_loads[key] = self._line_up_loads(loads)
        return self._zipped_loads[key]

    def _line_up_loads(self, loads: list[Expr]) -> tuple[str, Expr] | None:
        param = loads[0].arg
        if any(e.arg != param or not (e.srcs[1].op is Op.CONST and e.srcs[1].arg) for e in loads):
            return None  # a masked lane keeps the scalar code and its bounds checks
        terms0, c0 = sym._linear(loads[0].srcs[0])
        for lane, e in enumerate(loads):
            terms, c = sym._linear(e.srcs[0])
            if terms != terms0 or c - c0 != lane:
                return None
        key = (param, loads[0].srcs[0])
        vload = self._load_names.get(key)
        if vload is None:
            # (a name no Loop IR text can spell: register_tiles renames it once it is a tile)
            vload = self._load_names[key] = VecLoad(f"vector.{len(self._load_names)}", float32, param,
                                                    loads[0].srcs[0], len(loads))
            self.loads.append(vload)
        return "vector", sym.var(vload.name, 0, 0, float32)
