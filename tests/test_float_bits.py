"""frexp, ldexp, nextafter (a float's exponent and bits) and gcd, lcm against torch: values at
zeros, subnormals, infinities and NaN, dtypes, gradients and error classes."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

FLOATS = [0.0, -0.0, 1.0, -3.5, 0.1, 1e-40, -1e-45, 3e38, -3e38, 1e-30, math.inf, -math.inf, math.nan, 6.5e4, 2.0**-14]
DOUBLES = FLOATS + [1e-300, 5e-324, -2.2e-308, 1.7e308, 1e-320]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_frexp_gives_torchs_mantissas_and_exponents(device, dtype):
    values = DOUBLES if dtype == "float64" else FLOATS
    t = torch.tensor(values, dtype=getattr(torch, dtype))
    mantissa, exponent = lg.tensor(t.float().numpy() if dtype != "float64" else t.numpy(),
                                   dtype=getattr(lg, dtype), device=device).frexp()
    ref = torch.frexp(t)
    assert mantissa.dtype == getattr(lg, dtype) and exponent.dtype == lg.int32
    np.testing.assert_array_equal(mantissa.float().numpy(), ref.mantissa.float().numpy())
    np.testing.assert_array_equal(np.signbit(mantissa.float().numpy()), np.signbit(ref.mantissa.float().numpy()))
    np.testing.assert_array_equal(exponent.numpy(), ref.exponent.numpy())
    assert lg.frexp(lg.tensor([8.0], device=device)).exponent.tolist() == [4]


def test_frexp_gradient_and_errors_are_torchs(device):
    a = np.array([1.5, -0.1, 12.0, 0.0])
    x = lg.tensor(a, device=device, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    x.frexp().mantissa.sum().backward()
    torch.frexp(tx).mantissa.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    with pytest.raises(RuntimeError, match="only supports floating-point dtypes"):
        lg.tensor([1, 2], device=device).frexp()


def test_ldexp_multiplies_by_a_power_of_two_in_torchs_dtypes(device):
    cases = [(np.array([1, 2]), np.array([3, 4])), (np.array([1.0, -2.0], np.float32), np.array([3.5, -200.0], np.float32)),
             (np.array([1.0, 3.0]), np.array([-1070, 1000])), (np.array([0.75], np.float32), np.array([2.0]))]
    for a, e in cases:
        ours = lg.ldexp(lg.tensor(a, device=device), lg.tensor(e, device=device))
        theirs = torch.ldexp(torch.tensor(a), torch.tensor(e))
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    x = lg.tensor([1.0, 2.0], device=device, requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    x.ldexp(lg.tensor([3, -1], device=device)).sum().backward()
    torch.ldexp(tx, torch.tensor([3, -1])).sum().backward()
    # 2^other: torch's backward takes pow(2, other) in the integers, 0 for other < 0
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 0.5])
    assert tx.grad.tolist() == [8.0, 0.0]
    y = lg.tensor([1.0, 2.0], device=device)
    assert y.ldexp_(lg.tensor([2, 2], device=device)) is y and y.tolist() == [4.0, 8.0]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_ldexp_and_floor_divide_keep_a_half_type_as_torch_does(device, dtype):
    exponents = {"int32": [1, 20, -3], "int64 0-d": 3, "float64 0-d": 2.0, "float32": [1.0, 2.0, 0.5]}
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor([1.5e-4, -2.0, 3.0], dtype=getattr(T, dtype), **kw)
        found = []
        for name, e in exponents.items():
            dt = getattr(T, name.split()[0])
            found.append(T.ldexp(x, T.tensor(e, dtype=dt, **kw)))
        found += [x // T.tensor([0.5, 0.0, -1.25], dtype=x.dtype, **kw), T.floor_divide(x, 0.7), 1.5 // x]
        if T is lg:
            ours = found
        else:
            theirs = found
    for a, b in zip(ours, theirs):
        assert a.dtype.name == str(b.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(a.float().numpy(), b.float().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_nextafter_steps_one_float_towards_the_other(device, dtype):
    tdt = getattr(torch, dtype)
    xs = [0.0, -0.0, 1.0, 1.0, math.inf, math.nan, -1.0, 1e-30, 2.0, 5.0, -0.0, 1e-45, 3e38]
    ys = [-1.0, 1.0, 2.0, 0.0, 0.0, 1.0, -math.inf, 0.0, 2.0, math.nan, -0.0, -1.0, math.inf]
    tx, ty = torch.tensor(xs, dtype=tdt), torch.tensor(ys, dtype=tdt)
    ours = lg.tensor(tx.double().numpy(), dtype=getattr(lg, dtype), device=device).nextafter(
        lg.tensor(ty.double().numpy(), dtype=getattr(lg, dtype), device=device))
    theirs = torch.nextafter(tx, ty)
    assert ours.dtype == getattr(lg, dtype)
    np.testing.assert_array_equal(ours.double().numpy(), theirs.double().numpy())
    np.testing.assert_array_equal(np.signbit(ours.double().numpy()), np.signbit(theirs.double().numpy()))


def test_nextafter_gradient_and_errors_are_torchs(device):
    x = lg.tensor([1.5, -2.0], device=device, requires_grad=True)
    y = lg.tensor([2.0, -3.0], device=device, requires_grad=True)
    tx = torch.tensor([1.5, -2.0], requires_grad=True)
    ty = torch.tensor([2.0, -3.0], requires_grad=True)
    lg.nextafter(x, y).sum().backward()
    torch.nextafter(tx, ty).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert y.grad is None or not y.grad.numpy().any()
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        lg.nextafter(lg.tensor([1], device=device), lg.tensor([2], device=device))
    z = lg.tensor([1.0], device=device)
    assert z.nextafter_(lg.tensor([2.0], device=device)) is z and z.item() == float(np.nextafter(np.float32(1), 2))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
def test_gcd_and_lcm_are_torchs_for_every_integer_dtype(device, dtype):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    hi = min(info.max, 10**6)
    lo = 0 if info.min == 0 else -hi
    a = np.concatenate([rng.integers(lo, hi, 200), [0, 0, 7, 12, hi]]).astype(dtype)
    b = np.concatenate([rng.integers(lo, hi, 200), [0, 5, 0, 18, hi - 1]]).astype(dtype)
    if dtype == "int64":  # the worst case for Euclid: consecutive Fibonacci numbers
        a[0], b[0] = 7540113804746346429, 4660046610375530309
    ta, tb = torch.tensor(a), torch.tensor(b)
    x, y = lg.tensor(a, device=device), lg.tensor(b, device=device)
    np.testing.assert_array_equal(lg.gcd(x, y).numpy(), torch.gcd(ta, tb).numpy())
    small = np.lcm(a.astype(np.int64), b.astype(np.int64)) <= info.max  # (where lcm overflows, torch's wraps its own way)
    np.testing.assert_array_equal(lg.lcm(x, y).numpy()[small], torch.lcm(ta, tb).numpy()[small])
    assert lg.gcd(x, y).dtype == getattr(lg, dtype)


def test_gcd_and_lcm_promote_refuse_floats_and_write_in_place(device):
    x = lg.tensor([12, 18], dtype=lg.uint8, device=device)
    assert lg.gcd(x, lg.tensor([8, 27], device=device)).dtype == lg.int64
    for name in ("gcd", "lcm"):
        with pytest.raises(NotImplementedError, match=f'"{name}_cpu" not implemented for \'Float\''):
            getattr(lg, name)(lg.tensor([1.0], device=device), lg.tensor([2.0], device=device))
        with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
            getattr(lg, name)(lg.tensor([True], device=device), lg.tensor([True], device=device))
        with pytest.raises(TypeError, match="must be Tensor, not int"):
            getattr(lg, name)(lg.tensor([6], device=device), 4)
    z = lg.tensor([12, 7], device=device)
    assert z.gcd_(lg.tensor([18, 21], device=device)) is z and z.tolist() == [6, 7]
    assert z.lcm_(lg.tensor([4, 3], device=device)) is z and z.tolist() == [12, 21]
