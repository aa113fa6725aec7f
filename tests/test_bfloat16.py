"""bfloat16: stored as 16 bits, computed as float32 rounded to bfloat16 after every op (torch)."""
import numpy as np
import pytest

import lazygrad as lg


def _round(values):
    """Independent reference: round float32 to the nearest bfloat16 (ties to even)."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


KNOWN = [(1 / 3, 0.333984375), (1 + 2 ** -8, 1.0), (1 + 3 * 2 ** -8, 1.015625), (100.7, 100.5),
         (-2.5e-3, -0.00250244140625), (3.3e38, 3.2964854295465914e38), (3.4e38, float("inf"))]


def _need_bfloat16(device):
    """Only devices that run bfloat16 (opencl raises a clear error instead: tested below)."""
    from lazygrad.runtime.registry import get_device
    if not get_device(device).supports(lg.bfloat16):
        pytest.skip(f"{device} has no bfloat16")


def test_construction_rounds_to_nearest_even(device):
    _need_bfloat16(device)
    x = lg.Tensor([a for a, _ in KNOWN], dtype=lg.bfloat16, device=device)
    assert x.dtype == lg.bfloat16 and x.element_size() == 2
    assert x.tolist() == [b for _, b in KNOWN]


def test_every_op_rounds(device, rng):
    _need_bfloat16(device)
    a = rng.standard_normal(64).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    x, y = lg.Tensor(a, dtype=lg.bfloat16, device=device), lg.Tensor(b, dtype=lg.bfloat16, device=device)
    ra, rb = _round(a), _round(b)
    np.testing.assert_array_equal((x * y + x).numpy(), _round(_round(ra * rb) + ra))
    np.testing.assert_allclose(x.exp().numpy(), np.exp(ra), rtol=2 ** -7)


def test_promotion_follows_torch(device):
    _need_bfloat16(device)
    bf = lg.Tensor([1.0], dtype=lg.bfloat16, device=device)
    assert (bf + lg.Tensor([1.0], dtype=lg.float16, device=device)).dtype == lg.float32
    assert (bf + lg.Tensor([1.0], device=device)).dtype == lg.float32
    assert (bf + lg.Tensor([1], device=device)).dtype == lg.bfloat16
    assert (bf * 2.5).dtype == lg.bfloat16


def test_sum_accumulates_in_float32(device):
    _need_bfloat16(device)
    x = lg.ones(4096, dtype=lg.bfloat16, device=device)
    assert x.sum().item() == 4096.0  # a bfloat16 accumulator would stop at 256
    assert x.sum().dtype == lg.bfloat16


def test_casts_and_bitcasts(device):
    _need_bfloat16(device)
    x = lg.Tensor([1.5, -2.0, 65504.0], dtype=lg.bfloat16, device=device)
    assert x.float().tolist() == [1.5, -2.0, 65536.0]
    assert x.int().tolist() == [1, -2, 65536]
    bits = x.bitcast(lg.uint16)
    assert bits.tolist() == [0x3FC0, 0xC000, 0x4780]
    assert bits.bitcast(lg.bfloat16).tolist() == x.tolist()


def test_opencl_says_it_has_no_bfloat16():
    if not any(d.name == "opencl" and d.available for d in lg.devices()):
        pytest.skip("no OpenCL device here")
    x = lg.Tensor([1.0], dtype=lg.bfloat16, device="opencl")
    with pytest.raises(lg.DTypeError, match="bfloat16"):
        (x * 2).numpy()


def test_a_kernel_that_only_stores_bfloat16_constants_compiles(device):
    """full/zeros in bfloat16 render only the float32 -> bfloat16 conversion, whose helper
    must be defined too (it was left out: 'undefined symbol: lg_f32_to_bf16')."""
    _need_bfloat16(device)
    assert lg.full((2,), 1.5, dtype=lg.bfloat16, device=device).tolist() == [1.5, 1.5]
    assert lg.zeros(3, dtype=lg.bfloat16, device=device).tolist() == [0.0, 0.0, 0.0]
