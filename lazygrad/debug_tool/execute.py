"""Execute one parsed IR unit on a device: the engine behind `lazygrad-ir run`.

Graph IR runs through the normal path (schedule, lower, compile, launch) after every
`buffer` node is replaced by a fresh buffer holding the input data. Kernel IR is lowered and
Loop IR launched directly; their parameters get buffers as large as the highest index the
kernel reads or writes (from the symbolic ranges of its index expressions).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from lazygrad.codegen.loop_bounds import check_bounds
from lazygrad.codegen.loop_ir import Acc, Let, LoopKernel, Store, Update, VecLoad, VecStore, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_verify import verify_loop
from lazygrad.codegen.lower import lower
from lazygrad.debug_tool.capture import Capture, buffer_leaves
from lazygrad.debug_tool.units import Unit, pad_lines
from lazygrad.dtypes import DType
from lazygrad.engine.realize import buffer_node, realize_nodes
from lazygrad.errors import IRParseError, LazygradError
from lazygrad.ir import symbolic as sym
from lazygrad.ir.node import Node, make, toposort
from lazygrad.ir.ops import Op
from lazygrad.ir.parser import parse_graph
from lazygrad.ir.printer import type_text
from lazygrad.ir.symbolic import Expr
from lazygrad.ir.verify import verify_graph
from lazygrad.runtime.buffer import Buffer
from lazygrad.runtime.registry import Device_, canonical, get_device
from lazygrad.schedule.kernel import kernel_name

MAX_PARAM_BYTES = 1 << 32  # the largest parameter `run` makes up data for


@dataclass
class Result:
    device: str
    inputs: list[tuple[str, np.ndarray]]  # (what it bound to, data)
    outputs: list[np.ndarray]
    seconds: float
    what: str
    kernels: list = field(default_factory=list)


def random_array(shape: tuple[int, ...], dtype: DType, rng: np.random.Generator) -> np.ndarray:
    if dtype.is_bool:
        return rng.random(shape) < 0.5
    if dtype.is_int:
        return rng.integers(0, 10, size=shape).astype(dtype.np)
    return rng.standard_normal(shape).astype(dtype.np)


def _bind(given: list[np.ndarray] | None, specs: list[tuple[str, tuple[int, ...], DType]],
          rng: np.random.Generator, exact: bool) -> list[np.ndarray]:
    """One array per (label, shape, dtype): given ones are checked and cast, others random.
    exact: a Graph IR buffer must get exactly its number of elements. Kernel parameters
    (exact=False) are sized from index ranges, which count masked reads past the end too,
    so a shorter array (the real buffer `dump --save-data` saved) is padded with zeros."""
    if given is None:
        return [random_array(shape, dtype, rng) for _, shape, dtype in specs]
    if len(given) != len(specs):
        listing = ", ".join(label for label, _, _ in specs)  # labels name the type
        raise LazygradError(f"expected {len(specs)} inputs ({listing}), got {len(given)}")
    out = []
    for a, (label, shape, dtype) in zip(given, specs):
        size = math.prod(shape)
        if exact and a.size != size:
            raise LazygradError(f"input for {label} has {a.size} elements ({a.dtype}{list(a.shape)}); "
                                f"it needs {dtype.name}{list(shape)}")
        a = np.asarray(a).astype(dtype.np).reshape(-1)
        if not exact and a.size < size:  # reads past it are masked: pad with zeros
            a = np.concatenate([a, np.zeros(size - a.size, dtype.np)])
        out.append(a.reshape(shape) if exact else a)
    return out


# ---- Graph IR -------------------------------------------------------------------------------

def retarget(roots: list[Node], arrays: dict[Node, np.ndarray], device: str | None) -> list[Node]:
    """The same graph over fresh buffers holding `arrays`, every node moved to `device` when
    one is given. Fresh nodes also mean no result cached on the parsed nodes is reused."""
    new: dict[Node, Node] = {}
    for n in toposort(roots):
        dev = device or n.device
        if n.op is Op.BUFFER:
            buf = Buffer(dev, n.size, n.dtype).copyin(arrays[n])
            new[n] = buffer_node(buf, n.shape, n.loc)
        elif n.op in (Op.CONST, Op.IOTA):
            new[n] = make(n.op, (), n.arg, n.dtype, n.shape, dev, n.loc)
        else:
            srcs = tuple(new[s] for s in n.srcs)
            dtype = n.dtype if n.op in (Op.CAST, Op.BITCAST) else None
            arg = dev if n.op is Op.COPY and device else n.arg
            new[n] = make(n.op, srcs, arg, dtype, None, dev if n.op is Op.COPY else None, n.loc)
    return [new[r] for r in roots]


def run_graph(roots: list[Node], device: str | None, given, rng) -> Result:
    verify_graph(roots)
    leaves = buffer_leaves(roots)
    specs = [(f"buffer id={n.arg} {type_text(n)}", n.shape, n.dtype) for n in leaves]
    arrays = _bind(given, specs, rng, exact=True)
    fresh = retarget(roots, dict(zip(leaves, arrays)), canonical(device) if device else None)
    with Capture() as capture:
        start = time.perf_counter()
        results = realize_nodes(fresh)
        wall = time.perf_counter() - start
    outputs = [r.buffer.numpy()[: f.size].reshape(f.shape) for r, f in zip(results, fresh)]
    kernel_time = sum(k.seconds for k in capture.kernels)
    what = (f"{len(capture.kernels)} kernel(s): {kernel_time * 1e3:.3f} ms on the device, "
            f"{wall * 1e3:.3f} ms wall with scheduling and compiling")
    dev = fresh[0].device if fresh else (device or "?")
    return Result(dev, [(s[0], a) for s, a in zip(specs, arrays)], outputs, kernel_time, what, capture.kernels)


# ---- Loop IR ----------------------------------------------------------------------------------

def _exprs(kernel: LoopKernel):
    for st in walk_stmts(kernel.body):
        if isinstance(st, Let):
            yield st.value
        elif isinstance(st, Acc):
            yield st.init
        elif isinstance(st, Update):
            yield st.value
        elif isinstance(st, (Store, VecStore)):
            yield st.index
            yield st.value
        elif isinstance(st, VecLoad):
            yield st.index


def param_sizes(kernel: LoopKernel) -> dict[str, int]:
    """Elements each parameter needs: one past the highest index the kernel uses on it."""
    sizes = {p.name: 1 for p in kernel.params}
    stores = [st for st in walk_stmts(kernel.body) if isinstance(st, Store)]
    accesses: list[tuple[str, Expr]] = [(st.param, st.index) for st in stores]
    accesses += [(st.param, sym.add(st.index, sym.const(st.width - 1)))  # its last lane
                 for st in walk_stmts(kernel.body) if isinstance(st, (VecLoad, VecStore))]
    seen: set[int] = set()
    stack = list(_exprs(kernel))
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        if e.op is Op.LOAD:
            accesses.append((e.arg, e.srcs[0]))
        stack.extend(e.srcs)
    for name, index in accesses:
        top = index.vmax
        if top is None or not math.isfinite(top):
            raise LazygradError(f"cannot tell how large {name} must be (its index {index} has no "
                                f"upper bound); give its data with --inputs")
        sizes[name] = max(sizes[name], int(top) + 1)
    return sizes


def run_loop(kernel: LoopKernel, device: str | None, given, rng, repeat: int,
             out_shape: tuple[int, ...] | None = None, param_lines: dict[str, int] | None = None) -> Result:
    verify_loop(kernel)
    name = canonical(device) if device else Device_.DEFAULT
    dev = get_device(name)
    sizes = param_sizes(kernel)
    check_bounds(kernel, sizes, param_lines)  # hand-edited IR: nothing out of bounds reaches a compiler
    for p in kernel.params:
        if sizes[p.name] * p.dtype.itemsize > MAX_PARAM_BYTES:
            raise LazygradError(f"{p.name} would need {sizes[p.name]} elements "
                                f"({sizes[p.name] * p.dtype.itemsize / 2**30:.3g} GiB) for the "
                                f"index range the kernel uses; the IR tool makes at most "
                                f"{MAX_PARAM_BYTES >> 30} GiB a parameter")
    ins = [p for p in kernel.params if not p.is_output]
    outs = [p for p in kernel.params if p.is_output]
    specs = [(f"{p.name}: {p.dtype.name}[{sizes[p.name]}]", (sizes[p.name],), p.dtype) for p in ins]
    arrays = _bind(given, specs, rng, exact=False)
    buffers = {p.name: Buffer(name, a.size, p.dtype).copyin(a) for p, a in zip(ins, arrays)}
    for p in outs:
        buffers[p.name] = Buffer(name, sizes[p.name], p.dtype).copyin(np.zeros(sizes[p.name], p.dtype.np))
    program, _ = dev.get_program(kernel)
    times = []
    for _ in range(max(1, repeat)):
        times.append(program(*(buffers[p.name].handle for p in kernel.params), timing=True) or 0.0)
    outputs = []
    for p in outs:
        a = buffers[p.name].numpy()
        if out_shape is not None and a.size == math.prod(out_shape):
            a = a.reshape(out_shape)
        outputs.append(a)
    what = f"fastest of {len(times)} launch(es)" if len(times) > 1 else "one launch"
    return Result(name, [(s[0], a) for s, a in zip(specs, arrays)], outputs, min(times), what)


# ---- any unit -----------------------------------------------------------------------------------

def parse_unit(unit: Unit):
    """Graph roots (Graph or Kernel IR) or a LoopKernel; errors name the file's line."""
    text = pad_lines(unit)
    if unit.level == "loop":
        return parse_loop_ir(text)
    if unit.level in ("graph", "kernel"):
        return parse_graph(text)
    raise IRParseError(f"unit {unit.name} is not IR text (it does not start with a %name or 'kernel')",
                       unit.first_line, 1)


def run_unit(unit: Unit, device: str | None, given, seed: int = 0, repeat: int = 1) -> Result:
    rng = np.random.default_rng(seed)
    ir = parse_unit(unit)
    if unit.level == "loop":
        return run_loop(ir, device, given, rng, repeat)
    if unit.level == "kernel":
        if len(ir) != 1 or ir[0].op is not Op.STORE:
            raise LazygradError("Kernel IR to run must end in exactly one store")
        verify_graph(ir)
        ast = ir[0]
        dev = device or ast.device
        lines = {f"p{n.arg[0]}": int(n.loc.rsplit(":", 1)[1]) for n in toposort([ast])
                 if n.op in (Op.LOAD, Op.STORE) and n.loc.startswith("<ir>:")}  # (the parser's lines)
        return run_loop(lower(ast, kernel_name(ast)), dev, given, rng, repeat, ast.shape, lines)
    return run_graph(ir, device, given, rng)
