"""Launch offsets (schedule/launch_offsets.py): a kernel that reads or writes a buffer at a fixed
offset is compiled without it and launched from the offset, so slices at every offset share
one kernel. The values must be the same bits as with the offsets compiled in."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.config import caches_disabled
from lazygrad.debug_tool.capture import Capture
from lazygrad.runtime.registry import get_device


def _asts(fn):
    """The Kernel IR of every kernel fn runs, and fn's result."""
    with Capture() as cap:
        out = fn()
    return [run.kernel.ast for run in cap.kernels if run.kernel.ast is not None], out


def _slices(device):
    x = lg.Tensor(np.arange(60, dtype=np.float32).reshape(15, 4), device=device).realize()
    return [(x[t] * 2 + 1).numpy() for t in range(1, 15)]


def test_slices_at_every_offset_run_one_kernel(device):
    asts, got = _asts(lambda: _slices(device))
    want = [np.arange(4 * t, 4 * t + 4, dtype=np.float32) * 2 + 1 for t in range(1, 15)]
    np.testing.assert_array_equal(np.stack(got), np.stack(want))
    if get_device(device).launches_at_offsets:
        assert len(set(asts)) == 1, "one kernel for every offset"
    with caches_disabled("launch-offsets"):
        asts_off, got_off = _asts(lambda: _slices(device))
    np.testing.assert_array_equal(np.stack(got_off), np.stack(want))
    assert len(set(asts_off)) == 14  # (the switch works: each offset compiled in)


def test_writes_at_offsets(device):
    x = lg.zeros(6, 5, device=device)
    for t in range(6):
        x[t] = lg.arange(5, dtype=lg.float32, device=device) + t
    x[2:4, 1:3] = -1.0
    want = np.arange(5, dtype=np.float32)[None, :] + np.arange(6, dtype=np.float32)[:, None]
    want[2:4, 1:3] = -1.0
    np.testing.assert_array_equal(x.numpy(), want)


@pytest.mark.parametrize("dtype", [lg.float32, lg.float64, lg.int16, lg.bool])
def test_offsets_count_bytes_of_each_dtype(device, dtype):
    a = np.arange(48).reshape(12, 4) % 3
    x = lg.Tensor(a, device=device).to(dtype).realize()
    for t in (1, 5, 11):
        got = (x[t:t + 1] + x[t - 1:t]).numpy() if dtype != lg.bool else (x[t:t + 1] | x[t - 1:t]).numpy()
        ref = a.astype(dtype.np)
        want = ref[t:t + 1] + ref[t - 1:t] if dtype != lg.bool else ref[t:t + 1] | ref[t - 1:t]
        np.testing.assert_array_equal(got, want)


def test_masked_and_padded_reads_at_offsets(device):
    a = np.arange(40, dtype=np.float32).reshape(10, 4)
    x = lg.Tensor(a, device=device).realize()
    for t in (0, 3, 9):
        got = lg.nn.functional.pad(x[t], (2, 1), value=0.0).exp2().numpy()
        np.testing.assert_array_equal(got, np.exp2(np.pad(a[t], (2, 1))).astype(np.float32))
    flipped = x.flip(0)[2:5, 1:].numpy()  # a flip reads backwards from a high offset
    np.testing.assert_array_equal(flipped, a[::-1][2:5, 1:])


def test_jit_replays_kernels_at_their_offsets(device):
    @lg.jit
    def step(x):
        return x[3] * x[7] + x[1:2].sum()

    for seed in range(4):
        a = np.random.default_rng(seed).standard_normal((9, 5)).astype(np.float32)
        got = step(lg.Tensor(a, device=device)).numpy()
        np.testing.assert_allclose(got, a[3] * a[7] + a[1:2].sum(), rtol=1e-6)


def test_a_captured_kernel_reruns_on_its_captured_inputs(device):
    """The IR tool's kernel units: inputs as the kernel sees them (from the offset on)."""
    from lazygrad.codegen.lower import lower
    from lazygrad.debug_tool.capture import from_offset
    from lazygrad.debug_tool.execute import run_loop
    x = lg.Tensor(np.arange(30, dtype=np.float32).reshape(6, 5), device=device).realize()
    with Capture(snapshot=True) as cap:
        (x[4] * 3).numpy()
    (run,) = [r for r in cap.kernels if r.kernel.ast is not None]
    result = run_loop(lower(run.kernel.ast, run.kernel.name), "python", run.inputs, None, 1)
    want = from_offset(run.output, run.kernel.target.dtype, run.kernel, 0)
    np.testing.assert_array_equal(result.outputs[0][: want.size], want)
    np.testing.assert_array_equal(want, np.arange(20, 25, dtype=np.float32) * 3)
