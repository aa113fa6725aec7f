"""`t.numpy()` of a tensor that requires grad raises torch's RuntimeError (the array would leave
the graph unnoticed); `numpy(force=True)`, `detach().numpy()`, `tolist()`, `item()` and print
still read it."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def test_numpy_of_a_tensor_that_requires_grad_raises_torchs_error(device):
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, requires_grad=True).numpy()
    x = lg.ones(2, device=device, requires_grad=True)
    for read in (x.numpy, lambda: np.asarray(x), (x * 2).numpy):
        with pytest.raises(type(theirs.value)) as ours:
            read()
        assert str(ours.value) == str(theirs.value)


def test_numpy_force_detach_tolist_item_and_print_still_read_it(device):
    x = lg.full((2,), 1.5, device=device, requires_grad=True)
    np.testing.assert_array_equal(x.numpy(force=True), [1.5, 1.5])
    np.testing.assert_array_equal(x.detach().numpy(), [1.5, 1.5])
    assert x.tolist() == [1.5, 1.5] and x.sum().item() == 3.0 and "requires_grad=True" in repr(x)
    assert lg.nn.Linear(2, 2).to(device).weight.detach().numpy().shape == (2, 2)
