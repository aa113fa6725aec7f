"""A Python number as the first argument of a module-level function, as torch's argument parser
takes it: add, sub, mul, div (and aliases) let it stand for a tensor, pow, remainder, xlogy, the
bitwise ops and others have a Scalar-self overload; it is a wrapped number, so the tensor
operand decides the dtype. Elsewhere it is torch's TypeError. (It was Tensor(2), the legacy
constructor's two uninitialized elements: lg.add(3, x) gave silent garbage.)"""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CALLS = {
    "add": lambda T, n, x: T.add(n, x, alpha=2),
    "sub": lambda T, n, x: T.sub(n, x),
    "subtract": lambda T, n, x: T.subtract(n, x),
    "mul": lambda T, n, x: T.mul(n, x),
    "div": lambda T, n, x: T.div(n, x + 3),
    "true_divide": lambda T, n, x: T.true_divide(n, x + 3),
    "floor_divide": lambda T, n, x: T.floor_divide(n, x + 3),
    "pow": lambda T, n, x: T.pow(n, exponent=x),
    "remainder": lambda T, n, x: T.remainder(n, x + 3),
    "float_power": lambda T, n, x: T.float_power(n, x),
    "xlogy": lambda T, n, x: T.xlogy(n, x + 3),
    "special.xlogy": lambda T, n, x: T.special.xlogy(n, x + 3),
    "special.xlog1py": lambda T, n, x: T.special.xlog1py(n, x + 3),
    "bitwise_and": lambda T, n, x: T.bitwise_and(int(n), x.long()),
    "bitwise_left_shift": lambda T, n, x: T.bitwise_left_shift(int(n), x.long().abs()),
}
OPERANDS = {  # the tensor's dtype: (the number, its values); the wrapped number never widens it
    "float32": (3, [0.5, 1.0, 2.0]),
    "int32": (2.5, [1, 2, 0]),
    "uint8": (True, 2),
    "float16": (1.5, [1.0, 2.0, 0.25]),
}


def _run(T, call, dtype, **kw):
    n, values = OPERANDS[dtype]
    out = call(T, n, T.tensor(values, dtype=getattr(T, dtype), **kw))
    return out.dtype, tuple(out.shape), out.cpu().float().numpy()


@pytest.mark.parametrize("dtype", OPERANDS)
@pytest.mark.parametrize("name", CALLS)
def test_a_number_as_input_is_a_wrapped_number(device, name, dtype):
    try:
        theirs = _run(torch, CALLS[name], dtype)
    except (RuntimeError, NotImplementedError):  # (an op torch has no kernel for, for that dtype)
        pytest.skip("torch has no kernel for this dtype")
    ours = _run(lg, CALLS[name], dtype, device=device)
    assert str(ours[0]).split(".")[-1] == str(theirs[0]).split(".")[-1] and ours[1] == theirs[1]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-3, atol=1e-6)


def test_two_numbers_make_a_0d_tensor_as_in_torch():
    for a, b in ((2, 3), (2, 0.5)):
        ours, theirs = lg.add(a, b), torch.add(a, b)
        assert ours.item() == theirs.item() and str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


@pytest.mark.parametrize("name", ["exp", "maximum", "atan2", "sum", "abs", "dist"])
def test_a_number_where_torch_wants_a_tensor_is_its_type_error(name):
    x = [1.0, 2.0]
    for T in (lg, torch):
        args = (2,) if name in ("exp", "sum", "abs") else (2, T.tensor(x))
        with pytest.raises(TypeError, match=rf"^{name}\(\): argument 'input' \(position 1\) must be Tensor, not int$"):
            getattr(T, name)(*args)


MISPLACED_NUMBERS = {
    "cross": lambda T, x: T.cross(x, 2, dim=0),
    "linalg.cross": lambda T, x: T.linalg.cross(x, 2),
    "method cross": lambda T, x: x.cross(2, dim=0),
    "inner": lambda T, x: T.inner(x, 2),
    "cdist": lambda T, x: T.cdist(x.reshape(1, 3), 2),
    "bucketize": lambda T, x: T.bucketize(x, 2),
    "searchsorted": lambda T, x: T.searchsorted(2, x),
    "cosine_similarity": lambda T, x: T.nn.functional.cosine_similarity(x, 2, 0),
    "pairwise_distance": lambda T, x: T.nn.functional.pairwise_distance(x, 2),
    "lerp": lambda T, x: x.lerp(2, 0.5),
    "take_along_dim": lambda T, x: T.take_along_dim(x, 2),
    "method take_along_dim": lambda T, x: x.take_along_dim(2),
    "masked_fill": lambda T, x: x.masked_fill(2, 1.0),
    "index_select": lambda T, x: x.index_select(0, 2),
    "gather": lambda T, x: x.gather(0, 2),
    "cartesian_prod": lambda T, x: T.cartesian_prod(x, 2),
    "block_diag": lambda T, x: T.block_diag(x, 2),
    "stack": lambda T, x: T.stack([x, 2]),
    "trapezoid": lambda T, x: T.trapezoid(x, 2),
    "cumulative_trapezoid": lambda T, x: T.cumulative_trapezoid(x, 2),
}


@pytest.mark.parametrize("name", MISPLACED_NUMBERS)
def test_a_number_for_a_tensor_argument_is_torchs_type_error(device, name):
    """A number where torch takes only a tensor is torch's TypeError with its first line (it
    was an AttributeError on an int inside lazygrad, or it ran)."""
    call = MISPLACED_NUMBERS[name]
    with pytest.raises(TypeError) as theirs:
        call(torch, torch.ones(3))
    with pytest.raises(TypeError) as ours:
        call(lg, lg.ones(3, device=device))
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]
