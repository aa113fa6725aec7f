"""as_strided and its family against torch: values, strides, writes through the view reaching
the base, gradients, and torch's errors."""
import numpy as np
import pytest
import torch

import lazygrad as lg

CASES = [((2, 2), (1, 1), None), ((2, 3), (1, 2), None), ((2, 2), (1, 2), 1), ((2, 2), (0, 1), None),
         ((2,), (3,), None), ((), (), 4), ((3, 1, 2), (1, 7, 2), None), ((0, 3), (100, 1), 5),
         ((2, 2, 2), (1, 2, 1), None)]


@pytest.mark.parametrize("size,stride,offset", CASES)
def test_as_strided_reads_the_storage_as_torch(device, size, stride, offset):
    x, tx = lg.arange(6.0, device=device), torch.arange(6.0)
    y, ty = x.as_strided(size, stride, offset), tx.as_strided(size, stride, offset)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    assert y.stride() == ty.stride() and y.storage_offset() == ty.storage_offset()


def test_as_strided_reads_torch_storage_order_of_a_transposed_result(device):
    a = lg.arange(6.0, device=device).reshape(2, 3).t() * 1
    ta = torch.arange(6.0).reshape(2, 3).t() * 1
    np.testing.assert_array_equal(a.as_strided((6,), (1,)).numpy(), ta.as_strided((6,), (1,)).numpy())


def test_as_strided_of_a_view_reads_its_base_storage(device):
    v, tv = lg.arange(6.0, device=device)[2:], torch.arange(6.0)[2:]
    np.testing.assert_array_equal(v.as_strided((3,), (1,), 1).numpy(), tv.as_strided((3,), (1,), 1).numpy())
    np.testing.assert_array_equal(v.as_strided((2,), (2,)).numpy(), tv.as_strided((2,), (2,)).numpy())


def test_a_write_through_as_strided_reaches_the_base(device):
    x, tx = lg.arange(6.0, device=device), torch.arange(6.0)
    x.as_strided((2, 2), (1, 2), 1).mul_(10)
    tx.as_strided((2, 2), (1, 2), 1).mul_(10)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())


def test_a_write_into_an_as_strided_view_holding_an_element_twice_raises(device):
    x = lg.arange(6.0, device=device)
    with pytest.raises(RuntimeError, match="more than one element"):
        x.as_strided((2, 2), (0, 1)).add_(1)
    with pytest.raises(RuntimeError, match="holds one storage element twice"):
        x.as_strided((2, 2), (1, 1)).add_(1)  # torch's answer depends on its loop order


def test_as_strided_gradient_sums_where_elements_repeat(device):
    w, tw = lg.arange(6.0, device=device, requires_grad=True), torch.arange(6.0, requires_grad=True)
    m = [[1.0, 2.0], [3.0, 4.0]]
    (w.as_strided((2, 2), (1, 1)) * lg.tensor(m, device=device)).sum().backward()
    (tw.as_strided((2, 2), (1, 1)) * torch.tensor(m)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())


def test_as_strided_of_a_view_that_requires_grad_outside_it_refuses():
    b = lg.arange(6.0, requires_grad=True)
    with pytest.raises(NotImplementedError):
        b[1:].as_strided((3,), (1,), 0)


@pytest.mark.parametrize("size,stride,offset,match", [
    ((2,), (-1,), None, "Negative strides"), ((7,), (1,), None, "out of bounds"),
    ((2,), (1,), -1, "invalid storage offset"), ((2, 2), (1,), None, "mismatch in length")])
def test_as_strided_errors_are_torchs(size, stride, offset, match):
    with pytest.raises(RuntimeError, match=match):
        torch.arange(6.0).as_strided(size, stride, offset)
    with pytest.raises(RuntimeError, match=match):
        lg.arange(6.0).as_strided(size, stride, offset)


def test_as_strided_copy_is_contiguous(device):
    y = lg.as_strided_copy(lg.arange(6.0, device=device), (2, 3), (1, 2))
    ty = torch.as_strided_copy(torch.arange(6.0), (2, 3), (1, 2))
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    assert y.stride() == ty.stride()


@pytest.mark.parametrize("make,size,stride", [
    (lambda m: m.zeros(6), (2, 2), (1, 1)), (lambda m: m.zeros(6)[1:], (2, 2), (2, 1)),
    (lambda m: m.zeros(6).reshape(2, 3).t(), (2,), (1,))])
def test_as_strided_scatter_as_torch(device, make, size, stride):
    src = np.arange(1.0, 1.0 + int(np.prod(size)), dtype=np.float32).reshape(size)
    got = lg.as_strided_scatter(make(lg).to(device), lg.tensor(src, device=device), size, stride)
    want = torch.as_strided_scatter(make(torch), torch.tensor(src), size, stride)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_as_strided_scatter_gradients(device):
    x, tx = lg.ones(6, device=device, requires_grad=True), torch.ones(6, requires_grad=True)
    s, ts = lg.ones(2, 2, device=device, requires_grad=True), torch.ones(2, 2, requires_grad=True)
    weights = np.arange(6.0, dtype=np.float32)
    (lg.as_strided_scatter(x, s, (2, 2), (2, 1)) * lg.tensor(weights, device=device)).sum().backward()
    # torch 2.13's as_strided_scatter gives input the gradient of the elements it overwrites
    # (0, 1, 2, 3 here, not 0): the derivative is slice_scatter's, the same function here
    (torch.slice_scatter(tx, ts.reshape(4), 0, 0, 4) * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(s.grad.numpy(), ts.grad.numpy())


def test_as_strided_scatter_errors():
    with pytest.raises(RuntimeError, match="expected src to have a size"):
        lg.as_strided_scatter(lg.zeros(6), lg.ones(3), (2, 2), (1, 1))
    with pytest.raises(RuntimeError, match="refers to a single memory location"):
        lg.as_strided_scatter(lg.zeros(6), lg.ones(2, 2), (2, 2), (0, 1))


def test_as_strided_in_place_changes_the_view_geometry(device):
    v = lg.arange(6.0, device=device)
    vv, tvv = v[2:], torch.arange(6.0)[2:]
    assert vv.as_strided_((2,), (2,), 0) is vv
    tvv.as_strided_((2,), (2,), 0)
    np.testing.assert_array_equal(vv.numpy(), tvv.numpy())
    assert vv.stride() == tvv.stride() and vv.storage_offset() == 0


def test_as_strided_in_place_of_a_base_keeps_its_storage(device):
    r, tr = lg.arange(6.0, device=device), torch.arange(6.0)
    r.as_strided_((2,), (2,), 1)
    tr.as_strided_((2,), (2,), 1)
    r.add_(100)
    tr.add_(100)
    np.testing.assert_array_equal(r.numpy(), tr.numpy())
    np.testing.assert_array_equal(r.as_strided((6,), (1,), 0).numpy(), tr.as_strided((6,), (1,), 0).numpy())


def test_as_strided_in_place_of_a_leaf_that_requires_grad_raises():
    with pytest.raises(RuntimeError, match="leaf Variable"):
        lg.arange(6.0, requires_grad=True).as_strided_((2,), (2,))


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 2), (4, 1)), ((2, 3), (3, 1)), ((3,), (0,))])
def test_empty_strided_has_torchs_strides(device, size, stride):
    t = lg.empty_strided(size, stride, device=device)
    assert t.stride() == torch.empty_strided(size, stride).stride() and t.shape == size
    assert lg.ones(1).new_empty_strided(size, stride, dtype=lg.int64).dtype == lg.int64


def test_empty_permuted_has_torchs_strides(device):
    assert lg.empty_permuted((2, 3, 4), (2, 0, 1), device=device).stride() == (3, 1, 6)
    with pytest.raises(RuntimeError, match="len\\(size\\) = 3"):
        lg.empty_permuted((2, 3, 4), (2, 0))
