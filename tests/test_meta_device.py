"""The meta device: tensors with shapes, dtypes and graphs but no data, compared with torch's
(shapes, dtypes, strides, printing, error classes), and the recipes real programs use it for:
build a model on meta, then give it memory (to_empty) or weights (load_state_dict assign=True)
on a real device. Nothing on meta ever runs a kernel."""
import contextlib
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import lazygrad as lg
import lazygrad.nn as lnn
from lazygrad.engine import realize as engine


def _both(fn):
    """fn(lg) and fn(torch): the same program on each library."""
    return fn(lg), fn(torch)


def _same_meta(a, b):
    assert a.is_meta and b.is_meta
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert a.requires_grad == b.requires_grad


@contextlib.contextmanager
def _nothing_runs():
    """Fails if any schedule is made inside (a meta tensor computes nothing)."""
    seen = []

    def observer(event, **info):
        if event == "schedule":
            seen.append(info["schedule"])
    engine.observers.append(observer)
    before = lg.stats().kernels
    try:
        yield
    finally:
        engine.observers.remove(observer)
    assert not seen and lg.stats().kernels == before


@pytest.fixture
def no_kernels():
    with _nothing_runs():
        yield


def test_meta_device_values_are_torch_s():
    d = lg.device("meta")
    assert d.type == "meta" and d.index is None and str(d) == "meta" and repr(d) == repr(torch.device("meta"))
    assert lg.device("meta", 0).index == 0 and d == "meta"
    assert "meta" not in [x.name for x in lg.devices()]  # not a compute device: tests never run on it


FACTORIES = {
    "empty": lambda m: m.empty(3, 4, device="meta"),
    "zeros_int": lambda m: m.zeros(2, 5, dtype=m.int64, device="meta"),
    "ones_0d": lambda m: m.ones((), device="meta"),
    "full": lambda m: m.full((2, 3), 1.5, device="meta"),
    "arange": lambda m: m.arange(7, device="meta"),
    "linspace": lambda m: m.linspace(0, 1, 5, device="meta"),
    "eye": lambda m: m.eye(3, device="meta"),
    "rand": lambda m: m.rand(2, 3, device="meta"),
    "randn_grad": lambda m: m.randn(4, device="meta", requires_grad=True),
    "randint": lambda m: m.randint(0, 5, (3,), device="meta"),
    "tensor": lambda m: m.tensor([[1, 2], [3, 4]], device="meta"),
    "empty_like": lambda m: m.empty_like(m.ones(2, 3), device="meta"),
    "zeros_like": lambda m: m.zeros_like(m.empty(2, 3, device="meta")),
    "rand_like": lambda m: m.rand_like(m.empty(2, 3, device="meta", dtype=m.float64)),
    "new_zeros": lambda m: m.empty(2, device="meta").new_zeros(3, 1),
    "to_meta": lambda m: m.ones(2, 2).to("meta"),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_make_meta_tensors_as_torch(name, no_kernels):
    _same_meta(*_both(FACTORIES[name]))


OPS = {
    "add_scalar": lambda m, x, w: x + 1,
    "mul_int": lambda m, x, w: x * m.ones(3, 4, dtype=m.int32, device="meta"),
    "compare": lambda m, x, w: x > 0,
    "matmul": lambda m, x, w: x @ w,
    "sum_dim": lambda m, x, w: x.sum(1, keepdim=True),
    "argmax": lambda m, x, w: x.argmax(0),
    "softmax": lambda m, x, w: x.softmax(-1),
    "cast": lambda m, x, w: x.to(m.float16),
    "slice": lambda m, x, w: x[1:, ::2],
    "transpose": lambda m, x, w: x.t().contiguous(),
    "cat": lambda m, x, w: m.cat([x, x], 1),
    "index_meta": lambda m, x, w: x[m.tensor([0, 2], device="meta")],
    "index_host": lambda m, x, w: x[m.tensor([0, 2])],
    "scalar_host_tensor": lambda m, x, w: x * m.tensor(2.0),
    "host_scalar_first": lambda m, x, w: m.tensor(2.0) - x,
    "linear": lambda m, x, w: m.nn.functional.linear(x, w.t()),
    "conv2d": lambda m, x, w: m.nn.functional.conv2d(x.reshape(1, 1, 3, 4), w.reshape(1, 1, 4, 5)[..., :2, :2]),
    "inplace": lambda m, x, w: x.clone().add_(1).mul_(2),
}


@pytest.mark.parametrize("name", OPS)
def test_ops_on_meta_give_torch_s_shapes_dtypes_and_strides(name, no_kernels):
    def run(m):
        x = m.empty(3, 4, device="meta")
        w = m.empty(4, 5, device="meta")
        return OPS[name](m, x, w)
    a, b = _both(run)
    _same_meta(a, b)
    assert a.stride() == b.stride()


def test_meta_tensors_print_as_torch_s():
    cases = [lambda m: m.empty(3, 4, device="meta"), lambda m: m.zeros(2, dtype=m.int64, device="meta"),
             lambda m: m.zeros((), device="meta"), lambda m: m.zeros(0, device="meta"),
             lambda m: m.randn(2, device="meta", requires_grad=True),
             lambda m: m.randn(2, device="meta", requires_grad=True) * 2]
    for case in cases:
        ours, theirs = _both(case)
        assert repr(ours).replace("lazygrad.", "torch.") == repr(theirs)
        assert str(ours) == repr(ours)


READS = {
    "item_of_many": lambda m: m.empty(3, 4, device="meta").item(),
    "item": lambda m: m.empty(3, 4, device="meta").sum().item(),
    "bool": lambda m: bool(m.zeros((), device="meta")),
    "float": lambda m: float(m.zeros(1, device="meta")),
    "tolist": lambda m: m.empty(2, device="meta").tolist(),
    "numpy": lambda m: m.empty(2, device="meta").numpy(),
    "cpu": lambda m: m.empty(2, device="meta").cpu(),
    "to_cpu": lambda m: m.empty(2, device="meta").to("cpu"),
    "copy_out": lambda m: m.ones(2).copy_(m.empty(2, device="meta")),
    "mixed_devices": lambda m: m.empty(2, device="meta") + m.ones(2),
    "mixed_devices_reversed": lambda m: m.ones(2) + m.empty(2, device="meta"),
    "nonzero": lambda m: m.empty(2, device="meta").nonzero(),
    "masked_select": lambda m: m.empty(2, device="meta").masked_select(m.empty(2, device="meta") > 0),
    "module_to_cpu": lambda m: _meta_linear(m).to("cpu"),
}


def _meta_linear(m):
    with m.device("meta"):
        return m.nn.Linear(3, 2)


@pytest.mark.parametrize("name", READS)
def test_reading_a_meta_tensor_raises_torch_s_class(name):
    with pytest.raises(Exception) as theirs:
        READS[name](torch)
    with pytest.raises(theirs.type) as ours:
        READS[name](lg)
    if "copy out of meta" in str(theirs.value):
        assert "Cannot copy out of meta tensor; no data!" in str(ours.value)


def test_backward_on_meta_gives_meta_gradients(no_kernels):
    def run(m):
        w = m.randn(4, 3, device="meta", requires_grad=True)
        x = m.randn(2, 4, device="meta")
        (x @ w).relu().sum().backward()
        return w.grad
    _same_meta(*_both(run))


class _Net:
    """The same small model in either library (BatchNorm for buffers, an int buffer included)."""

    @staticmethod
    def make(m):
        return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.BatchNorm1d(8), m.nn.ReLU(), m.nn.Linear(8, 3))


def test_modules_built_under_a_meta_device_context_are_meta(no_kernels):
    before = lg.get_default_device()
    with lg.device("meta") as d:
        assert d == "meta" and lg.get_default_device().type == "meta"
        ours = _Net.make(lg)
        with lg.device("cpu"):
            assert lg.ones(1).device.type == "cpu"
        assert lg.ones(1).is_meta
    assert lg.get_default_device() == before and not lg.ones(1).is_meta
    with torch.device("meta"):
        theirs = _Net.make(torch)
    for (k, a), (k2, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert k == k2
        _same_meta(a, b)
    out = ours(lg.randn(5, 4, device="meta"))
    assert out.is_meta and out.shape == (5, 3)
    lg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9).step()  # a step on meta: shapes only


def test_set_default_device_meta():
    lg.set_default_device("meta")
    try:
        assert lg.zeros(2).is_meta and lg.tensor([1.0]).is_meta
    finally:
        lg.set_default_device(None)
    assert not lg.zeros(2).is_meta


def test_init_functions_on_meta_are_no_ops(no_kernels):
    for init in (lnn.init.kaiming_uniform_, lnn.init.xavier_normal_, lnn.init.normal_, lnn.init.trunc_normal_,
                 lnn.init.zeros_):
        t = lg.empty(3, 4, device="meta")
        assert init(t) is t and t.is_meta


def test_init_on_meta_then_load_with_assign(device):
    """The common recipe: build on meta (no memory), then take a checkpoint's tensors."""
    lg.manual_seed(0)
    with lg.device(device):
        ref = _Net.make(lg)
    ref.eval()
    with lg.device("meta"):
        model = _Net.make(lg)
    model.load_state_dict(ref.state_dict(), assign=True)
    model.eval()
    for p in model.parameters():
        assert not p.is_meta and p.device == device and p.requires_grad and isinstance(p, lnn.Parameter)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    theirs = _Net.make(torch).eval()
    theirs.load_state_dict({k: torch.from_numpy(v.cpu().numpy()) for k, v in ref.state_dict().items()})
    got = model(lg.tensor(x, device=device))
    np.testing.assert_allclose(got.detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_to_empty_then_load_gives_a_real_model(device):
    with lg.device("meta"):
        model = _Net.make(lg)
    weight = model[0].weight
    assert model.to_empty(device=device) is model
    assert model[0].weight is weight  # the same Parameter objects (an optimizer keeps them)
    for t in [*model.parameters(), *model.buffers()]:
        assert not t.is_meta and t.device == device
    assert model[1].num_batches_tracked.dtype == lg.int64
    source = _Net.make(lg)
    model.load_state_dict(source.state_dict())
    x = lg.randn(5, 4, device=device)
    np.testing.assert_allclose(model(x).detach().numpy(), source.to(device)(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_to_empty_without_recurse_moves_only_the_module_s_own():
    with lg.device("meta"):
        model = _Net.make(lg)
    model.register_buffer("own", lg.empty(2, device="meta"))
    model.to_empty(device="cpu", recurse=False)
    assert not model.own.is_meta and model[0].weight.is_meta


def test_loading_into_meta_without_assign_warns_and_stays_meta():
    with lg.device("meta"):
        model = _Net.make(lg)
    with pytest.warns(UserWarning, match="to a meta parameter .* no-op"):
        model.load_state_dict(_Net.make(lg).state_dict())
    assert model[0].weight.is_meta


def test_module_to_meta_and_copies_of_meta_modules():
    model = _Net.make(lg)
    lg.realize(*model.parameters(), *model.buffers())
    with _nothing_runs():
        model.to("meta")
    assert all(t.is_meta for t in [*model.parameters(), *model.buffers()])
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        for a, b in zip(model.state_dict().values(), twin.state_dict().values()):
            assert b.is_meta and a.shape == b.shape and a.dtype == b.dtype and a.requires_grad == b.requires_grad
        assert isinstance(twin[0].weight, lnn.Parameter)


def test_skip_init_on_meta():
    ours = lnn.utils.skip_init(lnn.Linear, 3, 4, device="meta")
    theirs = torch.nn.utils.skip_init(torch.nn.Linear, 3, 4, device="meta")
    _same_meta(ours.weight, theirs.weight)


def test_meta_data_pointers_are_torch_s():
    ours, theirs = _both(lambda m: m.empty(3, 4, device="meta"))
    assert ours.data_ptr() == theirs.data_ptr() == 0
    assert ours[1:].data_ptr() == theirs[1:].data_ptr()
    assert ours.untyped_storage().data_ptr() == 0 and ours.nbytes == theirs.nbytes
    assert not ours.is_cpu and ours.get_device() == theirs.get_device()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not lg.ones(1).is_meta


def test_complex_meta_tensors(no_kernels):
    ours, theirs = _both(lambda m: m.empty(2, 3, dtype=m.complex64, device="meta"))
    assert ours.is_meta and ours.dtype == lg.complex64 and ours.shape == theirs.shape
    assert repr(ours).replace("lazygrad.", "torch.") == repr(theirs)
    assert (ours * ours).is_meta and ours.abs().dtype == lg.float32


def test_saving_a_meta_tensor_says_it_has_no_data(tmp_path):
    with pytest.raises(NotImplementedError, match="meta tensor has no data"):
        lg.save({"w": lg.empty(2, device="meta")}, tmp_path / "w.safetensors")


def test_a_transformer_trains_a_step_on_meta_without_a_kernel(no_kernels):
    with lg.device("meta"):
        model = lnn.TransformerEncoder(lnn.TransformerEncoderLayer(16, 2, 32), 2)
        out = model(lg.randn(3, 2, 16))
        out.sum().backward()
        lg.optim.AdamW(model.parameters()).step()
    assert out.is_meta and out.shape == (3, 2, 16)
    assert all(p.grad.is_meta and p.grad.shape == p.shape for p in model.parameters())


def test_backward_out_of_meta_raises_torch_s_class():
    def run(m):
        x = m.randn(3, requires_grad=True)
        y = x.to("meta")
        assert y.is_meta and y.requires_grad
        y.sum().backward()
    with pytest.raises(Exception) as theirs:
        run(torch)
    with pytest.raises(theirs.type, match="Cannot copy out of meta tensor; no data!"):
        run(lg)


def test_to_empty_of_an_uninitialized_lazy_module_raises_torch_s_class():
    with pytest.raises(ValueError):
        torch.nn.LazyLinear(3).to_empty(device="cpu")
    with pytest.raises(ValueError, match="uninitialized"):
        lnn.LazyLinear(3).to_empty(device="cpu")


def test_loading_a_checkpoint_onto_meta_keeps_shapes_only(tmp_path):
    source = _Net.make(lg)
    lg.save(source.state_dict(), tmp_path / "net.safetensors")
    loaded = lg.load(tmp_path / "net.safetensors", map_location="meta")
    assert set(loaded) == set(source.state_dict())
    for k, a in source.state_dict().items():
        assert loaded[k].is_meta and loaded[k].shape == a.shape and loaded[k].dtype == a.dtype
