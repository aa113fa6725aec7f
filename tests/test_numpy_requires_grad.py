"""`t.numpy()` of a tensor that requires grad returns its values (torch raises: a documented
difference, docs/differences-from-torch.md; other libraries' tests read such tensors);
`numpy(force=True)`, `detach().numpy()`, `tolist()`, `item()` and print read it too."""
import numpy as np

import lazygrad as lg


def test_numpy_of_a_tensor_that_requires_grad_returns_its_values(device):
    x = lg.full((2,), 1.5, device=device, requires_grad=True)
    for read, want in ((x.numpy, [1.5, 1.5]), (lambda: np.asarray(x), [1.5, 1.5]), ((x * 2).numpy, [3.0, 3.0])):
        np.testing.assert_array_equal(read(), want)
    assert x.requires_grad and x.grad is None  # reading leaves the graph alone
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_numpy_force_detach_tolist_item_and_print_still_read_it(device):
    x = lg.full((2,), 1.5, device=device, requires_grad=True)
    np.testing.assert_array_equal(x.numpy(force=True), [1.5, 1.5])
    np.testing.assert_array_equal(x.detach().numpy(), [1.5, 1.5])
    assert x.tolist() == [1.5, 1.5] and x.sum().item() == 3.0 and "requires_grad=True" in repr(x)
    assert lg.nn.Linear(2, 2).to(device).weight.detach().numpy().shape == (2, 2)
