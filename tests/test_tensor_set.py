"""Tensor.set_ and torch.as_strided_ against torch: the tensor takes another's storage (writes
through either show in both, old views keep the old storage), the restriding forms, and the
refusals (another dtype, a leaf that requires grad)."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _program(m, device=None):
    kw = {} if m is torch else {"device": device}
    x, y = m.zeros(3, **kw), m.arange(4.0, **kw)
    old_view = x[1:]
    assert x.set_(y) is x
    assert x.is_set_to(y)
    x[0] = 5
    y.add_(1)
    old_view.fill_(7)
    return [x.numpy().copy(), y.numpy().copy(), old_view.numpy().copy(), tuple(x.shape), x.stride(),
            x.storage_offset()]


def test_set_shares_the_source_storage_as_torch(device):
    ours, theirs = _program(lg, device), _program(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("args", [(1, (2,), (1,)), (0, (2,), (2,)), (0, (2, 2), (1, 2))])
def test_set_with_offset_size_and_stride_as_torch(device, args):
    z, tz = lg.arange(8.0, device=device), torch.arange(8.0)
    ours = lg.zeros(1, device=device).set_(z[2:], *args)
    theirs = torch.zeros(1).set_(tz[2:], *args)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert (ours.stride(), ours.storage_offset()) == (theirs.stride(), theirs.storage_offset())
    ours.mul_(-1)
    theirs.mul_(-1)
    np.testing.assert_array_equal(z.numpy(), tz.numpy())


def test_set_of_a_transposed_or_lazy_source(device):
    base = lg.arange(6.0, device=device).reshape(2, 3)
    x = lg.zeros(1, device=device).set_(base.t())
    assert x.stride() == torch.zeros(1).set_(torch.arange(6.0).reshape(2, 3).t()).stride()
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3).T)
    lazy = lg.arange(4.0, device=device) * 2
    y = lg.zeros(1, device=device).set_(lazy)
    y.mul_(10)
    np.testing.assert_array_equal(lazy.numpy(), [0, 20, 40, 60])


def test_set_with_no_source_empties_the_tensor(device):
    x = lg.ones(3, device=device)
    view = x[:2]
    x.set_()
    theirs = torch.ones(3).set_()
    assert (tuple(x.shape), x.stride()) == (tuple(theirs.shape), theirs.stride())
    np.testing.assert_array_equal(view.numpy(), [1, 1])


def test_set_refuses_as_torch(device):
    for m, kw in ((lg, {"device": device}), (torch, {})):
        with pytest.raises(RuntimeError, match="Could not set tensor of type long int to a tensor of type float"):
            m.zeros(2, **kw).set_(m.zeros(2, dtype=m.int64, **kw))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            m.zeros(2, requires_grad=True, **kw).set_(m.zeros(2, **kw))
    with pytest.raises(NotImplementedError, match="storage"):
        lg.zeros(2, device=device).set_(lg.arange(3.0, device=device).untyped_storage())


def test_torch_as_strided_underscore_restrides_in_place(device):
    ours, theirs = lg.arange(6.0, device=device), torch.arange(6.0)
    assert lg.as_strided_(ours, (2, 2), (1, 2), 1) is ours
    torch.as_strided_(theirs, (2, 2), (1, 2), 1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert (ours.stride(), ours.storage_offset()) == (theirs.stride(), theirs.storage_offset())
