"""x.untyped_storage(), x.storage() and lg.is_storage against torch's, on every device: sizes,
the storage's address shared by a tensor and its views, its values, and the deprecation
warning of the typed storage."""
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _pair(device):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x, tx = lg.tensor(a, device=device), torch.tensor(a)
    return x, tx, x[:, 1:], tx[:, 1:]


def test_an_untyped_storage_is_the_whole_storage_in_bytes(device):
    x, _, v, tv = _pair(device)
    s, ts = v.untyped_storage(), tv.untyped_storage()
    assert (s.nbytes(), s.size(), len(s), s.element_size()) == (ts.nbytes(), ts.size(), len(ts), ts.element_size())
    assert s.data_ptr() == x.untyped_storage().data_ptr() == x.data_ptr()  # no view offset
    assert v.data_ptr() - s.data_ptr() == tv.data_ptr() - ts.data_ptr()
    assert s.tolist() == ts.tolist() and s[4] == ts[4]
    assert s.device == v.device and not s.is_shared()


def test_a_typed_storage_warns_and_counts_elements_of_the_dtype(device):
    x, _, v, tv = _pair(device)
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        s = v.storage()
    with warnings.catch_warnings():  # (torch warns once a process)
        warnings.simplefilter("ignore")
        ts = tv.storage()
    assert (s.size(), len(s), s.element_size(), s.nbytes()) == (ts.size(), len(ts), ts.element_size(), ts.nbytes())
    assert s.dtype == lg.float32 and s.tolist() == ts.tolist() and s[5] == ts[5]
    assert s.data_ptr() == x.data_ptr() and s.untyped().nbytes() == ts.untyped().nbytes()


def test_a_tensor_with_no_elements_has_an_empty_storage_at_zero(device):
    s, ts = lg.empty(0, device=device).untyped_storage(), torch.empty(0).untyped_storage()
    assert (s.nbytes(), s.data_ptr(), s.tolist()) == (ts.nbytes(), ts.data_ptr(), ts.tolist())


def test_is_storage_knows_storages_from_tensors(device):
    x, tx, _, _ = _pair(device)
    assert lg.is_storage(x.untyped_storage()) == torch.is_storage(tx.untyped_storage()) is True
    assert lg.is_storage(x) == torch.is_storage(tx) is False
    assert lg.is_storage([1, 2]) is False


def test_a_result_that_asks_for_gradients_has_its_storage_and_address(device):
    """Such a tensor keeps its graph (its value is cached on it): untyped_storage() and
    data_ptr() read the cached value's storage (they raised AttributeError)."""
    x = lg.ones(3, 4, device=device, requires_grad=True)
    tx = torch.ones(3, 4, requires_grad=True)
    y, ty = (x * 2).contiguous(), (tx * 2).contiguous()
    s, ts = y.untyped_storage(), ty.untyped_storage()
    assert s.nbytes() == ts.nbytes() and s.data_ptr() == y.data_ptr() != 0
    assert s.tolist() == ts.tolist() and y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    ty.sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()
