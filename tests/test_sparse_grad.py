"""Sparse embedding gradients against torch: nn.Embedding / F.embedding / nn.EmbeddingBag with
sparse=True give the weight torch's uncoalesced sparse COO gradient (its entries, their order,
accumulation over backwards, padding_idx, a dense gradient meeting it), zero_grad, and the
optimizers: SGD, Adagrad and SparseAdam step with them as torch's do, the others refuse them
with torch's error."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

WEIGHT = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)


def pair(module: str, device, **kwargs):
    ours = getattr(lg.nn, module)(6, 3, sparse=True, device=device, **kwargs)
    theirs = getattr(torch.nn, module)(6, 3, sparse=True, **kwargs)
    with lg.no_grad():
        ours.weight.copy_(lg.tensor(WEIGHT, device=device))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(WEIGHT))
    return ours, theirs


def same_sparse(ours, theirs):
    """Same entries in the same order (uncoalesced, as torch's), and the same coalesced value."""
    assert ours.is_sparse and theirs.is_sparse
    assert ours.is_coalesced() == theirs.is_coalesced()
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
    np.testing.assert_allclose(ours._values().numpy(), theirs._values().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.coalesce().values().numpy(), theirs.coalesce().values().numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ours.to_dense().numpy(), theirs.to_dense().numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_gradient_is_torchs_sparse_one_and_accumulates(device):
    ours, theirs = pair("Embedding", device)
    for x, power in (([[1, 2], [1, 4]], 2), ([0, 1], 3), ([3, 3], 1)):
        ours(lg.tensor(x, device=device)).pow(power).sum().backward()
        theirs(torch.tensor(x)).pow(power).sum().backward()
        same_sparse(ours.weight.grad, theirs.weight.grad)


def test_functional_embedding_padding_idx_drops_its_entries(device):
    w = lg.tensor(WEIGHT, device=device, requires_grad=True)
    tw = torch.tensor(WEIGHT, requires_grad=True)
    x = [[1, 2, 5], [5, 1, 0]]
    lg.nn.functional.embedding(lg.tensor(x, device=device), w, padding_idx=-1, sparse=True).sum().backward()
    torch.nn.functional.embedding(torch.tensor(x), tw, padding_idx=-1, sparse=True).sum().backward()
    same_sparse(w.grad, tw.grad)


def test_dense_and_sparse_gradients_sum_to_a_dense_one(device):
    w = lg.tensor(WEIGHT, device=device, requires_grad=True)
    tw = torch.tensor(WEIGHT, requires_grad=True)
    x = [[1, 2], [1, 4]]
    (lg.nn.functional.embedding(lg.tensor(x, device=device), w, sparse=True).sum() * 2).backward()
    (w * w).sum().backward()
    (torch.nn.functional.embedding(torch.tensor(x), tw, sparse=True).sum() * 2).backward()
    (tw * tw).sum().backward()
    assert not w.grad.is_sparse
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5)


def test_autograd_grad_returns_the_sparse_gradient(device):
    w = lg.tensor(WEIGHT, device=device, requires_grad=True)
    tw = torch.tensor(WEIGHT, requires_grad=True)
    x = [4, 0, 4]
    (g,) = lg.autograd.grad(lg.nn.functional.embedding(lg.tensor(x, device=device), w, sparse=True).exp().sum(), w)
    (tg,) = torch.autograd.grad(torch.nn.functional.embedding(torch.tensor(x), tw, sparse=True).exp().sum(), tw)
    same_sparse(g, tg)
    assert w.grad is None


@pytest.mark.parametrize("kwargs,x,offsets", [
    ({"mode": "mean"}, [[1, 2, 1], [3, 4, 4]], None),
    ({"mode": "sum", "padding_idx": 4}, [[1, 2, 1], [3, 4, 4]], None),
    ({"mode": "mean"}, [1, 2, 1, 3, 4, 0], [0, 2, 2]),
])
def test_embedding_bag_gradient_is_torchs_sparse_one(device, kwargs, x, offsets):
    ours, theirs = pair("EmbeddingBag", device, **kwargs)
    extra = () if offsets is None else (offsets,)
    ours(*(lg.tensor(a, device=device) for a in (x, *extra))).pow(2).sum().backward()
    theirs(*(torch.tensor(a) for a in (x, *extra))).pow(2).sum().backward()
    same_sparse(ours.weight.grad, theirs.weight.grad)


def test_embedding_bag_per_sample_weights_scale_the_sparse_gradient(device):
    ours, theirs = pair("EmbeddingBag", device, mode="sum")
    x, offsets, psw = [1, 2, 1, 3, 4, 0], [0, 2, 2], [0.5, -1.0, 2.0, 1.5, 0.25, 3.0]
    ours(*(lg.tensor(a, device=device) for a in (x, offsets)), per_sample_weights=lg.tensor(psw, device=device)) \
        .pow(2).sum().backward()
    theirs(*(torch.tensor(a) for a in (x, offsets)), per_sample_weights=torch.tensor(psw)).pow(2).sum().backward()
    same_sparse(ours.weight.grad, theirs.weight.grad)


def test_embedding_bag_max_mode_refuses_sparse(device):
    with pytest.raises(ValueError, match="max mode does not support sparse weights"):
        lg.nn.EmbeddingBag(6, 3, sparse=True, mode="max", device=device)(lg.tensor([[1, 2]], device=device))


def test_zero_grad_keeps_an_empty_sparse_gradient(device):
    ours, theirs = pair("Embedding", device)
    for m, mod in ((ours, lg), (theirs, torch)):
        m(mod.tensor([[1, 2], [1, 4]])).sum().backward()
        g = m.weight.grad
        m.zero_grad(set_to_none=False)
        assert m.weight.grad is g
        m(mod.tensor([2, 0])).sum().backward()
    same_sparse(ours.weight.grad, theirs.weight.grad)
    ours.zero_grad()
    assert ours.weight.grad is None


def test_clipping_a_sparse_gradient_is_not_implemented_as_in_torch(device):
    ours, _ = pair("Embedding", device)
    ours(lg.tensor([1, 2], device=device)).sum().backward()
    with pytest.raises(NotImplementedError):
        lg.nn.utils.clip_grad_norm_(ours.parameters(), 0.5)
    with pytest.raises(NotImplementedError):
        lg.nn.utils.clip_grad_value_(ours.parameters(), 0.5)


STEPPING = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "eps": 0.0}),  # (untouched rows would be 0/0 in a dense step)
    ("SparseAdam", {"lr": 0.1}),
    ("SparseAdam", {"lr": 0.05, "betas": (0.8, 0.99), "maximize": True}),
    ("LBFGS", {"lr": 0.1}),
]


@pytest.mark.parametrize("name,kwargs", STEPPING)
def test_optimizers_step_with_sparse_gradients_as_torchs(device, name, kwargs):
    batches = [[1, 2], [[1, 4], [0, 0]], [5, 1, 1]]
    ours, theirs = pair("Embedding", device)
    for m, mod in ((ours, lg), (theirs, torch)):
        opt = getattr(mod.optim, name)(m.parameters(), **kwargs)
        for x in batches:
            def closure(m=m, mod=mod, x=x, opt=opt):
                opt.zero_grad()
                loss = m(mod.tensor(x)).pow(2).sum()
                loss.backward()
                return loss
            if name == "LBFGS":
                opt.step(closure)
            else:
                closure()
                opt.step()
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs,message", [
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}, r"add\(sparse, dense\) is not supported"),
    ("Adagrad", {"weight_decay": 0.1}, "weight_decay option is not compatible with sparse gradients"),
    ("Adam", {}, "Adam does not support sparse gradients, please consider SparseAdam instead"),
    ("AdamW", {}, "Adam does not support sparse gradients, please consider SparseAdam instead"),
    ("RMSprop", {}, "RMSprop does not support sparse gradients"),
    ("Adamax", {}, "Adamax does not support sparse gradients"),
    ("NAdam", {}, "NAdam does not support sparse gradients"),
    ("RAdam", {}, "RAdam does not support sparse gradients"),
    ("Adadelta", {}, "Adadelta does not support sparse gradients"),
    ("ASGD", {}, "ASGD does not support sparse gradients"),
    ("Rprop", {}, "Rprop does not support sparse gradients"),
    ("Adafactor", {}, "Adafactor does not support sparse gradients"),
])
def test_optimizers_refuse_sparse_gradients_as_torchs(device, name, kwargs, message):
    ours, theirs = pair("Embedding", device)
    for m, mod in ((ours, lg), (theirs, torch)):
        opt = getattr(mod.optim, name)(m.parameters(), **kwargs)
        m(mod.tensor([1, 2])).sum().backward()
        with pytest.raises(RuntimeError, match=message):
            opt.step()
    np.testing.assert_array_equal(ours.weight.detach().numpy(), WEIGHT)


def test_sparse_adam_refuses_dense_gradients(device):
    for mod in (lg, torch):
        lin = mod.nn.Linear(2, 2)
        opt = mod.optim.SparseAdam(lin.parameters())
        lin(mod.ones(1, 2)).sum().backward()
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
            opt.step()


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": -1}, "Invalid learning rate: -1"),
    ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
])
def test_sparse_adam_checks_its_hyperparameters(kwargs, message):
    for mod in (lg, torch):
        with pytest.raises(ValueError, match=message):
            mod.optim.SparseAdam([mod.zeros(2, requires_grad=True)], **kwargs)


def test_sparse_adam_refuses_complex_parameters_and_keeps_torchs_defaults():
    for mod in (lg, torch):
        groups = [{"params": [mod.zeros(2, requires_grad=True)]},
                  {"params": [mod.zeros(2, dtype=mod.complex64, requires_grad=True)]}]
        with pytest.raises(ValueError, match=r"Complex params at indices \[\[1, 0\]\]: SparseAdam does not support"):
            mod.optim.SparseAdam(groups)
    assert lg.optim.SparseAdam([lg.zeros(2, requires_grad=True)]).defaults == \
        torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)]).defaults


def test_sparse_adam_counts_steps_as_torch(device):
    ours, theirs = pair("Embedding", device)
    states = []
    for m, mod in ((ours, lg), (theirs, torch)):
        opt = mod.optim.SparseAdam(m.parameters(), lr=0.1)
        for x in ([1], [2, 2]):
            opt.zero_grad()
            m(mod.tensor(x)).sum().backward()
            opt.step()
        state = opt.state[m.weight]
        states.append((state["step"], state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()))
    assert int(states[0][0]) == int(states[1][0]) == 2
    np.testing.assert_allclose(states[0][1], states[1][1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(states[0][2], states[1][2], rtol=1e-5, atol=1e-7)


def test_forward_mode_through_a_sparse_lookup_is_torchs(device):
    """func.jvp differentiates the gradient again: there the lookup's gradient is the dense
    one (a sparse one would be a constant), and the value is torch's."""
    tangent = np.linspace(-1, 1, 18, dtype=np.float32).reshape(6, 3)
    results = []
    for mod, dev in ((lg, device), (torch, "cpu")):
        def f(w, mod=mod, dev=dev):
            return mod.nn.functional.embedding(mod.tensor([1, 2, 1], device=dev), w, sparse=True).pow(2).sum()
        results.append(mod.func.jvp(f, (mod.tensor(WEIGHT, device=dev),), (mod.tensor(tangent, device=dev),))[1])
    np.testing.assert_allclose(results[0].numpy(), results[1].numpy(), rtol=1e-5)


def test_a_hook_on_the_weight_runs_once_on_the_sparse_gradient(device):
    ours, theirs = pair("Embedding", device)
    seen = {lg: [], torch: []}
    for m, mod in ((ours, lg), (theirs, torch)):
        m.weight.register_hook(lambda g, mod=mod: (seen[mod].append((g.is_sparse, g._nnz())), g * 2)[1])
        (m(mod.tensor([1, 2])).sum() + m(mod.tensor([4, 1])).pow(2).sum()).backward()
    assert seen[lg] == seen[torch]
    same_sparse(ours.weight.grad, theirs.weight.grad)
