"""The `python` runtime: interprets Loop IR with numpy. Slow, obvious, and the test oracle.

Every loop becomes one array axis (the loop at nesting depth d is axis d), so a whole loop
nest is evaluated at once by broadcasting. An accumulator starts each loop at its identity;
when the loop ends, its values are combined along that loop's axis and folded into the value
it had before. Very large iteration spaces are cut into chunks along the outermost loop.
That batching assumes the iterations are independent; a loop that `carries_state` (a store
or a Let reads the running value of an accumulator the loop adds to) runs one iteration at a
time instead.

This is also the smallest complete backend: an allocator, a "compiler" (which parses the
Loop IR text it is given), and a program that runs it.
"""
from __future__ import annotations

import time

import numpy as np

from lazygrad.codegen.loop_ir import (
    ACCUMULATORS,
    Acc,
    Let,
    Loop,
    LoopKernel,
    Store,
    Update,
    VecAcc,
    VecLoad,
    VecStore,
    carries_state,
    plain_loops,
    walk_stmts,
)
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.config import Table
from lazygrad.dtypes import bf16_bits, bf16_values, bfloat16, storage_np
from lazygrad.ir.evaluate import exec_alu
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, linear_form, var_name
from lazygrad.runtime.c import HostAllocator
from lazygrad.runtime.device import Device

CHUNK_ELEMENTS = 1 << 22


def _depth(body, level: int = 0) -> int:
    deepest = level
    for s in body:
        if isinstance(s, Loop):
            deepest = max(deepest, _depth(s.body, level + 1))
    return deepest


class Interpreter:
    def __init__(self, kernel: LoopKernel, buffers: dict[str, np.ndarray]):
        self.kernel = kernel
        self.buffers = buffers
        self.ndim = max(1, _depth(kernel.body))
        self.env: dict[str, np.ndarray] = {}
        accs = [s for s in walk_stmts(kernel.body) if isinstance(s, ACCUMULATORS)]
        self.acc_op: dict[str, Op] = {a.name: a.op for a in accs}
        self.acc_dtype = {a.name: a.dtype for a in accs}
        # a vector (VecAcc, VecLoad) is an array with its lanes on an extra leading axis, so
        # scalars broadcast across lanes; a VecAcc's lane names read their lane
        self.lane_of = {lane: (a.name, i) for a in accs if isinstance(a, VecAcc) for i, lane in enumerate(a.lanes)}

    def shaped(self, value) -> np.ndarray:
        a = np.asarray(value)
        return a.reshape((1,) * (self.ndim - a.ndim) + a.shape) if a.ndim < self.ndim else a

    def eval(self, e: Expr) -> np.ndarray:
        if e.op is Op.CONST:
            return self.shaped(np.array(e.arg, dtype=e.dtype.np))
        if e.op is Op.VAR:
            name = var_name(e)
            lane = self.lane_of.get(name)
            return self.env[name] if lane is None else self.env[lane[0]][lane[1]]
        if e.op is Op.LOAD:
            index, valid = (self.eval(s) for s in e.srcs)
            return self.load(e.arg, e.dtype, index, valid)
        srcs = [self.eval(s) for s in e.srcs]
        return self.shaped(exec_alu(e.op, e.dtype, *srcs))

    def in_bounds(self, param: str, index: np.ndarray, valid, what: str) -> None:
        """The oracle checks every access itself: numpy would wrap a negative index and a
        clipped one would read a plausible wrong value."""
        size = self.buffers[param].size
        bad = np.logical_and(valid, (index < 0) | (index >= size))
        if bad.any():
            at = int(np.broadcast_to(index, bad.shape)[bad].flat[0])
            raise IndexError(f"kernel {self.kernel.name} {what} {param} at index {at}, outside its "
                             f"{size} elements")

    def load(self, param: str, dtype, index: np.ndarray, valid) -> np.ndarray:
        buf = self.buffers[param]
        self.in_bounds(param, index, valid, "reads")
        safe = np.where(valid, index, 0)
        if buf.size == 0:
            return self.shaped(np.zeros(safe.shape, dtype=dtype.np))
        values = buf[safe]
        if dtype == bfloat16:  # buffers hold bfloat16 bit patterns
            values = bf16_values(values).reshape(values.shape)
        return self.shaped(np.where(valid, values, np.zeros((), dtype=dtype.np)).astype(dtype.np))

    def run(self, body, level: int = 0) -> None:
        for st in body:
            if isinstance(st, Let):
                self.env[st.name] = self.eval(st.value)
            elif isinstance(st, Acc):
                self.env[st.name] = self.eval(st.init)
            elif isinstance(st, VecAcc):
                self.env[st.name] = np.zeros((len(st.lanes),) + (1,) * self.ndim, dtype=st.dtype.np)
            elif isinstance(st, VecLoad):
                index = self.eval(st.index)
                lanes = np.arange(st.width, dtype=np.int64).reshape((st.width,) + (1,) * index.ndim)
                self.env[st.name] = self.load(st.param, st.dtype, index + lanes, True)
            elif isinstance(st, Update):
                acc = self.env[st.name]
                value = exec_alu(self.acc_op[st.name], self.acc_dtype[st.name], acc, self.eval(st.value))
                self.env[st.name] = self.shaped(value)
            elif isinstance(st, (Store, VecStore)):
                index, value = self.eval(st.index), self.eval(st.value)
                if isinstance(st, VecStore):  # lane l of the value goes to index + l
                    index = index + np.arange(st.width, dtype=np.int64).reshape((st.width,) + (1,) * index.ndim)
                index, value = np.broadcast_arrays(index, value)
                self.in_bounds(st.param, index, True, "writes")
                target = self.buffers[st.param]
                if target.dtype == np.uint16 and value.dtype == np.float32:  # bfloat16
                    value = bf16_bits(value)
                target[index.reshape(-1)] = value.reshape(-1)
            elif isinstance(st, Loop):
                self.loop(st, level)
            # (a Prefetch is a hint to hardware caches: nothing to interpret)

    def loop(self, loop: Loop, level: int) -> None:
        inside = list(walk_stmts(loop.body))
        declared = {s.name for s in inside if isinstance(s, ACCUMULATORS)}  # env may hold a stale one
        outer = sorted({s.name for s in inside if isinstance(s, Update)} - declared)
        if carries_state(loop.body, outer) or _stores_may_collide(loop.body):
            shape = [1] * self.ndim
            for i in range(loop.extent):  # accumulators keep their running values
                self.env[loop.var] = np.full(shape, i, dtype=np.int64)
                self.run(loop.body, level + 1)
            return
        step = max(1, loop.extent) if level > 0 else max(1, CHUNK_ELEMENTS // _inner_size(loop))
        for start in range(0, loop.extent, step):
            stop = min(loop.extent, start + step)
            shape = [1] * self.ndim
            shape[level] = stop - start
            self.env[loop.var] = np.arange(start, stop, dtype=np.int64).reshape(shape)
            before = {n: self.env[n] for n in outer}
            for n in outer:
                self.env[n] = self.shaped(_identity(self.acc_op[n], before[n].dtype))
            self.run(loop.body, level + 1)
            for n in outer:
                full = list(np.broadcast_shapes(self.env[n].shape, tuple(shape)))
                contrib = np.broadcast_to(self.env[n], full)
                op = self.acc_op[n]
                axis = level + len(full) - self.ndim  # (past a vector's lane axis)
                with np.errstate(all="ignore"):
                    if op is Op.ADD:
                        reduced = contrib.sum(axis=axis, keepdims=True, dtype=contrib.dtype)
                    else:
                        reduced = contrib.max(axis=axis, keepdims=True)
                self.env[n] = self.shaped(exec_alu(op, self.acc_dtype[n], before[n], reduced))


def _stores_may_collide(body) -> bool:
    """Whether two store statements to one parameter may write one element from different
    iterations: batched, the later statement would always win, where in order the later
    iteration does. An upcast tile's stores (one linear form, their constants apart by less
    than its smallest stride) never do."""
    indices: dict[str, list] = {}
    for st in walk_stmts(body):
        if isinstance(st, Store):
            indices.setdefault(st.param, []).append(linear_form(st.index))
        elif isinstance(st, VecStore):  # its first and its last lane
            terms, c = linear_form(st.index)
            indices.setdefault(st.param, []).extend([(terms, c), (terms, c + st.width - 1)])
    for forms in indices.values():
        if len(forms) > 1:
            terms = forms[0][0]
            strides = [abs(k) for k in terms.values() if k]
            constants = [c for _, c in forms]
            if any(t != terms for t, _ in forms) or max(constants) - min(constants) >= min(strides, default=1):
                return True
    return False


def _inner_size(loop: Loop) -> int:
    size = 1
    for s in walk_stmts(loop.body):
        if isinstance(s, Loop):
            size *= s.extent
    return max(1, size)


def _identity(op: Op, dtype: np.dtype):
    if op is Op.ADD:
        return np.zeros((), dtype=dtype)
    if dtype.kind == "f":
        return np.array(-np.inf, dtype=dtype)
    if dtype.kind == "b":
        return np.array(False)
    return np.array(np.iinfo(dtype).min, dtype=dtype)


# the python device's "source" is the kernel's Loop IR text, which parses back to an equal kernel
KERNELS = Table("python-kernels", "the Loop IR kernel the python device rendered, by its text (so "
                "compiling skips parsing it back)", 4096)


def render_python(kernel: LoopKernel) -> str:
    text = print_loop_ir(kernel)
    KERNELS.put(text, kernel)
    return text


def compile_python(source: str, name: str) -> LoopKernel:
    kernel = KERNELS.get(source)
    if kernel is None:
        from lazygrad.codegen.loop_parse import parse_loop_ir
        kernel = parse_loop_ir(source)
    return kernel


class PythonProgram:
    def __init__(self, name: str, kernel: LoopKernel):
        self.name = name
        self.kernel = plain_loops(kernel)  # (an OpenCL launch runs as its loops)

    def __call__(self, *handles, timing: bool = False) -> float | None:
        start = time.perf_counter()
        buffers = {}
        for p, h in zip(self.kernel.params, handles):
            n = h.size // p.dtype.itemsize
            buffers[p.name] = h[: n * p.dtype.itemsize].view(storage_np(p.dtype))
        Interpreter(self.kernel, buffers).run(self.kernel.body)
        return time.perf_counter() - start if timing else None


def make_device() -> Device:
    return Device("python", HostAllocator(), render_python, compile_python, PythonProgram)
