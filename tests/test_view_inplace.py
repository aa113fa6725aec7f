"""t_, squeeze_, unsqueeze_, transpose_, swapdims_, swapaxes_: the tensor itself becomes the
view, as in torch (shape and strides change, storage is shared), views made before keep their
shape, writes through either show in both, gradients flow, and the checks are torch's."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = [("t_", (2, 3), ()), ("t_", (3,), ()), ("squeeze_", (2, 1, 3, 1), ()), ("squeeze_", (2, 1, 3), (1,)),
         ("squeeze_", (2, 1, 3), (0,)), ("squeeze_", (2, 1, 3, 1), ((1, 3),)), ("unsqueeze_", (2, 3), (0,)),
         ("unsqueeze_", (2, 3), (-1,)), ("transpose_", (2, 3, 4), (0, 2)), ("transpose_", (2, 3, 4), (-1, 1)),
         ("swapdims_", (2, 3, 4), (0, 1)), ("swapaxes_", (2, 3, 4), (2, 0))]


def _both(shape, device):
    a = np.arange(float(np.prod(shape)), dtype=np.float32).reshape(shape)
    return lg.tensor(a, device=device) * 1, torch.tensor(a) * 1


@pytest.mark.parametrize("name, shape, args", CASES)
def test_the_tensor_itself_takes_torchs_shape_strides_and_values(device, name, shape, args):
    x, tx = _both(shape, device)
    assert getattr(x, name)(*args) is x
    getattr(tx, name)(*args)
    assert tuple(x.shape) == tuple(tx.shape)
    assert x.stride() == tx.stride()
    assert x.is_contiguous() == tx.is_contiguous()
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    assert x._version == tx._version


@pytest.mark.parametrize("realized", [False, True])
@pytest.mark.parametrize("name, shape, args", CASES)
def test_earlier_views_keep_their_shape_and_share_the_storage(device, name, shape, args, realized):
    x, tx = _both(shape, device)
    if realized:
        x.realize()
    view, tview = x.reshape(-1), tx.reshape(-1)
    getattr(x, name)(*args)
    getattr(tx, name)(*args)
    assert tuple(view.shape) == tuple(tview.shape)
    x.mul_(2)  # through the tensor: the earlier view sees it
    tx.mul_(2)
    np.testing.assert_array_equal(view.numpy(), tview.numpy())
    view.add_(1)  # through the view: the tensor sees it
    tview.add_(1)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    later, tlater = x.flatten(), tx.flatten()
    np.testing.assert_array_equal(later.numpy(), tlater.numpy())


def test_a_view_turned_in_place_stays_a_view_of_its_base(device):
    base, tbase = _both((2, 3), device)
    row, trow = base[:, 1:], tbase[:, 1:]
    row.t_()
    trow.t_()
    row.fill_(5.0)
    trow.fill_(5.0)
    np.testing.assert_array_equal(base.numpy(), tbase.numpy())
    assert row.stride() == trow.stride() and tuple(row.shape) == tuple(trow.shape)


def test_gradients_flow_through_the_tensor_turned_in_place(device):
    a = np.arange(6.0).reshape(2, 3)
    z = lg.tensor(a, device=device, requires_grad=True)
    tz = torch.tensor(a, requires_grad=True)
    w, tw = z * 2, tz * 2
    w.t_().unsqueeze_(0)
    tw.t_().unsqueeze_(0)
    weights = np.random.default_rng(0).standard_normal(tuple(tw.shape))
    (w * lg.tensor(weights, device=device)).sum().backward()
    (tw * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), tz.grad.numpy())


def test_torchs_checks_and_errors(device):
    leaf = lg.ones(2, 3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.t_()
    with lg.no_grad():
        leaf.t_()
    assert tuple(leaf.shape) == (3, 2)
    with pytest.raises(RuntimeError, match=r"t_\(\) expects a tensor with <= 2 dimensions, but self is 3D"):
        lg.zeros(2, 3, 4, device=device).t_()
    with pytest.raises(IndexError):
        lg.zeros(2, device=device).unsqueeze_(3)
    with pytest.raises(IndexError):
        lg.zeros(2, device=device).transpose_(0, 1)
