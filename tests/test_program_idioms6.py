"""Idioms that real PyTorch programs (probe round 6: DCGAN, siamese, actor-critic, GCN, ...)
use, each compared with torch 2.13: values, error classes and messages."""
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
