"""Fusion: how many kernels a computation becomes, and why a node gets its own buffer."""
import pathlib

import numpy as np
import pytest
import torch
from device_dtypes import require_dtype

import lazygrad as lg
from lazygrad.ir.host_step import HostStep
from lazygrad.ir.node import make, toposort
from lazygrad.ir.ops import ALU, Op
from lazygrad.schedule.fusion import MAX_FUSED_OPS
from lazygrad.schedule.realize_rules import HEAVY_EPILOGUE, REALIZE_RULES
from lazygrad.schedule.schedule import create_schedule


def _t(shape, seed=0):
    return lg.Tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def test_elementwise_then_reduce_is_one_kernel():
    a, b = _t((16, 16)), _t((16, 16), 1)
    assert len((a + b).exp().sum().schedule()) == 1


def test_elementwise_chain_is_one_kernel():
    a, b, c = _t((8, 8)), _t((8, 8), 1), _t((8, 8), 2)
    assert len(((a * b) + c).relu().schedule()) == 1


def test_reduce_fuses_with_elementwise_consumers():
    a = _t((8, 8))
    assert len((a.sum(1) * 2 + 1).schedule()) == 1


def test_row_softmax_is_three_kernels():
    """max (1), sum of exp(x - max) (2), exp(x - max) / sum (3): the max and the sum are read
    at the full shape through a broadcast, so each is realized once instead of recomputed."""
    x = _t((32, 64))
    e = (x - x.amax(-1, keepdim=True)).exp()
    kernels = (e / e.sum(-1, keepdim=True)).schedule()
    assert len(kernels) == 3
    assert [k.name.startswith("R") for k in kernels] == [True, True, False]


def test_schedule_runs_nothing():
    lg.stats.reset()
    a = _t((4, 4))
    kernels = (a + 1).schedule()
    assert len(kernels) == 1 and lg.stats().kernels == 0
    assert "add" in kernels[0].kernel_ir and "void" in kernels[0].source("c")


def test_realized_values_are_reused():
    a = _t((4, 4))
    b = (a * 2).realize()
    lg.stats.reset()
    c = (b + 1).numpy()
    assert lg.stats().kernels == 1
    np.testing.assert_allclose(c, a.numpy() * 2 + 1)


def test_expensive_broadcast_input_is_realized_once():
    x = _t((8, 16))
    w = _t((16, 4), 1)
    h = x.exp()  # read 4 times by the matmul's broadcast: realize it instead of recomputing
    sched = create_schedule([(h @ w).node])
    assert len(sched.kernels) == 2
    assert any("broadcast" in why for why in sched.why.values())


def test_pad_of_unsafe_op_gets_real_zeros_in_one_kernel(device):
    a = np.random.default_rng(0).standard_normal((4,)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    y = x.exp()._pad(((1, 1),))
    assert len(y.schedule()) == 1
    np.testing.assert_allclose(y.numpy(), np.pad(np.exp(a), (1, 1)), rtol=1e-6)
    z = lg.cat([x.exp(), x.log2().abs()]) + 1  # cat pads each piece with zeros and adds them
    assert len(z.schedule()) == 1
    with np.errstate(all="ignore"):
        ref = np.concatenate([np.exp(a), np.abs(np.log2(a))]) + 1
    np.testing.assert_allclose(z.numpy(), ref, rtol=1e-6)


def test_reduce_fuses_into_an_assign(device):
    x = lg.Tensor(np.ones((4, 8), np.float32), device=device)
    acc = lg.Tensor(np.zeros(4, np.float32), device=device)
    acc.assign(acc + x.sum(1))
    assert len(lg.Tensor._wrap(acc.node).schedule()) == 1
    acc.realize()
    assert acc.tolist() == [8.0] * 4


def test_long_chains_are_split():
    x = _t((4,))
    y = x
    for _ in range(3 * MAX_FUSED_OPS):
        y = y * 1.001
    assert 3 <= len(y.schedule()) <= 5
    np.testing.assert_allclose(y.numpy(), x.numpy() * np.float32(1.001) ** (3 * MAX_FUSED_OPS), rtol=1e-3)


def test_stats_count_kernels_flops_bytes():
    a = _t((64, 64))
    lg.stats.reset()
    (a * 2).sum().realize()
    s = lg.stats()
    assert s.kernels == 1 and s.flops >= 2 * 64 * 64 and s.bytes >= 64 * 64 * 4


@pytest.mark.slow
def test_hundred_thousand_op_chain_realizes(device):
    x = lg.Tensor(np.ones(4, dtype=np.float32), device=device)
    y = x
    for i in range(100_000):
        y = y * 1.0001 if i % 2 else y + 0.5
    ref = np.ones(4, dtype=np.float32)
    for i in range(100_000):
        ref = ref * np.float32(1.0001) if i % 2 else ref + np.float32(0.5)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-4)


def test_large_full_reductions_run_in_two_stages(device, rng):
    a = rng.standard_normal(1 << 16).astype(np.float32)
    x = lg.Tensor(a, device=device)
    assert len(x.sum().schedule()) == 2
    np.testing.assert_allclose(x.sum().numpy(), a.astype(np.float64).sum(), rtol=1e-4)
    np.testing.assert_allclose(x.amax().numpy(), a.max())
    np.testing.assert_allclose((x * 2).reshape(256, 256).sum().numpy(), 2 * a.astype(np.float64).sum(), rtol=1e-4)
    small = lg.Tensor(a[:1000], device=device)
    assert len(small.sum().schedule()) == 1


def test_reduce_read_by_several_ops_of_one_kernel_fuses(device, rng):
    a = rng.standard_normal((8, 16)).astype(np.float32)
    b = rng.standard_normal((16, 32)).astype(np.float32)
    x, y = lg.Tensor(a, device=device), lg.Tensor(b, device=device)
    h = x @ y
    out = h * h.sigmoid()  # silu reads the product twice
    assert len(out.schedule()) == 1
    ref = a @ b
    np.testing.assert_allclose(out.numpy(), ref / (1 + np.exp(-ref)), rtol=1e-4, atol=1e-5)
    s = x.sum(1)
    two = (s * 2, s + 1)  # read by two outputs: two kernels, the sum stays shared
    assert len(create_schedule([t.node for t in two]).kernels) == 3


def _alu_ops(kernel) -> int:
    return sum(n.op in ALU for n in toposort([kernel.ast]))


def _viterbi_steps(steps: int, device: str = "c"):
    """A Viterbi-style recurrence: each step a cat of indexed elements of the last step."""
    k = 5
    trans = np.arange(k * k, dtype=np.float32).reshape(k, k) * 0.01
    fv, ref = lg.zeros(1, k, device=device), np.zeros((1, k), np.float32)
    for _ in range(steps):
        fv = (lg.cat([(fv + lg.tensor(trans[j], device=device))[0][j].view(1) for j in range(k)]) + 0.5).view(1, -1)
        ref = (np.array([(ref + trans[j])[0][j] for j in range(k)]) + 0.5).reshape(1, -1)
    return fv, ref


def test_a_value_read_through_many_chains_of_views_is_built_once_a_view(device, monkeypatch):
    """The kernel builder builds a node once for each view it is read through, not once for
    each chain of movement ops: a Viterbi decode reads every step's value through 5 chains
    (one per cat piece), so building per chain grew 5x a step (6 steps took 22 s to
    schedule, the BiLSTM-CRF tutorial past 300 s). The builds now grow linearly with the
    steps, and the values stay right."""
    from lazygrad.schedule.kernel import KernelBuilder
    calls = []
    real = KernelBuilder._build
    monkeypatch.setattr(KernelBuilder, "_build", lambda self, *a: calls.append(1) or real(self, *a))

    for steps in (5, 12):
        calls.clear()
        fv, ref = _viterbi_steps(steps, device)
        create_schedule([fv.node])
        assert len(calls) <= 600 * steps, (steps, len(calls))  # (once a chain: 38,270 at 5 steps)
        np.testing.assert_allclose(fv.numpy(), ref, rtol=1e-6)


@pytest.mark.parametrize("shared", [False, True])
def test_large_elementwise_value_is_not_a_reduce_epilogue(device, rng, shared):
    """Rule 6 (heavy-epilogue): a matmul whose result meets float64's erf (~130 ALU ops)
    keeps a small epilogue; the erf is computed in an elementwise kernel that reads the
    product's buffer. Shared: exact gelu reads the product four times, which SHARED_REDUCE
    would compute in one kernel. Values against torch."""
    require_dtype(device, "float64")
    a = rng.standard_normal((8, 16))
    b = rng.standard_normal((16, 32))
    c = rng.standard_normal((8, 32))
    x, y, z = (lg.Tensor(v, device=device) for v in (a, b, c))
    out = (x @ y).gelu() if shared else (x @ y) * (z * 0.5).erf()
    sched = create_schedule([out.node])
    reduces = [k for k in sched.kernels if k.name.startswith("R_")]
    assert len(sched.kernels) == 2 and len(reduces) == 1 and _alu_ops(reduces[0]) <= 2
    assert "heavy-epilogue" in {getattr(w, "rule", None) for w in sched.why.values()}
    ta, tb, tc = (torch.tensor(v) for v in (a, b, c))
    ref = torch.nn.functional.gelu(ta @ tb) if shared else (ta @ tb) * (tc * 0.5).erf()
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-13)


def test_small_epilogue_stays_fused():
    """Below HEAVY_EPILOGUE ops the epilogue stays in the reduce's kernel: float32's tanh gelu
    (~36 ops) is one kernel with its matmul; the exact one (float32's erf fit, ~45) is two."""
    x, y = _t((8, 16)), _t((16, 32), 1)
    out = lg.nn.functional.gelu(x @ y, approximate="tanh")
    assert len(out.schedule()) == 1 and _alu_ops(out.schedule()[0]) < HEAVY_EPILOGUE
    exact = lg.nn.functional.gelu(x @ y).schedule()
    assert len(exact) == 2 and _alu_ops(next(k for k in exact if k.name.startswith("R_"))) <= 2


@pytest.mark.parametrize("shape, move", [((1, 2), "flip"), ((3, 4), "flip"), ((1, 1, 1), "permute"),
                                         ((2, 3, 4), "permute")])
def test_shared_reduce_under_a_flip_or_permute_keeps_its_buffer(device, rng, shape, move):
    """Found by the random-program property test: s * s under a flip cannot fold the flip into
    the reduce's loops, so the reduce is realized on its own and the values stay right."""
    a = rng.standard_normal(shape).astype(np.float32)
    s, ref = lg.Tensor(a, device=device).sum(0), a.sum(0)
    if move == "flip":
        out, expected = (s * s).flip(0), (ref * ref)[::-1]
    else:
        order = tuple(reversed(range(ref.ndim)))
        out, expected = (s * s.relu()).permute(*order), (ref * np.maximum(ref, 0)).transpose(order)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_padded_conv_input_gets_its_own_buffer(device, rng):
    """A conv's padded input is read 9 * out_channels times through its windows: it is padded
    once into a buffer, so the conv's inner loop has no masks; values stay those of a conv
    over a padded array."""
    a = rng.standard_normal((4, 3, 30, 30)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    out = lg.nn.functional.conv2d(x, lg.Tensor(w, device=device), padding=1)
    sched = create_schedule([out.node])
    assert len(sched.kernels) == 2
    assert sum("padded, then read" in why for why in sched.why.values()) == 1
    padded = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    ref = np.einsum("nchwij,ocij->nohw", windows, w)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-4)


def test_pad_read_once_stays_fused():
    x = _t((64, 64))
    assert len(x.pad((1, 1, 1, 1)).sum().schedule()) <= 2  # the two stages of a full sum
    assert not any("padded" in why for why in create_schedule([(x.pad((1, 1)) * 2).node]).why.values())
    small = _t((2, 3, 8, 8))
    conv = lg.nn.functional.conv2d(small, _t((4, 3, 3, 3), 1), padding=1)
    assert len(create_schedule([conv.node]).kernels) == 1  # 2*3*10*10 elements: masks are cheaper


@pytest.mark.parametrize("shapes", [((48, 40), (48, 32)), ((5, 7), (5, 3))])
def test_reduce_read_through_a_permute_stores_transposed(device, rng, shapes):
    """(a.T @ b).T, the shape of a linear layer's weight gradient: the matmul's kernel stores
    through the permuted view, with no copy kernel after it."""
    from lazygrad.schedule.kernel_ast import STORED_PERMUTED
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32)
    out = (lg.Tensor(a, device=device).T @ lg.Tensor(b, device=device)).T
    sched = create_schedule([out.node])
    assert len(sched.kernels) == 1 and sched.why[sched.kernels[0].target] == STORED_PERMUTED
    np.testing.assert_allclose(out.numpy(), (a.T @ b).T, rtol=1e-4, atol=1e-4)


def test_linear_weight_gradient_needs_no_transpose_kernel(device, rng):
    x = lg.Tensor(rng.standard_normal((32, 48)).astype(np.float32), device=device)
    w = lg.Tensor(rng.standard_normal((16, 48)).astype(np.float32), device=device, requires_grad=True)
    (x @ w.T).relu().sum().backward()
    names = [k.name for k in w.grad.schedule()]
    assert not any(n.startswith("E_16_48") for n in names), names
    h = x.detach().numpy() @ w.detach().numpy().T
    np.testing.assert_allclose(w.grad.numpy(), ((h > 0).astype(np.float32).T @ x.numpy()), rtol=1e-4, atol=1e-4)


def test_backward_reads_the_weight_not_its_transposed_copy(device, rng):
    """x @ w.T copies w.T so the forward reads it contiguously; the input gradient g @ w would
    read that copy transposed (both inputs contiguous along the reduce only). It reads w's
    own buffer instead, and its loads run along an output dim, as the register tiles want."""
    from lazygrad.schedule.kernel_ast import vector_ready
    a = rng.standard_normal((32, 48)).astype(np.float32)
    wv = rng.standard_normal((64, 48)).astype(np.float32)
    x = lg.Tensor(a, device=device, requires_grad=True)
    w = lg.Tensor(wv, device=device, requires_grad=True)
    (x @ w.T).square().sum().backward()
    kernels = create_schedule([x.grad.node]).kernels
    assert all(vector_ready(k.ast) for k in kernels if k.ast is not None)
    np.testing.assert_allclose(x.grad.numpy(), 2 * (a @ wv.T) @ wv, rtol=1e-4, atol=1e-3)


def test_conv_weight_gradient_reads_a_transposed_copy(device, rng):
    """The weight gradient of a conv sums over batch and pixels, and both its inputs run
    along those only: the output gradient is copied once with its channel dim last, and the
    reduce then takes vector lanes along the output channels. A second step of the same
    shape takes the whole schedule from the cache, copy included."""
    from lazygrad.schedule import schedule_cache
    from lazygrad.schedule.kernel_ast import TRANSPOSED_COPY, vector_ready
    F = lg.nn.functional
    for step in range(2):
        a = rng.standard_normal((4, 8, 16, 16)).astype(np.float32)
        wv = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
        g = rng.standard_normal((4, 16, 16, 16)).astype(np.float32)
        w = lg.Tensor(wv, device=device, requires_grad=True)
        out = F.conv2d(lg.Tensor(a, device=device), w, padding=1)
        out.backward(lg.Tensor(g, device=device))
        hits = schedule_cache.stats["hits"]
        sched = create_schedule([w.grad.node])
        assert (schedule_cache.stats["hits"] > hits) == (step == 1)
        assert TRANSPOSED_COPY in sched.why.values()
        assert vector_ready(sched.kernels[-1].ast)
        windows = np.lib.stride_tricks.sliding_window_view(np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1))),
                                                           (3, 3), axis=(2, 3))
        np.testing.assert_allclose(w.grad.numpy(), np.einsum("nchwij,nohw->ocij", windows, g),
                                   rtol=1e-4, atol=1e-3)


def test_q_k_transposed_product_copies_the_side_that_lines_up_with_the_output(device, rng):
    """q @ k.T written as a product and a sum (as gradients come out): k is copied with its rows
    last, so the lanes run along the output's own rows (a copy of q would give lanes that
    store 128 floats apart)."""
    from lazygrad.schedule.kernel_ast import TRANSPOSED_COPY, _lane_dims, _stored_rows, _the_reduce
    qa, ka = (rng.standard_normal((4, 128, 32)).astype(np.float32) for _ in range(2))
    q, k = lg.Tensor(qa, device=device).exp(), lg.Tensor(ka, device=device).exp()
    scores = (q.reshape(4, 128, 1, 32) * k.reshape(4, 1, 128, 32)).sum(-1).relu()  # as a backward has it
    sched = create_schedule([scores.node])
    copies = [n for n, why in sched.why.items() if why == TRANSPOSED_COPY]
    assert len(copies) == 1 and copies[0].srcs[0].srcs[0] is k.node
    product = sched.kernels[-1].ast
    assert _lane_dims(_the_reduce(product)) & _stored_rows(product, _the_reduce(product))
    ref = np.maximum(np.exp(qa) @ np.exp(ka).transpose(0, 2, 1), 0)
    np.testing.assert_allclose(scores.numpy(), ref, rtol=1e-4, atol=1e-3)


def test_a_sum_of_products_with_one_operand_read_across_its_rows_gets_vector_lanes(device, rng):
    """An input gradient that sums several products (x used by three projections) has one
    operand read across its rows (w[n, k], n the output dim): a load whose lanes would lie 128
    floats apart keeps the whole tile scalar (256 scalar accumulators, 50-75 GFLOP/s), however
    well the other products line up. Such a kernel is not vector-ready; it reads a copy in
    the layout the lanes want, and its tile is vectors on c."""
    from lazygrad.codegen.loop_ir import VecAcc, walk_stmts
    from lazygrad.schedule.kernel_ast import TRANSPOSED_COPY, vector_ready
    a, b, c, d = (rng.standard_normal(s).astype(np.float32) for s in ((128, 64), (64, 128), (128, 64), (128, 64)))
    A, B, C, D = (lg.Tensor(v, device=device) for v in (a, b, c, d))
    out = (A.reshape(128, 64, 1) * B.reshape(1, 64, 128) + C.reshape(128, 64, 1) * D.T.reshape(1, 64, 128)).sum(1)
    sched = create_schedule([out.node])
    product = sched.kernels[-1]
    assert vector_ready(product.ast) and TRANSPOSED_COPY in sched.why.values()
    if device == "c":
        assert any(isinstance(st, VecAcc) for st in walk_stmts(product.loop_ir("c").body))
    np.testing.assert_allclose(out.numpy(), a @ b + c @ d.T, rtol=1e-4, atol=1e-3)


def _rule_cases():
    """One computation per rule of REALIZE_RULES, with the rule it must make a boundary by."""
    x, y = _t((16, 16)), _t((16, 16), 1)
    deep = x
    for _ in range(MAX_FUSED_OPS + 10):
        deep = deep.sin()
    conv = lg.nn.functional.conv2d(_t((4, 3, 30, 30)), _t((8, 3, 3, 3), 1), padding=1)
    s = x.sum(0)
    return {
        "output": [(x + y).node],
        "buffer-op": [(x.T.contiguous() * 2).node],
        "broadcast-read": [(x - x.sum(1, keepdim=True)).node],
        "reused-pad": [conv.node],
        "reduce-read-twice": [(s + 1).node, (s * s.exp()).sum().node],
        "stored-permuted": [(x.T @ y).T.node],
        "reduce-read-by-view": [(x.sum(1).flip(0) + 1).node],
        "too-many-ops": [deep.node],
        "heavy-epilogue": [((x @ y).double() * x.double().erf()).node],  # (float64's erf: ~130 ops)
        "host-read": [make(Op.HOST, ((x * 2).node,), _Step(), x.dtype, x.shape, x.device)],
    }


class _Step(HostStep):
    """A host step (a collective's MPI call in lazygrad.distributed) that only gets scheduled."""
    name = key = "a host step"


@pytest.mark.parametrize("rule", [r.name for r in REALIZE_RULES])
def test_every_realize_rule_names_itself_in_why(rule):
    """Schedule.why says which rule of REALIZE_RULES made each boundary (docs/scheduling.md
    numbers them), and every rule in the table is one a computation can meet."""
    sched = create_schedule(_rule_cases()[rule])
    assert rule in {getattr(why, "rule", None) for why in sched.why.values()}, dict(sched.why)


def test_every_realize_rule_is_numbered_in_the_docs():
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "scheduling.md").read_text()
    for rule in REALIZE_RULES:
        assert f"`{rule.name}`" in doc, f"docs/scheduling.md does not name rule {rule.name}"
