"""torch's names a program uses around its model, compared with torch: lg.device and every
device argument, to() in its forms, lg.cuda / lg.backends / lg.accelerator, the default dtype
and device, the new_* methods, the legacy typed constructors, inference_mode and .data."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from device_dtypes import require_dtype

import lazygrad as lg
from lazygrad.frontend.torch_device import HOST, accelerator_name, host_device

torch = pytest.importorskip("torch")


def raised(fn) -> type | None:
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the class is the result)
        return type(e)
    return None


def same_class(ours, theirs) -> None:
    """lazygrad raises torch's class (or a subclass of it: DeviceError is a RuntimeError)."""
    got, want = raised(ours), raised(theirs)
    assert want is not None and got is not None and issubclass(got, want), (got, want)


def on(device: str) -> str:
    """A torch program's device for lazygrad's: host devices are "cpu"."""
    return "cpu" if device in HOST else device


# ---- lg.device ------------------------------------------------------------------------------

DEVICE_SPECS = [("cpu",), ("cpu", 0), ("cpu:0",), ("cuda",), ("cuda:0",), ("cuda", 1), ("mps",), ("meta",),
                ("xpu:2",)]


@pytest.mark.parametrize("spec", DEVICE_SPECS)
def test_a_device_parses_like_torchs(spec):
    ours, theirs = lg.device(*spec), torch.device(*spec)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (theirs.type, theirs.index, str(theirs), repr(theirs))
    assert lg.device(ours) is ours and lg.device(str(ours)) == ours


def test_devices_compare_by_type_and_index_and_hash_as_their_name():
    pairs = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cpu:0", "cpu:0"), ("cuda:0", "cuda:0"), ("cuda", "cuda:0"),
             ("cuda:0", "cuda:1"), ("cpu", "cuda")]
    for a, b in pairs:
        assert (lg.device(a) == lg.device(b)) == (torch.device(a) == torch.device(b)), (a, b)
        assert (lg.device(a) != lg.device(b)) == (torch.device(a) != torch.device(b)), (a, b)
    assert len({lg.device("cpu"), lg.device("cpu"), lg.device("cuda:0")}) == 2
    for spec in ("cpu", "cpu:0", "cuda:1", "opencl"):
        d = lg.device(spec)
        assert pickle.loads(pickle.dumps(d)) == d


def test_a_device_is_the_str_of_lazygrads_name():
    host = lg.device("cpu")
    assert host == host_device() and isinstance(host, str) and host.type == "cpu"
    assert lg.device("python").type == "cpu" and lg.device("python") == "python"
    assert str(lg.device("python")) == ("cpu" if host_device() == "python" else "python")
    assert lg.device("opencl").type == "opencl" and lg.device("gpu") == "opencl"


@pytest.mark.parametrize("spec", [("cuda:x",), ("cpu:0:1",), ("tpu9",), ("cuda:0", 1), ("cpu", -1)])
def test_a_bad_device_raises_torchs_class(spec):
    same_class(lambda: lg.device(*spec), lambda: torch.device(*spec))


def test_an_accelerator_index_needs_an_accelerator():
    if accelerator_name() is None:
        same_class(lambda: lg.device(0), lambda: torch.device(0))
    else:
        assert lg.device(0).type == "opencl"


def test_a_tensor_device_answers_as_torchs(device):
    x = lg.zeros(2, device=device)
    assert x.device == device and x.device.type == on(device) and x.device.index is None
    assert x.device == lg.device(device) and str(x.device) == str(lg.device(device))
    if device == host_device():
        assert x.device == lg.device("cpu") and str(x.device) == "cpu" and repr(x.device) == "device(type='cpu')"
    assert x.is_cpu == (device in HOST) and x.is_cuda is False
    assert x.get_device() == (-1 if device in HOST else 0)


# ---- to() -------------------------------------------------------------------------------------

def _to_cases(lib, dev):
    f64, i32 = lib.float64, lib.int32
    other = lib.zeros(1, dtype=i32)
    return {
        "dtype": lambda x: x.to(f64),
        "device": lambda x: x.to(dev),
        "device value": lambda x: x.to(lib.device(dev)),
        "device and dtype": lambda x: x.to(dev, f64),
        "keywords": lambda x: x.to(device=dev, dtype=i32),
        "dtype keyword": lambda x: x.to(dtype=f64),
        "tensor": lambda x: x.to(other),
        "non_blocking": lambda x: x.to(f64, non_blocking=True),
        "positional flags": lambda x: x.to(f64, False, True),
        "copy": lambda x: x.to(dev, copy=True),
        "nothing": lambda x: x.to(),
        "None": lambda x: x.to(None),
    }


@pytest.mark.parametrize("case", sorted(_to_cases(torch, "cpu")))
def test_to_takes_torchs_forms(device, case):
    require_dtype(device, lg.float64)
    a = np.array([1.5, -2.0, 3.25], np.float32)
    want = _to_cases(torch, "cpu")[case](torch.tensor(a))
    x = lg.Tensor(a, device=device)
    got = _to_cases(lg, "cpu")[case](x)
    assert got.dtype.name == str(want.dtype).removeprefix("torch.") and got.tolist() == want.tolist()
    moved = case in ("device", "device value", "device and dtype", "keywords", "copy")
    assert got.device == (host_device() if moved else lg.Device.DEFAULT if case == "tensor" else device)


def test_to_returns_self_unless_something_changes_or_copy_is_asked(device):
    x = lg.zeros(2, device=device)
    assert x.to(lg.float32) is x and x.to(device) is x and x.to(non_blocking=True) is x
    assert x.to(device, copy=True) is not x and x.to(lg.float32, copy=True).tolist() == [0.0, 0.0]
    assert (x.to("cpu") is x) == (device == host_device()) and x.to("cpu").device == host_device()
    assert (x.cpu() is x) == (device == host_device()) and x.cpu().device == host_device()


@pytest.mark.parametrize("args, kwargs", [((object(),), {}), (("cpu", "cpu"), {}), (("cpu",), {"non_blocking": 1}), (("float64", "float32"), {}),
                                          (("cpu",), {"device": "cpu"}), (("float64",), {"dtype": "float32"}),
                                          ((), {"bad": 1})])
def test_to_rejects_what_torch_rejects(args, kwargs):
    def call(lib):
        spelled = tuple(getattr(lib, a) if a in ("float64", "float32") else a for a in args)
        named = {k: getattr(lib, v) if v in ("float64", "float32") else v for k, v in kwargs.items()}
        return lambda: lib.zeros(2).to(*spelled, **named)
    same_class(call(lg), call(torch))


@pytest.mark.parametrize("where", ["cuda", "cuda:0", "mps", "xpu"])
def test_devices_lazygrad_has_not_raise_torchs_class(device, where):
    x = lg.zeros(1, device=device)  # (the meta device lazygrad has: tests/test_meta_device.py)
    same_class(lambda: x.to(where), lambda: torch.zeros(1).to(where))
    same_class(lambda: lg.zeros(1, device=where), lambda: torch.zeros(1, device=where))


def test_the_cuda_error_says_lazygrad_has_none_and_names_its_devices():
    with pytest.raises(AssertionError) as e:
        lg.zeros(1).cuda()
    assert "lazygrad has no CUDA device" in str(e.value) and host_device() in str(e.value)
    same_class(lambda: lg.zeros(1).cuda(), lambda: torch.zeros(1).cuda())
    same_class(lambda: lg.nn.Linear(1, 1).cuda(), lambda: torch.nn.Linear(1, 1).cuda())


def test_factories_take_a_device_value_or_cpu(device):
    specs = [(lg.device(device), device), (device, device)]
    specs += [(spec, host_device()) for spec in ("cpu", "cpu:0", lg.device("cpu", 0))]
    for spec, want in specs:
        for t in (lg.zeros(2, device=spec), lg.full((2,), 1.5, device=spec), lg.arange(3, device=spec),
                  lg.rand(2, device=spec), lg.tensor([1, 2], device=spec), lg.eye(2, device=spec)):
            assert t.device == want
    assert lg.as_tensor([1.0], device=lg.device(device)).device == device


# ---- nn.Module ------------------------------------------------------------------------------

def test_module_to_casts_only_floating_tensors_as_torchs(device):
    require_dtype(device, lg.float64)
    ours, theirs = lg.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    ours.to(lg.device(device)).to(lg.float64)
    theirs.to(torch.float64)
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert a.dtype.name == str(b.dtype).removeprefix("torch."), name
        assert a.device == device
    assert ours.to("cpu", lg.float32, True).weight.device == host_device()
    assert ours.to(device).cpu().running_mean.device == host_device()


@pytest.mark.parametrize("method", ["half", "bfloat16", "float", "double"])
def test_module_cast_methods_cast_floating_tensors_as_torchs(method):
    ours, theirs = getattr(lg.nn.BatchNorm1d(3), method)(), getattr(torch.nn.BatchNorm1d(3), method)()
    for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert a.dtype.name == str(b.dtype).removeprefix("torch."), name


@pytest.mark.parametrize("call", ["int dtype", "copy", "cuda"])
def test_module_to_rejects_what_torch_rejects(call):
    def run(lib):
        module = lib.nn.Linear(2, 2)
        return {"int dtype": lambda: module.to(lib.int32), "copy": lambda: module.to(lib.float32, copy=True),
                "cuda": lambda: module.to("cuda")}[call]
    same_class(run(lg), run(torch))


def test_module_to_keeps_the_parameter_objects(device):
    model = lg.nn.Linear(2, 2)
    params = list(model.parameters())
    model.to(device=lg.device(device), dtype=lg.float32)
    assert list(model.parameters()) == params and all(p.device == device for p in params)


# ---- lg.cuda, lg.backends, lg.accelerator, deterministic algorithms -------------------------

@pytest.mark.parametrize("name", ["is_available", "device_count", "is_initialized", "is_bf16_supported",
                                  "empty_cache"])
def test_cuda_answers_as_torch_without_cuda(name):
    assert getattr(lg.cuda, name)() == getattr(torch.cuda, name)()


@pytest.mark.parametrize("name", ["manual_seed", "manual_seed_all"])
def test_cuda_seeds_are_accepted(name):
    assert getattr(lg.cuda, name)(0) is None and getattr(torch.cuda, name)(0) is None


@pytest.mark.parametrize("name", ["current_device", "synchronize", "get_device_name"])
def test_what_needs_cuda_raises_torchs_class(name):
    same_class(getattr(lg.cuda, name), getattr(torch.cuda, name))


def test_backend_flags_have_torchs_defaults_and_can_be_set():
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(lg.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert lg.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert lg.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert lg.backends.mps.is_available() == torch.backends.mps.is_available() is False
    saved = lg.backends.cudnn.deterministic, lg.backends.cudnn.benchmark
    lg.backends.cudnn.deterministic, lg.backends.cudnn.benchmark = True, True
    assert lg.backends.cudnn.deterministic is True and lg.backends.cudnn.benchmark is True
    lg.backends.cudnn.deterministic, lg.backends.cudnn.benchmark = saved


def test_the_accelerator_is_opencl_on_a_gpu_only():
    gpu = False
    if any(d.name == "opencl" and d.available for d in lg.devices()):
        from lazygrad.runtime import opencl
        ctx = opencl.context()
        gpu = bool(ctx.device.type & ctx.cl.device_type.GPU)
    assert lg.accelerator.is_available() == gpu and lg.accelerator.device_count() == int(gpu)
    current = lg.accelerator.current_accelerator()
    assert current is None if not gpu else (current == "opencl" and current.type == "opencl")


def test_deterministic_algorithms_are_accepted_and_read_back():
    try:
        for mode in (True, False):
            lg.use_deterministic_algorithms(mode, warn_only=mode)
            assert lg.are_deterministic_algorithms_enabled() is mode
            assert lg.is_deterministic_algorithms_warn_only_enabled() is mode
    finally:
        lg.use_deterministic_algorithms(False)
    same_class(lambda: lg.use_deterministic_algorithms(1), lambda: torch.use_deterministic_algorithms(1))


# ---- default dtype and device ----------------------------------------------------------------

@pytest.fixture
def float64_default():
    lg.set_default_dtype(lg.float64)
    torch.set_default_dtype(torch.float64)
    yield
    lg.set_default_dtype(lg.float32)
    torch.set_default_dtype(torch.float32)


def _default_dtype_cases(lib, dev):
    return {
        "python float": lambda: lib.tensor(1.5, device=dev),
        "float list": lambda: lib.tensor([1.5, 2.0], device=dev),
        "zeros": lambda: lib.zeros(2, device=dev),
        "float arange": lambda: lib.arange(3.0, device=dev),
        "int division": lambda: lib.tensor([1, 2], device=dev) / 2,
        "int times a float": lambda: lib.tensor([1, 2], device=dev) * 0.5,
        "rand": lambda: lib.rand(2, device=dev) * 0,
        "float32 stays": lambda: lib.ones(2, dtype=lib.float32, device=dev) * 2.5,
        "linear weight": lambda: lib.nn.Linear(2, 2).weight.detach() * 0,
        "batchnorm stats": lambda: lib.nn.BatchNorm1d(2).running_var,
        "dtype=float": lambda: lib.zeros(2, dtype=float, device=dev),
    }


@pytest.mark.parametrize("case", sorted(_default_dtype_cases(torch, "cpu")))
def test_the_default_dtype_reaches_what_torchs_reaches(device, float64_default, case):
    require_dtype(device, lg.float64)
    want = _default_dtype_cases(torch, "cpu")[case]()
    got = _default_dtype_cases(lg, device)[case]()
    assert got.dtype.name == str(want.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert lg.get_default_dtype() == lg.float64 and isinstance(lg.get_default_dtype(), lg.dtype)


def test_the_default_dtype_must_be_a_float():
    for dt in ("int32", "bool"):
        same_class(lambda dt=dt: lg.set_default_dtype(getattr(lg, dt)),
                   lambda dt=dt: torch.set_default_dtype(getattr(torch, dt)))
    assert lg.get_default_dtype() == lg.float32 and lg.zeros(1, dtype=float).dtype == lg.float64


def test_set_default_device_moves_factories_and_tensors(device):
    saved = lg.Device.DEFAULT
    try:
        lg.set_default_device(lg.device(device))
        assert lg.zeros(2).device == device and lg.tensor([1.0]).device == device
        assert lg.get_default_device() == lg.device(device)
        lg.set_default_device("cpu")
        assert lg.zeros(2).device == host_device() and lg.get_default_device().type == "cpu"
        with pytest.raises(AssertionError):
            lg.set_default_device("cuda")
    finally:
        lg.Device.DEFAULT = saved


# ---- new_*, type_as, nelement, numel, is_tensor, is_floating_point, as_tensor ---------------

def _new_cases(lib):
    return {
        "new_zeros": lambda x: x.new_zeros(2, 3),
        "new_zeros tuple": lambda x: x.new_zeros((2,)),
        "new_zeros 0-d": lambda x: x.new_zeros([]),
        "new_ones dtype": lambda x: x.new_ones(2, dtype=lib.int64),
        "new_full": lambda x: x.new_full((2,), 3),
        "new_full float into int": lambda x: x.new_full((2,), 3.5, dtype=lib.int32),
        "new_empty shape": lambda x: x.new_empty((2, 2)).zero_(),  # (torch's memory is uninitialized)
        "new_tensor ints": lambda x: x.new_tensor([1, 2]),
        "new_tensor dtype": lambda x: x.new_tensor([1.5, 2.5], dtype=lib.float16),
        "type_as": lambda x: x.type_as(lib.zeros(1, dtype=lib.int32)),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("case", sorted(_new_cases(torch)))
def test_new_tensors_take_selfs_dtype_and_device(device, case, dtype):
    require_dtype(device, getattr(lg, dtype))
    want = _new_cases(torch)[case](torch.zeros(3, dtype=getattr(torch, dtype)))
    got = _new_cases(lg)[case](lg.zeros(3, dtype=getattr(lg, dtype), device=device))
    assert got.dtype.name == str(want.dtype).removeprefix("torch.") and got.device == device
    assert got.shape == tuple(want.shape) and got.tolist() == want.tolist()


def test_new_tensor_methods_check_as_torch():
    same_class(lambda: lg.zeros(2).new_full(2, 1.0), lambda: torch.zeros(2).new_full(2, 1.0))
    same_class(lambda: lg.zeros(2, dtype=lg.uint8).new_full((2,), 300),
               lambda: torch.zeros(2, dtype=torch.uint8).new_full((2,), 300))
    same_class(lambda: lg.zeros(2).type_as([1]), lambda: torch.zeros(2).type_as([1]))
    assert lg.zeros(2).new_zeros(2, requires_grad=True).requires_grad
    assert not lg.zeros(2, requires_grad=True).new_tensor([1.0]).requires_grad


def test_size_and_kind_questions_match_torch(device):
    x, t = lg.zeros(2, 3, device=device), torch.zeros(2, 3)
    assert x.nelement() == t.nelement() and lg.numel(x) == torch.numel(t)
    assert lg.is_tensor(x) and lg.is_tensor(lg.nn.Parameter(lg.zeros(1))) and not lg.is_tensor([1])
    assert lg.is_floating_point(x) and not lg.is_floating_point(lg.zeros(1, dtype=lg.int64))
    for name in ("numel", "is_floating_point"):
        same_class(lambda name=name: getattr(lg, name)([1.0]), lambda name=name: getattr(torch, name)([1.0]))
    assert isinstance(x.dtype, lg.dtype) and not isinstance("float32", lg.dtype)


def test_as_tensor_keeps_a_tensor_and_converts_the_rest(device):
    x = lg.tensor([1.0, 2.0], device=device)
    assert lg.as_tensor(x) is x and lg.as_tensor(x, dtype=lg.float32) is x
    for data, dtype in (([1, 2], None), ([1, 2], "float32"), (np.array([1.0, 2.0]), None), (1.5, None)):
        want = torch.as_tensor(data, dtype=dtype and getattr(torch, dtype))
        got = lg.as_tensor(data, dtype=dtype and getattr(lg, dtype), device=device)
        assert got.dtype.name == str(want.dtype).removeprefix("torch.") and got.tolist() == want.tolist()
        assert got.device == device


# ---- legacy typed constructors ---------------------------------------------------------------

LEGACY = [("FloatTensor", (2, 3)), ("FloatTensor", ()), ("FloatTensor", ((2, 3),)), ("FloatTensor", ([1, 2],)),
          ("LongTensor", ([1.7, -2.5],)), ("IntTensor", ([True],)), ("BoolTensor", ([0, 2],)),
          ("ByteTensor", ([1, 255],)), ("DoubleTensor", (np.array([1, 2]),)), ("LongTensor", (3,)),
          ("HalfTensor", ([0.5],)), ("CharTensor", ([-3],)), ("ShortTensor", (2,))]


@pytest.mark.parametrize("name, args", LEGACY)
def test_legacy_constructors_match_torch(name, args):
    want, got = getattr(torch, name)(*args), getattr(lg, name)(*args)
    assert got.dtype.name == str(want.dtype).removeprefix("torch.") and got.shape == tuple(want.shape)
    if len(args) == 1 and not isinstance(args[0], int):  # data (a shape's values are uninitialized)
        assert got.tolist() == want.tolist()


@pytest.mark.parametrize("args", [(2.5,), (-1,), (1, [2])])
def test_legacy_constructors_reject_what_torch_rejects(args):
    same_class(lambda: lg.FloatTensor(*args), lambda: torch.FloatTensor(*args))
    same_class(lambda: lg.FloatTensor(lg.tensor([1, 2])), lambda: torch.FloatTensor(torch.tensor([1, 2])))


def test_a_legacy_type_is_a_dtype_test_and_shares_a_tensors_storage(device):
    x = lg.tensor([1.0, 2.0], device=device)
    assert isinstance(x, lg.FloatTensor) and not isinstance(x, lg.LongTensor)
    assert isinstance(lg.tensor([1]), lg.LongTensor) and not isinstance([1.0], lg.FloatTensor)
    y = lg.FloatTensor(x)
    y.add_(1)
    assert x.tolist() == [2.0, 3.0]
    assert lg.FloatTensor([1.0], device=device).device == device


# ---- inference_mode, grad-mode decorators -----------------------------------------------------

def test_inference_mode_turns_gradients_off_as_torchs(device):
    def check(lib):
        w = lib.ones(2, requires_grad=True)
        seen = []
        with lib.inference_mode():
            seen.append(((w * 2).requires_grad, lib.is_inference_mode_enabled(), lib.is_grad_enabled()))
        with lib.inference_mode(False):
            seen.append(((w * 2).requires_grad, lib.is_inference_mode_enabled(), lib.is_grad_enabled()))

        @lib.inference_mode
        def bare():
            return lib.is_grad_enabled()

        @lib.inference_mode()
        def called():
            return lib.is_grad_enabled()

        @lib.no_grad
        def no_grad_bare():
            return lib.is_grad_enabled()
        return seen + [bare(), called(), no_grad_bare(), lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
    assert check(lg) == check(torch)


def test_a_decorated_function_restores_grad_mode_when_it_recurses():
    @lg.no_grad()
    def depth(n):
        return lg.is_grad_enabled() if n == 0 else depth(n - 1)
    assert depth(3) is False and lg.is_grad_enabled() is True


# ---- .data ----------------------------------------------------------------------------------

def test_data_is_the_storage_without_history(device):
    def run(lib, dev):
        p = lib.nn.Parameter(lib.ones(2, device=dev))
        d = p.data
        d.mul_(3)
        y = (p * 2).data
        return p.tolist(), d.requires_grad, p.requires_grad, y.requires_grad, y.tolist()
    assert run(lg, device) == run(torch, "cpu")


def test_assigning_data_replaces_shape_dtype_and_values(device):
    def run(lib, dev):
        p = lib.nn.Parameter(lib.ones(2, device=dev))
        opt = lib.optim.SGD([p], lr=0.5)
        p.data = lib.full((3,), 2.0, device=dev)
        (p * p).sum().backward()
        opt.step()
        x = lib.ones(2, device=dev)
        view = x[0:1]
        x.data = lib.zeros(2, dtype=lib.int64, device=dev)
        return p.tolist(), p.requires_grad, tuple(p.shape), str(x.dtype)[-5:], x.tolist(), view.tolist()
    assert run(lg, device) == run(torch, "cpu")
    same_class(lambda: setattr(lg.zeros(1), "data", 5), lambda: setattr(torch.zeros(1), "data", 5))
