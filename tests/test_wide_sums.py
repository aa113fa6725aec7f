"""float32 sums add in float64 and round once (codegen/wide_sums.py), and float32 cumsum scans
in float64: large sums are as close to exact as float32 can hold, on every device that runs
the pass (c, OpenCL CPUs with float64, cstub), and within numpy's pairwise error on python."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.loop_ir import Acc, VecAcc, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.debug_tool.execute import run_loop
from lazygrad.dtypes import float32, float64
from lazygrad.runtime.registry import get_device

ONE_ROUNDING = 2.0 ** -23  # a float32 ulp, relative, at most: a sum rounded once or twice
PAIRWISE = 4e-7  # the python device's numpy sums (torch's cascades measured up to 6.5e-7)


def _kernels(t: lg.Tensor, device: str):
    return [k.loop_ir(device) for k in t.schedule() if k.ast is not None]


def _accs(kernels) -> list:
    return [s for k in kernels for s in walk_stmts(k.body) if isinstance(s, (Acc, VecAcc))]


def _adds_in_float64(device: str) -> bool:
    sums = _accs(_kernels(lg.ones(64, device=device).sum(), device))
    return any(a.dtype == float64 for a in sums)


@pytest.mark.parametrize("shape, axis", [((2_000_000,), None), ((16, 250_000), 1), ((250_000, 16), 0),
                                         ((1000, 1000), 0), ((50, 200, 400), (0, 2))])
def test_a_float32_sum_is_within_one_rounding_of_the_exact_sum(device, shape, axis):
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    exact = x.astype(np.float64).sum(axis)
    out = lg.tensor(x, device=device).sum(axis).numpy().astype(np.float64)
    bound = ONE_ROUNDING if _adds_in_float64(device) else PAIRWISE
    assert np.max(np.abs(out - exact) / exact) <= bound
    # the column sum of 250,000 rows was 7e-6 off with float32 accumulators


def test_the_c_device_adds_float32_sums_in_float64():
    assert _adds_in_float64("c")


def test_the_mean_of_a_million_integers_is_exact(device):
    # float32 accumulators rounded each add to the partial sums' ulp: 499999.09
    assert lg.arange(1_000_000, dtype=lg.float32, device=device).mean().item() == 499999.5
    assert lg.arange(1_000_000, dtype=lg.float32, device=device).sum().item() == np.float32(499999500000.0)


def test_a_mean_of_values_near_1e4_rounds_once(device):
    x = (1e4 + np.random.default_rng(0).random(4096)).astype(np.float32)
    out = lg.tensor(x, device=device).mean().item()
    exact = x.astype(np.float64).mean()
    assert abs(out - exact) <= (0.5 if _adds_in_float64(device) else 1.0) * np.spacing(np.float32(exact))


def test_a_float32_cumsum_rounds_each_output_once(device):
    x = np.random.default_rng(0).random(100_000, dtype=np.float32)
    out = lg.tensor(x, device=device).cumsum(0).numpy()
    expected = np.cumsum(x.astype(np.float64)).astype(np.float32)
    if get_device(device).supports(lg.float64):
        np.testing.assert_array_equal(out, expected)  # (a float32 blocked scan: 39,662 outputs 1-2 ulp off)
    else:
        np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_a_cumsum_gradient_still_flows(device):
    x = lg.tensor(np.arange(1.0, 6.0, dtype=np.float32), device=device, requires_grad=True)
    (x.cumsum(0) * lg.tensor(np.arange(5, dtype=np.float32), device=device)).sum().backward()
    assert x.grad.dtype == lg.float32
    np.testing.assert_array_equal(x.grad.numpy(), [10, 10, 9, 7, 4])


def test_which_sums_widen_on_c():
    rng = np.random.default_rng(0)
    a = lg.tensor(rng.random((64, 96), dtype=np.float32))
    b = lg.tensor(rng.random((96, 80), dtype=np.float32))
    big = lg.tensor(rng.random((512, 512), dtype=np.float32))
    maps = lg.tensor(rng.random((8, 64, 4, 4), dtype=np.float32))
    weight = lg.tensor(rng.random((64, 64, 3, 3), dtype=np.float32))
    kinds = {
        "row sum": big.sum(1), "column sum": big.sum(0), "mean square": (big * big).mean(),
        "var's two sums": big.var(1), "matmul": a @ b, "softmax's sum of exp": big.exp().sum(1),
        "a conv on 4x4 maps": lg.nn.functional.conv2d(maps, weight, padding=1),
    }
    widened = {name: any(acc.dtype == float64 for acc in _accs(_kernels(t, "c")))
               for name, t in kinds.items()}
    assert widened == {"row sum": True, "column sum": True, "mean square": True, "var's two sums": True,
                       "matmul": False, "softmax's sum of exp": False, "a conv on 4x4 maps": False}
    # (the conv's 32 scalar accumulators share its weights: a tile of products, kept float32)
    assert all(acc.dtype == float64 for acc in _accs(_kernels(kinds["var's two sums"], "c")))
    # the matmul keeps its float32 register tile; the column sum's accumulators stay scalars
    matmul = _accs(_kernels(kinds["matmul"], "c"))
    assert any(isinstance(acc, VecAcc) and acc.dtype == float32 for acc in matmul)
    assert not any(isinstance(acc, VecAcc) for acc in _accs(_kernels(kinds["column sum"], "c")))


def test_a_widened_kernel_prints_parses_and_runs_on_every_device(device):
    x = np.random.default_rng(0).random((300, 40), dtype=np.float32)
    (kernel,) = _kernels(lg.tensor(x).sum(0), "c")
    text = print_loop_ir(kernel)
    assert "float64" in text and "cast<float32>" in text
    result = run_loop(parse_loop_ir(text), device, [x.reshape(-1)], np.random.default_rng(0), 1)
    np.testing.assert_allclose(result.outputs[0][:40], x.astype(np.float64).sum(0), rtol=ONE_ROUNDING)
