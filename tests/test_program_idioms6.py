"""Idioms that real PyTorch programs (probe round 6: DCGAN, siamese, actor-critic, GCN, ...)
use, each compared with torch 2.13: values, error classes and messages."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("pieces", [[(), ()], [(1,), ()], [(0,), ()]])
def test_cat_refuses_a_zero_dimensional_tensor_as_torch(pieces, device):
    with pytest.raises(RuntimeError) as theirs:
        torch.cat([torch.ones(s) for s in pieces])
    with pytest.raises(RuntimeError) as ours:
        lg.cat([lg.ones(s, device=device) for s in pieces])
    assert str(ours.value) == str(theirs.value)


def test_cat_of_no_tensors_is_torchs_value_error():
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        torch.cat([])
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        lg.cat([])


@pytest.mark.parametrize("data", [range(4), (1, 2), [3]])
def test_legacy_constructors_take_any_sequence_as_torch(data, device):
    ours, theirs = lg.LongTensor(data, device=device), torch.LongTensor(data)
    assert ours.tolist() == theirs.tolist() and ours.dtype == lg.int64


@pytest.mark.parametrize("data", [{1, 2}, "ab", (x for x in range(2))])
def test_legacy_constructors_refuse_what_is_not_a_sequence_as_torch(data):
    with pytest.raises(TypeError) as theirs:
        torch.LongTensor(data)
    with pytest.raises(TypeError) as ours:
        lg.LongTensor(data)
    assert str(ours.value) == str(theirs.value)


SUBLISTS = [  # (shapes, sublist arguments with operand positions as ints)
    ([(3, 4), (4, 2)], ["A", [0, 1], "B", [1, 2], [0, 2]]),
    ([(3, 4), (4, 2)], ["A", [0, 1], "B", [1, 2]]),
    ([(2, 3, 4)], ["A", [Ellipsis, 0, 1], [Ellipsis, 1, 0]]),
    ([(2, 3, 4)], ["A", [Ellipsis, 27, 1]]),
    ([(2, 3)], ["A", [30, 2]]),
]


@pytest.mark.parametrize("shapes, args", SUBLISTS)
def test_einsum_takes_torchs_sublist_form(shapes, args, device):
    arrays = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]

    def call(module, **kw):
        names = {"A": 0, "B": 1}
        return module.einsum(*(module.tensor(arrays[names[a]], **kw) if isinstance(a, str) else a for a in args))
    np.testing.assert_allclose(call(lg, device=device).numpy(), call(torch).numpy(), rtol=1e-5, atol=1e-5)


def test_einsum_sublist_out_of_range_is_torchs_value_error():
    for module in (torch, lg):
        with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
            module.einsum(module.ones(2, 2), [52, 1])
