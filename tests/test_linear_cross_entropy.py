"""F.linear_cross_entropy and nn.LinearCrossEntropyLoss (torch 2.13): the loss, and the
gradients of input, weight and bias, as torch's for every target kind and option; torch's
errors for shapes it refuses."""
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = {  # name -> (input shape, weight shape, bias?, target maker(T, rng), keywords)
    "rows": ((5, 4), (3, 4), False, lambda T, r: T.tensor(r.integers(0, 3, 5)), {}),
    "rows with bias, class weights and smoothing": (
        (5, 4), (3, 4), True, lambda T, r: T.tensor(r.integers(0, 3, 5)),
        {"weight": [0.2, 1.0, 3.0], "label_smoothing": 0.1}),
    "one sample": ((4,), (3, 4), True, lambda T, r: T.tensor(1), {}),
    "ignored class, summed": ((6, 4), (3, 4), False, lambda T, r: T.tensor([0, 2, 1, 2, 2, 0]),
                              {"ignore_index": 2, "reduction": "sum"}),
    "no reduction": ((5, 4), (3, 4), True, lambda T, r: T.tensor(r.integers(0, 3, 5)), {"reduction": "none"}),
    "class probabilities": ((5, 4), (3, 4), False,
                            lambda T, r: T.tensor(r.dirichlet(np.ones(3), 5).astype(np.float32)), {}),
    "a K-dimensional loss": ((5, 4), (3, 2, 4), True, lambda T, r: T.tensor(r.integers(0, 3, (5, 2))), {}),
    "chunking options": ((5, 4), (3, 4), True, lambda T, r: T.tensor(r.integers(0, 3, 5)), {"options": True}),
}


def _run(T, name, device="cpu"):
    shape, wshape, with_bias, target, kw = CASES[name]
    r = np.random.default_rng(0)
    x = T.tensor(r.standard_normal(shape).astype(np.float32), requires_grad=True, device=device)
    w = T.tensor(r.standard_normal(wshape).astype(np.float32), requires_grad=True, device=device)
    b = (T.tensor(r.standard_normal(wshape[:-1]).astype(np.float32), requires_grad=True, device=device)
         if with_bias else None)
    kw = dict(kw)
    if "weight" in kw:
        kw["weight"] = T.tensor(kw["weight"], device=device)
    if kw.get("options"):
        kw["options"] = T.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    loss = T.nn.functional.linear_cross_entropy(x, w, target(T, r).to(device), linear_bias=b, **kw)
    loss.sum().backward()
    grads = [t.grad.numpy() for t in (x, w, b) if t is not None]
    return loss.detach().numpy(), grads


@pytest.mark.parametrize("name", list(CASES))
def test_loss_and_gradients_are_torchs(device, name):
    ours, theirs = _run(lg, name, device), _run(torch, name)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
    for g, h in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(g, h, rtol=1e-4, atol=1e-6)


def test_the_module_holds_a_flat_linear_and_trains_as_torchs(device):
    losses = {}
    for T, dev in ((lg, device), (torch, "cpu")):
        T.manual_seed(0)
        loss_fn = T.nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, device=dev)
        with T.no_grad():  # the same start on both sides
            loss_fn.linear.weight.copy_(T.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(6, 4)))
            loss_fn.linear.bias.zero_()
        opt = T.optim.SGD(loss_fn.parameters(), lr=0.5)
        x = T.tensor(np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4), device=dev)
        y = T.tensor([[0, 1], [2, 2], [1, 0], [0, 0], [2, 1]], device=dev)
        found = []
        for _ in range(3):
            opt.zero_grad()
            loss = loss_fn(x, y)
            loss.backward()
            opt.step()
            found.append(float(loss.detach()))
        losses[T.__name__] = found
        assert tuple(loss_fn.linear.weight.shape) == (6, 4)
    np.testing.assert_allclose(losses["lazygrad"], losses["torch"], rtol=1e-5)


@pytest.mark.parametrize("call,error", [
    (lambda T: T.nn.functional.linear_cross_entropy(T.ones(2, 2, 4), T.ones(3, 4), T.zeros(2, dtype=T.long)),
     "dimensionality 1 or 2"),
    (lambda T: T.nn.functional.linear_cross_entropy(T.ones(2, 5), T.ones(3, 4), T.zeros(2, dtype=T.long)),
     "in_features"),
    (lambda T: T.nn.functional.linear_cross_entropy(T.ones(2, 4), T.ones(3, 4), T.zeros(2, dtype=T.long),
                                                    linear_bias=T.ones(4)), "linear_bias shape"),
    (lambda T: T.nn.functional.linear_cross_entropy(T.ones(4), T.ones(3, 2, 4), T.zeros(2, dtype=T.long)),
     "requires batched input"),
    (lambda T: T.nn.functional.linear_cross_entropy(T.ones(2, 4), T.ones(3, 4), T.ones(2, 3) / 3, ignore_index=0),
     "ignore_index cannot be specified"),
    (lambda T: T.nn.LinearCrossEntropyOptions(acc_policy="fast"), "invalid acc_policy"),
    (lambda T: T.nn.LinearCrossEntropyOptions(batch_chunk_size=0), "batch_chunk_size"),
    (lambda T: T.nn.LinearCrossEntropyLoss(4, 3, label_smoothing=2.0), "label_smoothing"),
])
def test_bad_calls_raise_torchs_error(call, error):
    for T in (torch, lg):
        with pytest.raises((RuntimeError, ValueError), match=error) as caught:
            call(T)
        if T is torch:
            kind = type(caught.value)
        else:
            assert isinstance(caught.value, kind)


def test_options_the_chunked_path_cannot_take_warn_as_torchs():
    for T in (torch, lg):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            T.nn.functional.linear_cross_entropy(T.ones(2, 4), T.ones(3, 4), T.zeros(2, dtype=T.long),
                                                 label_smoothing=0.1, options=T.nn.LinearCrossEntropyOptions())
        assert any("options`` ignored" in str(w.message) for w in seen), T.__name__
