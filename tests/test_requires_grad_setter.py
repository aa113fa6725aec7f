"""`t.requires_grad = True` as torch's: a tensor without history (a view, or an expression, of
tensors that ask for no gradient) becomes a leaf that backward fills, as requires_grad_() makes
it; a tensor with history stays a non-leaf. Before, the attribute made a view a non-leaf whose
.grad stayed None after backward: a gradient silently missing."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

MAKERS = {
    "strided view": lambda x: x[..., 1::2],
    "transpose": lambda x: x.t(),
    "expression": lambda x: x * 2 + 1,
    "reshape": lambda x: x.reshape(3, 2),
}


def _run(lib, make, device):
    kw = {"device": device} if lib is lg else {}
    x = lib.arange(6.0, **kw).reshape(2, 3)
    t = make(x)
    t.requires_grad = True
    (t * t).sum().backward()
    return t.is_leaf, t.grad_fn is None, t.grad.detach().numpy()


@pytest.mark.parametrize("made", MAKERS)
def test_setting_requires_grad_on_a_tensor_without_history_makes_a_leaf_as_torch(made, device):
    ours, theirs = _run(lg, MAKERS[made], device), _run(torch, MAKERS[made], device)
    assert ours[:2] == theirs[:2] == (True, True)
    np.testing.assert_allclose(ours[2], theirs[2])


def test_a_tensor_with_history_refuses_the_flag_as_torch(device):
    for lib in (lg, torch):
        kw = {"device": device} if lib is lg else {}
        w = lib.ones(3, requires_grad=True, **kw)
        y = w * 2
        with pytest.raises(RuntimeError, match=r"^you can only change requires_grad flags of leaf variables\.$"):
            y.requires_grad = True
        for turn_off in (lambda t: setattr(t, "requires_grad", False), lambda t: t.requires_grad_(False)):
            with pytest.raises(RuntimeError, match="leaf variables. If you want to use a computed variable in a "
                                                   "subgraph that doesn't require differentiation use "
                                                   "var_no_grad = var.detach()."):
                turn_off(y)
        assert y.requires_grad_(True) is y  # (allowed: it already requires grad)
        (y * 3).sum().backward()
        assert not y.is_leaf and y.grad_fn is not None
        np.testing.assert_allclose(w.grad.detach().numpy(), [6.0, 6.0, 6.0])


def test_setting_it_back_and_again_and_on_integers(device):
    t = lg.ones(2, device=device)
    t.requires_grad = True
    t.requires_grad = False
    assert not t.requires_grad and t.is_leaf
    with pytest.raises(lg.DTypeError, match="only floating point tensors can require gradients"):
        lg.ones(2, dtype=lg.int64, device=device).requires_grad = True


def _detached_leaf(lib, device):
    """x.detach().requires_grad_() of a tensor with history, trained as optimizers train it:
    a write under no_grad, then backward again (torch.func.stack_module_state's leaves)."""
    kw = {"device": device} if lib is lg else {}
    p = lib.nn.Parameter(lib.ones(2, 3, **kw))
    w = lib.stack([p, p * 2]).detach().requires_grad_()
    seen = []
    for _ in range(2):
        w.grad = None
        (w.select(0, 1) ** 2).sum().backward()
        seen.append((w.is_leaf, w.grad_fn is None, w.grad.detach().numpy().copy()))
        with lib.no_grad():
            w.sub_(0.25 * w.grad)
    refused = False
    try:
        w.add_(1)
    except RuntimeError as e:
        refused = "leaf Variable that requires grad" in str(e)
    return seen, refused, p.grad is None


def test_a_detach_that_asks_for_grad_stays_a_leaf_through_writes_as_torch(device):
    ours, theirs = _detached_leaf(lg, device), _detached_leaf(torch, device)
    assert ours[1:] == theirs[1:] == (True, True)
    for (leaf, no_fn, g), (tleaf, tno_fn, tg) in zip(ours[0], theirs[0]):
        assert (leaf, no_fn) == (tleaf, tno_fn) == (True, True)
        np.testing.assert_allclose(g, tg)
