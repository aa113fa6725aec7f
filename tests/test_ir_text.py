"""Every IR level prints to text and parses back to an equal IR (DESIGN.md: "The IR has a
text form"): Graph IR and Kernel IR through print_graph/parse_graph, Loop IR through
print_loop_ir/parse_loop_ir; errors name line, column and what was expected."""
from __future__ import annotations

import math
import os
import pathlib
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lazygrad as lg
from lazygrad import config, dtypes
from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Param, Store, Update, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.loop_verify import verify_loop
from lazygrad.codegen.lower import lower
from lazygrad.debug_tool import op_card
from lazygrad.errors import IRParseError, IRVerifyError
from lazygrad.ir import symbolic as sym
from lazygrad.ir.node import make, toposort
from lazygrad.ir.ops import Op
from lazygrad.ir.parser import parse_graph
from lazygrad.ir.printer import print_graph
from lazygrad.ir.verify import verify_graph
from lazygrad.ir.view import View, ViewStack
from lazygrad.runtime import python as python_runtime
from lazygrad.runtime.python import Interpreter
from lazygrad.schedule.schedule import create_schedule

F32 = dtypes.float32


def same_nodes(a, b) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def check_graph_roundtrip(roots) -> str:
    text = print_graph(roots)
    assert same_nodes(parse_graph(text), roots), text
    verify_graph(roots)
    return text


def check_kernels_roundtrip(roots) -> list:
    """Kernel IR and Loop IR of every kernel of the schedule round-trip and verify."""
    loops = []
    for k in create_schedule(list(roots)).kernels:
        if k.ast is None:
            continue
        check_graph_roundtrip([k.ast])
        loop = lower(k.ast, k.name)
        text = print_loop_ir(loop)
        parsed = parse_loop_ir(text)
        assert parsed == loop, text
        assert print_loop_ir(parsed) == text
        verify_loop(loop)
        loops.append(loop)
    return loops


def tensor(rng, *shape, dtype=np.float32):
    return lg.Tensor(rng.standard_normal(shape).astype(dtype))


# ---- round trips of real programs --------------------------------------------------------

def test_matmul_relu_sum_all_levels(rng):
    a, b = tensor(rng, 4, 3), tensor(rng, 3, 5)
    out = (a @ b).relu().sum(1)
    text = check_graph_roundtrip([out.node])
    assert "sum" in text and "float32[4]" in text
    loops = check_kernels_roundtrip([out.node])
    assert loops and any("acc add" in print_loop_ir(k) for k in loops)
    for k in out.schedule():  # what the debug tool shows is the same text
        assert parse_graph(k.kernel_ir)[0] is k.ast and "= store %" in k.kernel_ir


def test_movement_cast_where_and_several_roots(rng):
    x = tensor(rng, 3, 4)
    y = x.permute(1, 0).flip(0)[1:3].pad((2, 2, 1, 0)) * 2.0
    z = (x > 0).if_else(x, -x).cast(lg.int32).sum(0)
    m = x.amax(1, keepdim=True).expand(3, 4) + x.reshape(4, 3).reshape(3, 4)
    text = check_graph_roundtrip([y.node, z.node, m.node, y.node])
    assert text.splitlines()[-1].startswith("return ")
    for op in ("permute", "flip", "shrink", "pad", "cast", "where", "reduce_max", "expand"):
        assert f"= {op} " in text, op
    check_kernels_roundtrip([y.node, z.node, m.node])


def test_random_arange_gather_and_assign_roundtrip(rng):
    noise = lg.rand(3, 4) + lg.randn(3, 4)
    counted = lg.arange(12).reshape(3, 4).float() * 0.5
    table = tensor(rng, 5, 4)
    gathered = table[lg.Tensor(np.array([4, 0, 2]))]
    text = check_graph_roundtrip([noise.node, counted.node, gathered.node])
    assert "= iota device=c" in text and "uint32" in text
    loops = check_kernels_roundtrip([noise.node, counted.node, gathered.node])
    texts = "".join(print_loop_ir(k) for k in loops)
    assert "<<" in texts and "^" in texts and ">>" in texts  # the counter-based generator
    target = tensor(rng, 4)
    target.assign(target * 2 + 1)
    check_graph_roundtrip([target.node])
    assert "= assign %" in print_graph([target.node])


def test_no_roots_and_blank_lines():
    assert print_graph([]) == "return\n" and parse_graph("return\n") == [] and parse_graph("") == []
    text = "\n# a comment line\n%0 : bool[] = const true device=c   # trailing\n\n"
    assert parse_graph(text)[0].arg is True


def test_softmax_kernels_roundtrip(rng):
    x = tensor(rng, 5, 7)
    e = (x - x.amax(1, keepdim=True)).exp()
    check_kernels_roundtrip([(e / e.sum(1, keepdim=True)).node])


def test_special_constants_roundtrip():
    values = [(math.nan, F32), (math.inf, F32), (-math.inf, dtypes.float64), (-0.0, F32), (0.0, F32),
              (1e-45, F32), (0.1, dtypes.float16), (True, dtypes.bool_), (False, dtypes.bool_),
              (-5, dtypes.int8), (2**63 - 1, dtypes.int64), (2**64 - 1, dtypes.uint64),
              (0, F32)]  # an int argument with a float dtype stays an int
    roots = [make(Op.CONST, (), v, d, (2,), "c") for v, d in values]
    text = check_graph_roundtrip(roots)
    assert "const nan" in text and "const -0.0" in text and "const -inf" in text
    assert "const true" in text and "const 18446744073709551615" in text
    neg_zero = parse_graph("%0 : float32[] = const -0.0 device=c\n")[0]
    assert math.copysign(1.0, neg_zero.arg) == -1.0
    assert parse_graph("%0 : float32[] = const 0.0 device=c\n")[0] is not neg_zero


def test_buffer_parsed_alone_is_a_fresh_node_without_data():
    text = "%0 : int16[2,3] = buffer id=987654321 device=c\n%1 : int16[3,2] = permute %0 order=(1,0)\n"
    node = parse_graph(text)[0]
    assert node.op is Op.PERMUTE and node.srcs[0].buffer is None and node.srcs[0].arg == 987654321
    assert print_graph([node], locs=False) == text


def test_copy_and_device_names_roundtrip(rng):
    x = tensor(rng, 3)
    moved = make(Op.COPY, (x.node,), "python", device="python")
    odd = make(Op.CONST, (), 1.5, F32, (3,), "c:0")  # a device name that is not an identifier
    text = check_graph_roundtrip([moved, odd])
    assert "copy %0 device=python" in text and "device='c:0'" in text


def test_view_stacks_with_masks_roundtrip():
    stack = ViewStack((View((4, 6), (6, 1), 0, None), View((3, 8), (8, 1), -2, ((1, 3), (0, 8)))))
    load = make(Op.LOAD, (), (1, stack), F32, (3, 8), "c")
    valid = make(Op.VALID, (), stack, dtypes.bool_, (3, 8), "c")
    zero = make(Op.CONST, (), 0.0, F32, (3, 8), "c")
    store = make(Op.STORE, (make(Op.WHERE, (valid, load, zero)),), (0, ViewStack.contiguous((3, 8))))
    text = check_graph_roundtrip([store])
    assert "view=[view(shape=(4,6), strides=(6,1), offset=0, mask=None), view(shape=(3,8)" in text
    assert "mask=((1,3),(0,8))" in text


def test_deep_graph_roundtrip_is_iterative():
    x = make(Op.BUFFER, (), 555000111, F32, (2,), "c")
    for _ in range(5000):
        x = make(Op.NEG, (x,))
    start = time.perf_counter()
    assert parse_graph(print_graph([x]))[0] is x
    assert time.perf_counter() - start < 30


FRESH_PROCESS = """
import sys
from lazygrad.codegen.loop_ir import Let, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.ir.parser import parse_graph
from lazygrad.ir.printer import print_graph
graph_text, *loop_texts = sys.stdin.read().split("\\f")
print(print_graph(parse_graph(graph_text), locs=False), end="\\f")
for text in loop_texts:
    kernel = parse_loop_ir(text)
    ranges = [(s.name, s.value.vmin, s.value.vmax) for s in walk_stmts(kernel.body) if isinstance(s, Let)]
    print(print_loop_ir(kernel), repr(ranges), sep="\\v", end="\\f")
"""


def test_text_parsed_in_a_fresh_process_prints_the_same(rng):
    """Where no original exists to hash-cons into, the parser builds every node and
    expression itself: the text must come back unchanged and the integer ranges (which name
    let variables) must be the ones lowering computed."""
    import subprocess
    import sys
    x = tensor(rng, 4, 6)
    out = (x.permute(1, 0)[1:5].flip(1) * (lg.arange(4).float() + 1)).pad((1, 1)).amax(1)
    counts = (lg.arange(12).reshape(3, 4).permute(1, 0) * 3 + 7).sum(1)  # integer lets with ranges
    graph_text = print_graph([out.node, counts.node], locs=False)
    loops = check_kernels_roundtrip([out.node, counts.node])
    assert any(s.value.vmax == 40 for k in loops for s in walk_stmts(k.body) if isinstance(s, Let))
    texts = [print_loop_ir(k) for k in loops]
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS], input="\f".join([graph_text, *texts]),
                            capture_output=True, text=True, timeout=120, check=True)
    fresh_graph, *fresh_loops = result.stdout.split("\f")[:-1]
    assert fresh_graph == graph_text
    for k, text, fresh in zip(loops, texts, fresh_loops):
        fresh_text, fresh_ranges = fresh.split("\v")
        assert fresh_text == text
        lets = [(s.name, s.value.vmin, s.value.vmax) for s in walk_stmts(k.body) if isinstance(s, Let)]
        assert fresh_ranges == repr(lets)


# ---- golden texts --------------------------------------------------------------------------

GOLDEN_GRAPH = """\
%0 : float32[4,4] = buffer id=424242 device=c     # model.py:3
%1 : float32[4,4] = const 2.125 device=c          # model.py:4
%2 : float32[4,4] = mul %0, %1                    # model.py:12
%3 : float32[4,1] = sum %2 axes=(1,)              # model.py:13
%4 : int32[4,1] = cast %3                         # model.py:14
return %4, %2
"""


def test_golden_graph_text():
    a = make(Op.BUFFER, (), 424242, F32, (4, 4), "c", "model.py:3")
    # nodes are hash-consed and keep the first maker's line: a value no other test makes
    two = make(Op.CONST, (), 2.125, F32, (4, 4), "c", "model.py:4")
    prod = make(Op.MUL, (a, two), loc="model.py:12")
    total = make(Op.SUM, (prod,), (1,), loc="model.py:13")
    as_int = make(Op.CAST, (total,), None, dtypes.int32, loc="model.py:14")
    assert print_graph([as_int, prod]) == GOLDEN_GRAPH
    assert same_nodes(parse_graph(GOLDEN_GRAPH), [as_int, prod])


GOLDEN_LOOP = """\
kernel R_golden(out p0: float32, in p1: float32, in p2: int32) {
  for i0 in 0..4 parallel {
    acc max acc0: float32 = -inf:float32
    for r0 in 0..8 simd {
      v0: float32 = load<float32>(p1, i0*8 + r0, r0 < 7)
      v1: int32 = load<int32>(p2, (i0*8 + r0)/3%2)
      v2: float32 = where(v1 != 0:int32, v0, -0.0:float32)
      acc0 max= v2
    }
    v3: float32 = sqrt(acc0*cast<float32>(i0 + 1)) + nan:float32
    store p0[i0] = v3
  }
}
"""


def golden_loop_kernel() -> LoopKernel:
    i0, r0 = sym.var("i0", 0, 3), sym.var("r0", 0, 7)
    flat = i0 * 8 + r0
    v0 = sym.load("p1", flat, sym.lt(r0, sym.const(7)), F32)
    v1 = sym.load("p2", (flat // 3) % 2, sym.TRUE, dtypes.int32)
    v1_var = sym.var("v1", v1.vmin, v1.vmax, dtypes.int32)  # a let takes its value's range
    cond = sym.alu(Op.CMPNE, v1_var, sym.const(0, dtypes.int32))
    v2 = sym.alu(Op.WHERE, cond, sym.var("v0", dtype=F32), sym.const(-0.0, F32))
    acc = sym.var("acc0", -2**62, 2**62, F32)
    root = sym.alu(Op.SQRT, sym.alu(Op.MUL, acc, sym.cast(i0 + 1, F32)))
    v3 = sym.alu(Op.ADD, root, sym.const(math.nan, F32))
    inner = Loop("r0", 8, "simd", (Let("v0", v0), Let("v1", v1), Let("v2", v2),
                                   Update("acc0", sym.var("v2", dtype=F32))))
    outer = Loop("i0", 4, "parallel", (Acc("acc0", F32, Op.MAX, sym.const(-math.inf, F32)), inner,
                                        Let("v3", v3), Store("p0", i0, sym.var("v3", dtype=F32))))
    params = (Param("p0", F32, True), Param("p1", F32), Param("p2", dtypes.int32))
    return LoopKernel("R_golden", params, (outer,))


def test_golden_loop_text_and_roundtrip():
    kernel = golden_loop_kernel()
    assert print_loop_ir(kernel) == GOLDEN_LOOP
    assert parse_loop_ir(GOLDEN_LOOP) == kernel
    verify_loop(kernel)


def test_parsed_loop_ir_runs_on_the_python_interpreter():
    kernel = parse_loop_ir(GOLDEN_LOOP)
    rng = np.random.default_rng(1)
    p1 = rng.standard_normal(32).astype(np.float32)
    p2 = rng.integers(0, 3, 32).astype(np.int32)
    out = np.zeros(4, np.float32)
    Interpreter(kernel, {"p0": out, "p1": p1, "p2": p2}).run(kernel.body)
    flat = np.arange(32).reshape(4, 8)
    v0 = np.where(flat % 8 < 7, p1[flat], 0)
    v2 = np.where(p2[flat // 3 % 2] != 0, v0, np.float32(-0.0))
    ref = np.sqrt(v2.max(1) * np.arange(1, 5, dtype=np.float32)) + np.nan
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    assert np.isnan(out).all()  # + nan must survive the text: nan:float32 is read back as nan


def test_parsed_lowered_kernel_gives_the_same_numbers(rng):
    a_np = rng.standard_normal((6, 5)).astype(np.float32)
    b_np = rng.standard_normal((5, 3)).astype(np.float32)
    a, b = lg.Tensor(a_np), lg.Tensor(b_np)
    out = ((a @ b) * 0.5).exp().sum(1)
    arrays = {a.node: a_np.reshape(-1), b.node: b_np.reshape(-1)}
    kernels = create_schedule([out.node]).kernels
    results = {}
    for k in kernels:
        loop = parse_loop_ir(print_loop_ir(lower(k.ast, k.name)))
        buffers = {"p0": np.zeros(math.prod(k.target.shape), np.float32)}
        for i, inp in enumerate(k.inputs, start=1):
            buffers[f"p{i}"] = arrays[inp] if inp in arrays else results[inp]
        Interpreter(loop, buffers).run(loop.body)
        results[k.target] = buffers["p0"]
    ref = np.exp((a_np @ b_np) * 0.5).sum(1)
    np.testing.assert_allclose(results[kernels[-1].target], ref, rtol=1e-5)


def test_python_device_compiles_loop_ir_text(rng):
    x_np = rng.standard_normal((7, 11)).astype(np.float32)
    x = lg.Tensor(x_np, device="python")
    with config.caches_disabled(python_runtime.KERNELS.record.name):  # compiling parses the text
        out = (x * x + 3.25).sqrt().amax(0)
        np.testing.assert_allclose(out.numpy(), np.sqrt(x_np * x_np + 3.25).max(0), rtol=1e-6)


# ---- random programs ----------------------------------------------------------------------

SHAPE = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
FLOATS = [dtypes.float32, dtypes.float16, dtypes.float64]
ALL = FLOATS + [dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.int8, dtypes.bool_]
SCALARS = {"float": st.floats(allow_nan=True, allow_infinity=True, width=32),
           "int": st.integers(-100, 100), "uint": st.integers(0, 255), "bool": st.booleans()}


def _const(draw, dtype, shape):
    with np.errstate(over="ignore"):  # float32 values overflow float16 to inf: fine here
        value = dtypes.cast_scalar(draw(SCALARS[dtype.kind]), dtype)
    return make(Op.CONST, (), value, dtype, shape, "c")


def _step(draw, x):
    """One random op applied to x (and sometimes a second operand), built with make()."""
    choice = draw(st.sampled_from(["unary", "binary", "compare", "where", "cast", "bitcast",
                                   "reduce", "reshape", "permute", "expand", "pad", "shrink", "flip"]))
    shape, nd = x.shape, len(x.shape)
    if choice == "unary" and x.dtype.is_float:
        return make(draw(st.sampled_from([Op.NEG, Op.EXP2, Op.LOG2, Op.SIN, Op.SQRT, Op.RECIP])), (x,))
    if choice in ("binary", "compare", "where"):
        other = _const(draw, x.dtype, shape)
        if choice == "compare":
            return make(draw(st.sampled_from([Op.CMPLT, Op.CMPNE])), (x, other))
        if choice == "where":
            return make(Op.WHERE, (make(Op.CMPLT, (other, x)), x, other))
        ops = [Op.ADD, Op.MUL, Op.MAX] + ([Op.IDIV, Op.MOD, Op.SHL] if x.dtype.is_int else [])
        return make(draw(st.sampled_from(ops)), (x, other))
    if choice == "cast":
        return make(Op.CAST, (x,), None, draw(st.sampled_from(ALL)))
    if choice == "bitcast":
        same = [d for d in ALL if d.itemsize == x.dtype.itemsize]
        return make(Op.BITCAST, (x,), None, draw(st.sampled_from(same)))
    if choice == "reduce" and nd:
        axes = tuple(sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1))))
        return make(draw(st.sampled_from([Op.SUM, Op.REDUCE_MAX])), (x,), axes)
    if choice == "reshape":
        new = tuple(draw(st.permutations(shape + (1,)))) if nd < 3 else (math.prod(shape),)
        return make(Op.RESHAPE, (x,), new)
    if choice == "permute":
        return make(Op.PERMUTE, (x,), tuple(draw(st.permutations(range(nd)))))
    if choice == "expand":
        return make(Op.EXPAND, (x,), tuple(d if d != 1 else draw(st.integers(1, 3)) for d in shape))
    if choice == "pad":
        return make(Op.PAD, (x,), tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape))
    if choice == "shrink":
        bounds = []
        for d in shape:
            lo = draw(st.integers(0, d - 1))
            bounds.append((lo, draw(st.integers(lo + 1, d))))
        return make(Op.SHRINK, (x,), tuple(bounds))
    if choice == "flip" and nd:
        return make(Op.FLIP, (x,), tuple(sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1)))))
    return make(Op.CONTIGUOUS, (x,))


@st.composite
def random_graphs(draw):
    dtype, shape = draw(st.sampled_from(ALL)), draw(SHAPE)
    leaf = (make(Op.BUFFER, (), draw(st.integers(10**9, 2 * 10**9)), dtype, shape, "c")
            if draw(st.booleans()) else _const(draw, dtype, shape))
    nodes = [leaf]
    for _ in range(draw(st.integers(1, 8))):
        nodes.append(_step(draw, draw(st.sampled_from(nodes[-3:]))))
    extra = draw(st.lists(st.sampled_from(nodes), max_size=2))
    return [nodes[-1]] + extra


EXAMPLES = int(os.environ.get("LAZYGRAD_IR_EXAMPLES", "60"))  # raise it to search harder


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_random_graphs_roundtrip_at_every_level(roots):
    check_graph_roundtrip(roots)
    check_kernels_roundtrip(roots)


@st.composite
def random_tensor_programs(draw):
    """(tensor, numpy reference) from a random chain of Tensor methods on float32 inputs."""
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    data = rng.standard_normal(shape).astype(np.float32)
    t, ref = lg.Tensor(data, device="python"), data
    for _ in range(draw(st.integers(1, 5))):
        step = draw(st.sampled_from(["relu", "exp", "scale", "permute", "sum", "square", "flip"]))
        if step == "relu":
            t, ref = t.relu(), np.maximum(ref, 0)
        elif step == "exp":
            t, ref = (t * 0.1).exp(), np.exp(ref * np.float32(0.1))
        elif step == "scale":
            t, ref = t * 3.0 + 1.0, ref * np.float32(3.0) + np.float32(1.0)
        elif step == "square":
            t, ref = t * t, ref * ref
        elif step == "permute":
            order = tuple(draw(st.permutations(range(ref.ndim))))
            t, ref = t.permute(*order), ref.transpose(order)
        elif step == "flip" and ref.ndim:
            t, ref = t.flip(0), ref[::-1]
        elif step == "sum" and ref.ndim:
            axis = draw(st.integers(0, ref.ndim - 1))
            t, ref = t.sum(axis), ref.sum(axis)
    return t, ref


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tensor_programs())
def test_random_tensor_programs_roundtrip_and_run_from_text(program):
    t, ref = program
    check_graph_roundtrip([t.node])
    check_kernels_roundtrip([t.node])
    kernels = create_schedule([t.node]).kernels
    values = {}
    for k in kernels:
        loop = parse_loop_ir(print_loop_ir(lower(k.ast, k.name)))
        buffers = {"p0": np.zeros(math.prod(k.target.shape), k.target.dtype.np)}
        for i, inp in enumerate(k.inputs, start=1):
            buffers[f"p{i}"] = values[inp] if inp in values else inp.buffer.numpy()[: inp.size]
        Interpreter(loop, buffers).run(loop.body)
        values[k.target] = buffers["p0"]
    got = values[kernels[-1].target] if kernels else t.numpy().reshape(-1)
    np.testing.assert_allclose(got.reshape(ref.shape), ref, rtol=1e-4, atol=1e-5)


INT_OPS = [Op.ADD, Op.MUL, Op.MAX, Op.SHL, Op.SHR, Op.AND, Op.OR, Op.XOR, Op.IDIV, Op.MOD]
FLOAT_UNARY = [Op.NEG, Op.EXP2, Op.LOG2, Op.SIN, Op.SQRT, Op.RECIP]


@st.composite
def scalar_exprs(draw, kind: str, names: dict, depth: int = 3):
    """A random Expr of kind int (int64), float (float32) or bool over the variables in
    names, mixing simplifying constructors with raw alu() trees the simplifier would change."""
    leaf = depth == 0 or draw(st.integers(0, 3)) == 0
    if kind == "int":
        if leaf:
            pool = names["int"]
            if pool and draw(st.booleans()):
                return draw(st.sampled_from(pool))
            return sym.const(draw(st.integers(-9, 9)))
        a, b = draw(scalar_exprs("int", names, depth - 1)), draw(scalar_exprs("int", names, depth - 1))
        how = draw(st.sampled_from(["add", "mul", "idiv", "mod", "alu", "cast"]))
        if how == "add":
            return sym.add(a, b)
        if how == "mul":
            return sym.mul(a, b)
        if how in ("idiv", "mod"):
            c = sym.const(draw(st.integers(1, 6)))
            return sym.idiv(a, c) if how == "idiv" else sym.mod(a, c)
        if how == "cast":
            return sym.alu(Op.CAST, draw(scalar_exprs("float", names, depth - 1)), dtype=dtypes.int64)
        return sym.alu(draw(st.sampled_from(INT_OPS)), a, b)
    if kind == "float":
        if leaf:
            pool = names["float"]
            if pool and draw(st.booleans()):
                return draw(st.sampled_from(pool))
            return sym.const(draw(st.floats(allow_nan=True, allow_infinity=True, width=32)), F32)
        how = draw(st.sampled_from(["unary", "binary", "where", "cast", "load", "bitcast"]))
        sub = scalar_exprs("float", names, depth - 1)
        if how == "unary":
            return sym.alu(draw(st.sampled_from(FLOAT_UNARY)), draw(sub))
        if how == "binary":
            return sym.alu(draw(st.sampled_from([Op.ADD, Op.MUL, Op.MAX])), draw(sub), draw(sub))
        if how == "where":
            return sym.alu(Op.WHERE, draw(scalar_exprs("bool", names, depth - 1)), draw(sub), draw(sub))
        if how == "cast":
            return sym.alu(Op.CAST, draw(scalar_exprs("int", names, depth - 1)), dtype=F32)
        if how == "bitcast":
            return sym.alu(Op.BITCAST, sym.alu(Op.CAST, draw(scalar_exprs("int", names, depth - 1)),
                                                dtype=dtypes.int32), dtype=F32)
        valid = draw(scalar_exprs("bool", names, depth - 1)) if draw(st.booleans()) else sym.TRUE
        return sym.load("p1", draw(scalar_exprs("int", names, depth - 1)), valid, F32)
    if leaf:
        return sym.const(draw(st.booleans()), dtypes.bool_)
    how = draw(st.sampled_from(["lt", "flt", "ne", "and", "not", "or"]))
    if how == "lt":
        sub = scalar_exprs("int", names, depth - 1)
        return sym.lt(draw(sub), draw(sub))
    if how == "flt":
        return sym.alu(Op.CMPLT, draw(scalar_exprs("float", names, depth - 1)),
                       draw(scalar_exprs("float", names, depth - 1)))
    sub = scalar_exprs("bool", names, depth - 1)
    if how == "ne":
        return sym.alu(Op.CMPNE, draw(sub), draw(sub))
    if how == "and":
        return sym.logical_and(draw(sub), draw(sub))
    if how == "not":
        return sym.logical_not(draw(sub))
    return sym.alu(draw(st.sampled_from([Op.OR, Op.XOR])), draw(sub), draw(sub))


@st.composite
def random_loop_kernels(draw):
    """A loop nest with lets, an accumulator and a store, over random expressions."""
    extents = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    names = {"int": [], "float": []}
    loop_vars = [f"i{d}" for d in range(len(extents))]
    for v, n in zip(loop_vars, extents):
        names["int"].append(sym.var(v, 0, n - 1))
    body = []
    for k in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["int", "float"]))
        value = draw(scalar_exprs(kind, names))
        name = f"v{k}"
        body.append(Let(name, value))
        names[kind].append(sym.var(name, value.vmin if value.dtype.is_int else 0,
                                   value.vmax if value.dtype.is_int else 0, value.dtype))
    op = draw(st.sampled_from([Op.ADD, Op.MAX]))
    body.append(Acc("acc0", F32, op, sym.const(draw(st.floats(width=32)), F32)))
    body.append(Loop("r0", draw(st.integers(1, 4)), draw(st.sampled_from(["serial", "simd"])),
                     (Update("acc0", draw(scalar_exprs("float", names))),)))
    acc = sym.var("acc0", -2**62, 2**62, F32)
    index = draw(scalar_exprs("int", names))
    body.append(Store("p0", index, sym.alu(Op.ADD, acc, draw(scalar_exprs("float", names)))))
    stmts = tuple(body)
    for v, n in reversed(list(zip(loop_vars, extents))):
        stmts = (Loop(v, n, draw(st.sampled_from(["serial", "parallel", "simd"])), stmts),)
    return LoopKernel("E_random", (Param("p0", F32, True), Param("p1", F32)), stmts)


@settings(max_examples=EXAMPLES + 20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(random_loop_kernels())
def test_random_loop_ir_roundtrip(kernel):
    """Precedence, parentheses, negative and special constants, raw trees the simplifier
    would rewrite: the text must spell exactly the tree."""
    verify_loop(kernel)
    text = print_loop_ir(kernel)
    assert parse_loop_ir(text) == kernel, text
    assert print_loop_ir(parse_loop_ir(text)) == text


# ---- errors --------------------------------------------------------------------------------

def parse_fails(parse, text) -> IRParseError:
    with pytest.raises(IRParseError) as info:
        parse(text)
    e = info.value
    assert str(e).startswith(f"line {e.line}, column {e.column}: ")
    return e


def test_graph_syntax_error_names_line_column_and_expected():
    text = "%0 : float32[4] = buffer id=1 device=c\n%1 : float32[4] = add %0 %0\n"
    e = parse_fails(parse_graph, text)
    assert (e.line, e.column) == (2, 26)
    assert "expected one of" in str(e) and "','" in str(e) and "but found '%0'" in str(e)
    assert "%1 : float32[4] = add %0 %0\n" + " " * 29 + "^" in str(e)


def test_graph_type_syntax_error():
    e = parse_fails(parse_graph, "%0 : float32[4,] = buffer id=1 device=c\n")
    assert (e.line, e.column) == (1, 16) and "a number" in str(e) and "found ']'" in str(e)


@pytest.mark.parametrize("text, line, words", [
    ("%0 : float32[4] = neg %7\n", 1, ["%7", "before it is defined"]),
    ("%0 : float32[4] = const 1.0 device=c\n%1 : float32[4] = frob %0\n", 2, ["unknown op 'frob'"]),
    ("%0 : float33[4] = const 1.0 device=c\n", 1, ["unknown dtype 'float33'"]),
    ("%0 : float32[4] = const 1.0 device=c\n%1 : float32[5] = const 1.0 device=c\n"
     + "%2 : float32[4] = add %0, %1\n", 3, ["add", "float32[4], float32[5]"]),
    ("%0 : float32[4] = const 1.0 device=c\n%1 : float32[2,2] = neg %0\n", 2, ["declared float32[2, 2]"]),
    ("%0 : float32[4] = const 1.0 device=c\n%1 : float32[4] = neg %0 axes=(0,)\n", 2, ["axes="]),
    ("%0 : float32[4] = const 1.0 device=c\n%0 : float32[4] = neg %0\n", 2, ["defined twice"]),
    ("%0 : float32[4] = reshape\n", 1, ["shape="]),
])
def test_graph_semantic_errors_carry_the_line(text, line, words):
    e = parse_fails(parse_graph, text)
    assert e.line == line
    for w in words:
        assert w in str(e)


def test_loop_syntax_error_names_expected_tokens():
    text = GOLDEN_LOOP.replace("store p0[i0] = v3", "store p0[i0 = v3")
    e = parse_fails(parse_loop_ir, text)
    assert e.line == 11 and "']'" in str(e) and "but found '='" in str(e)
    e = parse_fails(parse_loop_ir, GOLDEN_LOOP.replace("i0*8 + r0, r0 < 7)", "i0*8 + r0 r0 < 7)"))
    assert (e.line, e.column) == (5, 49) and "','" in str(e) and "')'" in str(e)
    e = parse_fails(parse_loop_ir, GOLDEN_LOOP[:-3])
    assert "end of input" in str(e)


@pytest.mark.parametrize("old, new, words", [
    ("acc0 max= v2", "acc0 += v2", ["updated with 'max='"]),
    ("v3: float32 = sqrt", "v3: int32 = sqrt", ["declared int32", "float32"]),
    ("store p0[i0] = v3", "store p0[i0] = v7", ["v7 is not defined"]),
    ("load<float32>(p1,", "load<float32>(p9,", ["unknown parameter 'p9'"]),
    ("for r0 in 0..8 simd", "for r0 in 1..8 simd", ["loops start at 0"]),
    ("for r0 in 0..8 simd", "for r0 in 0..8 fast", ["unknown loop kind 'fast'"]),
    ("where(v1", "wherever(v1", ["unknown function 'wherever'"]),
    ("-inf:float32", "-inf:float31", ["unknown dtype 'float31'"]),
    ("v2: float32 = where", "v1: float32 = where", ["v1 is already defined on line 6"]),
])
def test_loop_semantic_errors_carry_the_line(old, new, words):
    text = GOLDEN_LOOP.replace(old, new)
    assert text != GOLDEN_LOOP
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if new in ln)
    e = parse_fails(parse_loop_ir, text)
    assert e.line == line
    for w in words:
        assert w in str(e)


def test_variables_do_not_leak_out_of_their_loop():
    text = GOLDEN_LOOP.replace("sqrt(acc0*", "sqrt(v0*")
    assert "v0 is not defined" in str(parse_fails(parse_loop_ir, text))


EDIT_CHARS = "%:=,()[]<>#\n\t 0123456789.-+*/abcdefpvxyz_'\"$\u00e9{}"


@settings(max_examples=EXAMPLES * 3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["graph", "loop"]),
       st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 3), st.text(EDIT_CHARS, max_size=3)),
                min_size=1, max_size=3))
def test_mangled_text_raises_only_parse_errors(level, edits):
    """Whatever the damage, the parsers answer with an IR or an IRParseError that has a
    position, never with some other exception from deep inside."""
    text = GOLDEN_GRAPH if level == "graph" else GOLDEN_LOOP
    for pos, cut, insert in edits:
        pos %= len(text) + 1
        text = text[:pos] + insert + text[pos + cut:]
    try:
        (parse_graph if level == "graph" else parse_loop_ir)(text)
    except IRParseError as e:
        assert e.line >= 1 and e.column >= 1 and str(e).startswith(f"line {e.line}, column {e.column}")


# ---- verifier ------------------------------------------------------------------------------

def test_verify_graph_rejects_mixed_levels_and_devices():
    buf = make(Op.BUFFER, (), 777000111, F32, (4,), "c")
    load = make(Op.LOAD, (), (1, ViewStack.contiguous((4,))), F32, (4,), "c")
    with pytest.raises(IRVerifyError, match="graph-level op inside Kernel IR"):
        verify_graph([make(Op.STORE, (make(Op.ADD, (load, buf)),), (0, ViewStack.contiguous((4,))))])
    with pytest.raises(IRVerifyError, match="stores as its roots"):
        verify_graph([make(Op.NEG, (load,))])
    other = make(Op.BUFFER, (), 777000112, F32, (4,), "python")
    with pytest.raises(IRVerifyError, match="device 'python'"):
        verify_graph([make(Op.ADD, (buf, other), device="c")])
    bad_view = make(Op.LOAD, (), (1, ViewStack.contiguous((2, 2))), F32, (4,), "c")
    with pytest.raises(IRVerifyError, match="does not have its shape"):
        verify_graph([make(Op.STORE, (bad_view,), (0, ViewStack.contiguous((4,))))])
    verify_graph([make(Op.ADD, (buf, buf))])


def test_verify_loop_catches_scopes_params_and_updates():
    good = golden_loop_kernel()
    verify_loop(good)
    outer = good.body[0]
    i0 = sym.var("i0", 0, 3)
    cases = {
        "r0 is not defined": (Let("v9", sym.alu(Op.ADD, sym.var("r0", 0, 7), i0)),),
        "unknown parameter 'p7'": (Let("v9", sym.load("p7", i0, sym.TRUE, F32)),),
        "loads float32 from p2": (Let("v9", sym.load("p2", i0, sym.TRUE, F32)),),
        "p1 is not an output": (Store("p1", i0, sym.const(1.0, F32)),),
        "stores int64 into float32": (Store("p0", i0, i0),),
        "not an accumulator": (Update("v3", sym.const(1.0, F32)),),
        "assigned twice": (Acc("acc0", F32, Op.ADD, sym.const(0.0, F32)),),
    }
    for message, extra in cases.items():
        broken = Loop(outer.var, outer.extent, outer.kind, outer.body + extra)
        with pytest.raises(IRVerifyError, match=message):
            verify_loop(LoopKernel(good.name, good.params, (broken,)))


def test_the_op_card_in_the_docs_is_the_generated_one():
    """docs/ir.md's op card is `lazygrad-ir ops` output, so it cannot drift from the tables."""
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "ir.md").read_text()
    start = doc.index("<!-- op card:")
    copy = doc[doc.index("\n", start) + 1:doc.index("<!-- end of op card -->")]
    assert copy == op_card.card(), "docs/ir.md's op card is stale: put `lazygrad-ir ops` between its markers"


@pytest.mark.parametrize("op", sorted(op_card.SPELLING, key=lambda o: o.value))
def test_each_front_end_spelling_on_the_op_card_builds_its_op(op):
    names = {"lg": lg, "F": lg.nn.functional, "x": lg.tensor([1.5, 2.0]), "y": lg.tensor([0.5, 4.0]),
             "i": lg.tensor([3, 12]), "j": lg.tensor([1, 2]), "c": lg.tensor([True, False]),
             "w": lg.tensor([1.5, 2.0], requires_grad=True)}
    out = eval(op_card.SPELLING[op], names)  # noqa: S307  (the card's own spellings)
    assert op in {n.op for n in toposort([out.node])}, op_card.SPELLING[op]
