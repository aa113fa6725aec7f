"""torch.nn's remaining module surface: nn.Buffer, UninitializedParameter/Buffer, SyncBatchNorm,
DataParallel and CrossMapLRN2d, against torch (values, gradients, state_dict keys, errors)."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_assigning_a_buffer_registers_it_with_its_persistence(device):
    def buffers(T, kw):
        m = T.nn.Module()
        m.kept = T.nn.Buffer(T.ones(2, **kw))
        m.scratch = T.nn.Buffer(T.zeros(3, **kw), persistent=False)
        m.plain = T.ones(1, **kw)  # a tensor assigned is no buffer
        return list(dict(m.named_buffers())), list(m.state_dict()), isinstance(m.kept, T.nn.Buffer)
    assert buffers(lg, {"device": device}) == buffers(torch, {})


def test_a_buffer_is_its_tensor_detached_and_keeps_requires_grad(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.ones(2, requires_grad=True, **kw)
        b = T.nn.Buffer(x * 2)
        assert b.requires_grad and b.is_leaf and type(b) is T.Tensor and b.persistent
        assert not isinstance(T.ones(1, **kw), T.nn.Buffer)
    with pytest.raises(AttributeError, match="'int' object has no attribute 'detach'"):
        lg.nn.Buffer(3)


def test_a_buffer_assigned_over_a_parameter_is_refused_as_torch():
    for T in (lg, torch):
        m = T.nn.Linear(2, 2)
        with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
            m.weight = T.nn.Buffer(T.ones(2, 2))


def test_an_uninitialized_parameter_refuses_ops_until_materialized(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        p = T.nn.UninitializedParameter(**kw)
        assert repr(p) == "<UninitializedParameter>" and isinstance(p, T.nn.Parameter) and p.requires_grad
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
            p.shape  # noqa: B018
        for op in (lambda p=p: p + 1, lambda p=p: p.sum(), lambda p=p: p.numel()):
            with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
                op()
        m = T.nn.Module()
        m.w = p
        assert len(list(m.parameters())) == 1
        p.materialize((2, 3))
        assert type(p) is T.nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad and p.is_leaf


def test_an_uninitialized_buffer_materializes_as_a_plain_tensor(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        b = T.nn.UninitializedBuffer(**kw)
        assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad
        b.materialize(4, dtype=T.float64)
        assert type(b) is T.Tensor and tuple(b.shape) == (4,) and b.dtype == T.float64


def _sync_bn(T, kw, x, **options):
    T.manual_seed(0)
    m = T.nn.SyncBatchNorm(3, **options).to(**kw)
    xt = T.tensor(x, requires_grad=True, **kw)
    y = m(xt)
    (y * T.arange(y.numel(), **kw).reshape(y.shape).float()).sum().backward()
    m.eval()
    z = m(T.tensor(x, **kw))
    return [t.detach().cpu().numpy() for t in (y, z, xt.grad, m.running_mean, m.running_var)]


@pytest.mark.parametrize("shape, options", [((4, 3), {}), ((2, 3, 2, 2), {"momentum": None, "bias": False})])
def test_sync_batch_norm_is_batch_norm_on_one_process(device, shape, options):
    x = _data(*shape)
    for ours, theirs in zip(_sync_bn(lg, {"device": device}, x, **options), _sync_bn(torch, {}, x, **options)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_sync_batch_norm_refuses_a_1d_input(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        with pytest.raises(ValueError, match="expected at least 2D input \\(got 1D input\\)"):
            T.nn.SyncBatchNorm(3).to(**kw)(T.ones(3, **kw))


def test_convert_sync_batchnorm_swaps_every_batch_norm_keeping_its_tensors():
    def convert(T):
        net = T.nn.Sequential(T.nn.Conv2d(3, 3, 1), T.nn.BatchNorm2d(3), T.nn.Sequential(T.nn.BatchNorm1d(3)))
        net[1].eval()
        out = T.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        assert out is net and out[1].weight is net[1].weight and not out[1].training
        return repr(out), list(out.state_dict())
    assert convert(lg) == convert(torch)


def test_data_parallel_forwards_to_its_module_under_module_keys(device):
    torch.manual_seed(0)
    weights = torch.nn.Linear(4, 2).state_dict()
    def run(T, kw):
        inner = T.nn.Linear(4, 2)
        inner.load_state_dict({k: T.tensor(v.numpy()) for k, v in weights.items()})
        model = T.nn.DataParallel(inner).to(**kw)
        y = model(T.tensor(_data(3, 4), **kw))
        y.sum().backward()
        return (repr(model), list(model.state_dict()), model.module is inner, model.device_ids,
                y.detach().cpu().numpy(), inner.weight.grad.cpu().numpy())
    ours, theirs = run(lg, {"device": device}), run(torch, {})
    assert ours[:4] == theirs[:4]
    for a, b in zip(ours[4:], theirs[4:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_data_parallel_state_dict_loads_from_torchs():
    torch.manual_seed(0)
    theirs = torch.nn.DataParallel(torch.nn.Linear(4, 2))
    ours = lg.nn.DataParallel(lg.nn.Linear(4, 2))
    ours.load_state_dict({k: lg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.module.weight.detach().numpy(), theirs.module.weight.detach().numpy())


def test_cross_map_lrn2d_matches_torchs_values(device):
    x = _data(2, 5, 3, 3)
    ours = lg.nn.CrossMapLRN2d(3, alpha=1e-2, beta=0.75, k=2)
    theirs = torch.nn.CrossMapLRN2d(3, alpha=1e-2, beta=0.75, k=2)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(ours(lg.tensor(x, device=device)).numpy(), theirs(torch.tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)
    for T, kw in ((lg, {"device": device}), (torch, {})):
        with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead."):
            T.nn.CrossMapLRN2d(3)(T.ones(2, 3, 3, **kw))


def test_cross_map_lrn2d_gradient_is_the_derivative_of_torchs_values(device):
    """torch's backward of CrossMapLRN2d is a hand-written formula that is not the derivative
    of its own forward (its gradient differs from it): ours is, checked against central
    differences of torch's forward in float64."""
    x = _data(1, 4, 2, 2, seed=1)
    xt = lg.tensor(x, requires_grad=True, device=device)
    (lg.nn.CrossMapLRN2d(3, alpha=0.5, beta=0.75, k=1)(xt) ** 2).sum().backward()
    f = torch.nn.CrossMapLRN2d(3, alpha=0.5, beta=0.75, k=1)
    base, eps = torch.tensor(x, dtype=torch.float64), 1e-6
    numeric = np.zeros(x.size)
    for i in range(x.size):
        step = torch.zeros(x.size, dtype=torch.float64)
        step[i] = eps
        step = step.reshape(x.shape)
        numeric[i] = ((f(base + step) ** 2).sum() - (f(base - step) ** 2).sum()).item() / (2 * eps)
    np.testing.assert_allclose(xt.grad.numpy().ravel(), numeric, rtol=1e-4, atol=1e-5)


def test_conv_tbc_matches_torch(device):
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((5, 2, 4), (3, 4, 6), (6,)))
    def run(T, kw):
        xt, wt = T.tensor(x, requires_grad=True, **kw), T.tensor(w, requires_grad=True, **kw)
        y = T.nn.functional.conv_tbc(xt, wt, T.tensor(b, **kw), 1)
        (y * y).sum().backward()
        return [t.detach().cpu().numpy() for t in (y, xt.grad, wt.grad)]
    for ours, theirs in zip(run(lg, {"device": device}), run(torch, {})):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    for T in (lg, torch):
        assert T.conv_tbc is T.nn.functional.conv_tbc
        with pytest.raises(RuntimeError, match="Bias size must equal dim 2 in the weight tensor"):
            T.nn.functional.conv_tbc(T.tensor(x), T.tensor(w), T.ones(5))


def test_native_channel_shuffle_is_channel_shuffle(device):
    x = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2)
    np.testing.assert_array_equal(lg.nn.functional.native_channel_shuffle(lg.tensor(x, device=device), 3).numpy(),
                                  torch.nn.functional.native_channel_shuffle(torch.tensor(x), 3).numpy())


@pytest.mark.parametrize("name, args, shape", [("LazyLinear", (3,), (2, 4)), ("LazyBatchNorm2d", (), (2, 3, 2, 2)),
                                               ("LazyConv2d", (4, 3), (1, 2, 5, 5))])
def test_a_lazy_module_holds_uninitialized_tensors_until_its_first_call(device, name, args, shape):
    def run(T, kw):
        m = getattr(T.nn, name)(*args)
        before = (repr(m), [(k, repr(v) if T.nn.parameter.is_lazy(v) else tuple(v.shape))
                            for k, v in m.state_dict().items()])
        m = m.to(**kw).double()
        params = list(m.parameters())
        m(T.ones(*shape, dtype=T.float64, **kw))
        after = [(type(p).__name__, tuple(p.shape), p.dtype == T.float64) for p in m.parameters()]
        return before, after, all(p is q for p, q in zip(params, m.parameters())), type(m).__name__
    assert run(lg, {"device": device}) == run(torch, {})


def test_a_lazy_module_loads_a_checkpoint_before_its_first_call(device):
    torch.manual_seed(0)
    trained = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU())
    x = np.random.default_rng(3).standard_normal((2, 4)).astype(np.float32)
    model = lg.nn.Sequential(lg.nn.LazyLinear(3), lg.nn.ReLU()).to(device)
    model.load_state_dict({k: lg.tensor(v.numpy()) for k, v in trained.state_dict().items()})
    np.testing.assert_allclose(model(lg.tensor(x, device=device)).detach().numpy(), trained(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert type(model[0]).__name__ == "Linear" and tuple(model[0].weight.shape) == (3, 4)
