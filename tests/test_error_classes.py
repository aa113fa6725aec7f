"""Errors of torch's classes (issue 14, part 2): where torch raises RuntimeError, IndexError,
ValueError or TypeError, lazygrad raises an instance of the same built-in class (its own
classes subclass several where torch's differ between ops), so code that catches torch's
class works unchanged."""
from __future__ import annotations

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _cases(T, dev):
    def a(*s):
        return T.ones(*s, device=dev)
    return {
        "matmul mismatch": lambda: a(2, 3) @ a(4, 5),
        "reshape": lambda: a(2, 3).reshape(4),
        "permute repeats a dim": lambda: a(2, 3).permute(0, 0),
        "flip repeats a dim": lambda: a(2, 3).flip((0, 0)),
        "unknown rounding_mode": lambda: T.div(a(2), a(2), rounding_mode="round"),
        "cat of nothing": lambda: T.cat([]),
        "stack of nothing": lambda: T.stack([]),
        "item of many": lambda: a(3).item(),
        "conv2d channels": lambda: T.nn.functional.conv2d(a(1, 3, 5, 5), a(2, 4, 3, 3)),
        "layer_norm shape": lambda: T.nn.functional.layer_norm(a(2, 3), (4,)),
        "arange step 0": lambda: T.arange(0, 10, 0, device=dev),
        "negative size": lambda: T.zeros(-1, device=dev),
        "pow_ of an int by a float": lambda: T.tensor([2], device=dev).pow_(0.5),
        "embedding of floats": lambda: T.nn.functional.embedding(a(2), a(3, 2)),
        "max of nothing": lambda: T.ones(0, device=dev).max(),
        "max of nothing along a dim": lambda: T.ones(0, 3, device=dev).amax(0),
        "argmax of nothing": lambda: T.ones(0, device=dev).argmax(),
        "mean of ints": lambda: T.tensor([1, 2], device=dev).mean(),
        "std of ints": lambda: T.tensor([1, 2], device=dev).std(),
        "too large for int64": lambda: T.tensor([2**70], device=dev),
        "a Python int too large": lambda: T.tensor([1], device=dev) + 2**70,
        "300 as uint8": lambda: T.full((2,), 300, dtype=T.uint8, device=dev),
        "grad of an unused input": lambda: T.autograd.grad((a(2).requires_grad_() * 2).sum(),
                                                           [a(2).requires_grad_()]),

        "conv kernel larger than the input": lambda: T.nn.functional.conv2d(a(1, 1, 2, 2), a(1, 1, 3, 3)),
        "pool kernel larger than the input": lambda: T.nn.functional.max_pool2d(a(1, 1, 2, 2), 3),
        "clamp with neither bound": lambda: a(3).clamp(),
        "cross_entropy probabilities of another shape": lambda: T.nn.functional.cross_entropy(a(3, 4), a(3, 5)),
        "scatter of another dtype": lambda: a(3, 4).half().scatter(1, T.tensor([[0]], device=dev), a(3, 4)),
        "scatter_reduce of another dtype": lambda: a(3, 4).half().scatter_reduce(1, T.tensor([[0]], device=dev),
                                                                                a(3, 4), "sum"),
        "pad in an unknown mode": lambda: T.nn.functional.pad(a(2, 3), (1, 1), mode="typo"),
        "linspace of bools": lambda: T.linspace(5, 10, 3, dtype=T.bool, device=dev),
        "linspace of negative steps": lambda: T.linspace(1, 2, -1, device=dev),
        "attention with a mask and is_causal": lambda: T.nn.functional.scaled_dot_product_attention(
            a(1, 2, 3, 4), a(1, 2, 3, 4), a(1, 2, 3, 4), attn_mask=a(3, 3).requires_grad_(), is_causal=True),
        "query heads not a multiple of key heads": lambda: T.nn.functional.scaled_dot_product_attention(
            a(1, 3, 2, 4), a(1, 2, 2, 4), a(1, 2, 2, 4), enable_gqa=True),
    }


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e)
    return None


@pytest.mark.parametrize("case", sorted(_cases(torch, "cpu")))
def test_lazygrad_raises_an_instance_of_torchs_class(device, case):
    want = _raised(_cases(torch, "cpu")[case])
    got = _raised(_cases(lg, device)[case])
    assert want is not None, f"torch accepts {case}"
    assert got is not None and issubclass(got, want), f"{case}: torch {want.__name__}, lazygrad {got}"


def test_a_buffer_too_large_says_how_much_it_would_need(device):
    if device == "opencl":
        pytest.skip("OpenCL reports its own device limit (DeviceError), tested in test_opencl")
    with pytest.raises(RuntimeError, match=r"would need 3725 GiB"):
        lg.ones(10**6, 10**6, device=device).realize()


@pytest.mark.parametrize("op", ["a // b", "a % b", "T.div(a, b, rounding_mode='trunc')", "a.fmod(b)",
                                "a.remainder(b)", "a // 0", "a % 0", "(a * 2 - a) // (b * 2 - b)"])
def test_integer_division_by_zero_raises_as_torchs(device, op):
    """torch raises RuntimeError("ZeroDivisionError"); the kernel alone would give 0. A lazy
    divisor is checked on the device with the next realize."""
    def run(T, dev):
        a, b = T.tensor([5, -3], device=dev), T.tensor([0, 2], device=dev)
        return eval(op, {"a": a, "b": b, "T": T}).tolist()
    want, got = _raised(lambda: run(torch, "cpu")), _raised(lambda: run(lg, device))
    assert want is RuntimeError and got is not None and issubclass(got, RuntimeError), (want, got)
    assert lg.tensor([7, -7], device=device).__floordiv__(lg.tensor([2, 2], device=device)).tolist() == [3, -4]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_a_shift_by_the_width_or_more_is_torchs(device, dtype):
    """C leaves it undefined (x86 and OpenCL shift modulo the width: 1 << 70 gave 64); torch
    gives 0, and -1 for a negative number shifted right. Found by the IR fuzz."""
    def run(T, dev):
        dt = getattr(T, dtype)
        a = T.tensor([1, 5, 100], dtype=dt, device=dev)
        s = T.tensor([70, 1, 8], dtype=dt, device=dev)
        out = [(a << s).tolist(), (a >> s).tolist(), (a << 33).tolist()]
        if dtype != "uint8":
            n = T.tensor([-8, -1], dtype=dt, device=dev)
            out.append((n >> T.tensor([64, 3], dtype=dt, device=dev)).tolist())
        return out
    assert run(lg, device) == run(torch, "cpu")
