"""torch's keyword spellings of varargs ops and of its other overloads, against torch: the
sequence of x.permute / flip / view / reshape / torch.zeros ... by name, x.split(split_size=),
x.tensor_split(indices=), torch.where(condition=, input=, other=), and the TypeError torch
raises for a sequence given twice."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg

X = np.arange(6.0, dtype=np.float32).reshape(2, 3)

CASES = {  # name: f(T, x) with T the namespace (torch or lazygrad)
    "flip": lambda T, x: T.flip(x, dims=[1]),
    "method_flip": lambda T, x: x.flip(dims=(0,)),
    "permute": lambda T, x: x.permute(dims=(1, 0)),
    "torch_permute": lambda T, x: T.permute(x, dims=(1, 0)),
    "tile": lambda T, x: T.tile(x, dims=(2,)),
    "repeat": lambda T, x: x.repeat(repeats=(2, 1)),
    "view": lambda T, x: x.view(size=(3, 2)),
    "view_dtype": lambda T, x: x.view(dtype=T.int32),
    "reshape": lambda T, x: T.reshape(x, shape=(3, 2)),
    "expand": lambda T, x: x[:1].expand(size=(2, 3)),
    "new_zeros": lambda T, x: x.new_zeros(size=(2,)),
    "new_ones": lambda T, x: x.new_ones(size=(1, 2)),
    "sum_to_size": lambda T, x: x.sum_to_size(size=(1, 3)),
    "zeros": lambda T, x: T.zeros(size=(2, 1)),
    "ones": lambda T, x: T.ones(size=(2,), dtype=T.int64),
    "empty_shape": lambda T, x: T.tensor(list(T.empty(size=(2, 3)).shape)),
    "split": lambda T, x: x.split(split_size=[1, 1], dim=0)[1],
    "tensor_split": lambda T, x: T.tensor_split(x, indices=[1], dim=1)[1],
    "tensor_split_sections": lambda T, x: x.tensor_split(sections=3, dim=1)[2],
    "where": lambda T, x: T.where(condition=x > 2, input=x, other=x * 0),
}


@pytest.mark.parametrize("name", CASES)
def test_keyword_spellings_as_torch(device, name):
    ours = CASES[name](lg, lg.tensor(X, device=device))
    theirs = CASES[name](torch, torch.tensor(X))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("call", [lambda T, x: x.permute(1, 0, dims=(1, 0)), lambda T, x: T.zeros(2, size=(2,))])
def test_a_sequence_given_twice_is_a_type_error(device, call):
    with pytest.raises(TypeError):
        call(torch, torch.tensor(X))
    with pytest.raises(TypeError, match="multiple values"):
        call(lg, lg.tensor(X, device=device))


def test_where_by_keyword_keeps_its_gradient(device):
    x = lg.tensor(X, device=device, requires_grad=True)
    lg.where(condition=x > 2, input=x * 3, other=x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(X > 2, 3.0, 1.0))
