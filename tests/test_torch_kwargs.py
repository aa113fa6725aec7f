"""torch's keyword conventions that hold for every op: axis= and keepdims= (numpy's names),
out= on the torch.* functions, and format() of a 0-d tensor; compared with torch."""
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
X = [[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]

CALLS = {  # name: f(module, x), written with numpy's names
    "sum axis": lambda T, x: x.sum(axis=0),
    "mean axis keepdims": lambda T, x: x.mean(axis=1, keepdims=True),
    "amax keepdims": lambda T, x: x.amax(1, keepdims=True),
    "argmax axis": lambda T, x: x.argmax(axis=1),
    "max axis": lambda T, x: x.max(axis=1).values,
    "softmax axis": lambda T, x: x.softmax(axis=0),
    "cumsum axis": lambda T, x: x.cumsum(axis=1),
    "cat axis": lambda T, x: T.cat([x, x], axis=1),
    "stack axis": lambda T, x: T.stack([x, x], axis=2),
    "module sum": lambda T, x: T.sum(x, axis=1, keepdims=True),
    "unsqueeze axis": lambda T, x: x.unsqueeze(axis=0),
}


@pytest.mark.parametrize("name", CALLS)
def test_numpy_names_for_dim_and_keepdim(name, device):
    ours = CALLS[name](lg, lg.tensor(X, device=device))
    theirs = CALLS[name](torch, torch.tensor(X))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    for module in (lg, torch):  # dim twice
        with pytest.raises(TypeError):
            module.tensor(X).sum(0, axis=0)
        with pytest.raises(TypeError):
            module.tensor(X).sum(dim=0, axis=0)


def test_out_writes_into_the_tensor_given_and_returns_it(device):
    x = lg.tensor(X, device=device)
    out = lg.empty(2, 3, device=device)
    assert lg.add(x, x, out=out) is out and out.tolist() == (torch.tensor(X) * 2).tolist()
    values, indices = lg.empty(2, device=device), lg.empty(2, dtype=lg.int64, device=device)
    lg.max(x, 1, out=(values, indices))
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [2, 1]
    ints = lg.zeros(3, dtype=lg.int64, device=device)
    assert lg.arange(3, out=ints) is ints and ints.tolist() == [0, 1, 2]
    wide = lg.zeros(2, 3, dtype=lg.float64, device=device)
    lg.mul(x, 2, out=wide)  # a float result into a wider float: cast, as torch
    assert wide.dtype == lg.float64 and wide.tolist() == (torch.tensor(X) * 2).tolist()


def test_out_of_another_shape_is_resized_as_torch(device):
    x = lg.tensor(X, device=device)
    empty = lg.empty(0, device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty out is resized silently
        lg.matmul(x, x.T, out=empty)
    assert empty.shape == (2, 2) and empty.tolist() == (torch.tensor(X) @ torch.tensor(X).T).tolist()
    held = lg.zeros(5, device=device)
    t_held = torch.zeros(5)
    with pytest.warns(UserWarning, match="resized"):
        lg.neg(x, out=held)
    with pytest.warns(UserWarning, match="resized"):
        torch.neg(torch.tensor(X), out=t_held)
    assert held.tolist() == t_held.tolist()


def test_out_errors_are_torchs():
    x = lg.tensor(X)
    for module, a in ((lg, x), (torch, torch.tensor(X))):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            module.add(a, a, out=module.empty(2, 3, dtype=module.int64))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            module.mul(a.clone().requires_grad_(), 2, out=module.empty(2, 3))


def test_format_of_a_zero_dim_tensor_formats_its_number():
    for module in (lg, torch):
        t = module.tensor(X)
        assert format(t.sum(), "+.2f") == "+5.00" and f"{t.max():.1f}" == "5.0"
        with pytest.raises(TypeError, match="unsupported format string"):
            format(t, ".2f")
