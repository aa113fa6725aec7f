"""Idioms that real PyTorch programs (probe round 7: ResNet, transformer LM, GRU sentiment,
conv autoencoder, distillation, metric learning, ...) use, each compared with torch 2.13:
values, error classes and messages."""
import ast
import re

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("counts, dtype", [([2, 0, 3], "int64"), ([], "int64"), ([2, 1], "int32")])
def test_repeat_interleave_of_counts_alone_gives_segment_ids_as_torch(counts, dtype, device):
    ours = lg.repeat_interleave(lg.tensor(counts, dtype=getattr(lg, dtype), device=device))
    theirs = torch.repeat_interleave(torch.tensor(counts, dtype=getattr(torch, dtype)))
    assert ours.tolist() == theirs.tolist() and ours.dtype.name == dtype


@pytest.mark.parametrize("counts", [2, [[1, 2]], [1.0, 2.0], [True], [1, -1]])
def test_repeat_interleave_of_bad_counts_is_torchs_error(counts):
    with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
        torch.repeat_interleave(torch.tensor(counts))
    with pytest.raises(theirs.type) as ours:
        lg.repeat_interleave(lg.tensor(counts))
    assert str(ours.value) == str(theirs.value)


def test_repeat_interleave_takes_torchs_output_size(device):
    x = lg.tensor([1, 2, 3], device=device)
    assert x.repeat_interleave(lg.tensor([1, 2, 0]), output_size=3).tolist() == [1, 2, 2]
    assert lg.repeat_interleave(lg.tensor([2, 1]), output_size=3).tolist() == [0, 0, 1]
    assert lg.repeat_interleave(x, 2, dim=0, output_size=6).tolist() == [1, 1, 2, 2, 3, 3]
    with pytest.raises(RuntimeError, match="allocated size does not match required size"):
        x.repeat_interleave(lg.tensor([1, 2, 0]), output_size=4)


def _copy_params(ours, theirs, device):
    for a, b in zip(ours.parameters(), theirs.parameters()):
        with lg.no_grad():
            a.copy_(lg.tensor(b.detach().numpy(), device=device))


CONV_PADDINGS = [("Conv2d", (1, 2, 4, 5), 3, 1), ("Conv2d", (1, 2, 4, 5), (3, 4), "same"),
                 ("Conv1d", (2, 6), 4, "same"), ("Conv1d", (1, 2, 5), 3, 2), ("Conv3d", (1, 2, 3, 4, 5), 3, (1, 0, 1))]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("cls, shape, kernel, padding", CONV_PADDINGS)
def test_conv_padding_modes_pad_then_convolve_as_torch(mode, cls, shape, kernel, padding, device):
    theirs = getattr(torch.nn, cls)(2, 3, kernel, padding=padding, padding_mode=mode)
    ours = getattr(lg.nn, cls)(2, 3, kernel, padding=padding, padding_mode=mode, device=device)
    _copy_params(ours, theirs, device)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tx, ox = torch.tensor(x, requires_grad=True), lg.tensor(x, device=device, requires_grad=True)
    ty, oy = theirs(tx), ours(ox)
    (ty * ty).sum().backward()
    (oy * oy).sum().backward()
    assert list(ours._reversed_padding_repeated_twice) == list(theirs._reversed_padding_repeated_twice)
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("cls, kwargs", [("Conv2d", {"padding_mode": "foo"}), ("ConvTranspose2d", {"padding_mode": "reflect"}),
                                         ("Conv2d", {"groups": 0}), ("Conv2d", {"groups": 4}),
                                         ("ConvTranspose1d", {"groups": 4}), ("Conv2d", {"padding": "full"}),
                                         ("Conv2d", {"padding": "same", "stride": 2})])
def test_conv_layer_arguments_are_checked_as_torch(cls, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn, cls)(2, 4, 3, **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(lg.nn, cls)(2, 4, 3, **kwargs)
    assert _sets_sorted(str(ours.value)) == _sets_sorted(str(theirs.value))


def _sets_sorted(message: str) -> str:
    """A message with each {...} set it prints in sorted order (a set's order varies by run)."""
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(ast.literal_eval(m.group(0)))), message)


TRANSPOSED = [("ConvTranspose2d", (1, 2, 4, 5), [8, 10]), ("ConvTranspose2d", (1, 2, 4, 5), (1, 3, 8, 9)),
              ("ConvTranspose2d", (2, 4, 5), [3, 7, 10]), ("ConvTranspose1d", (1, 2, 5), [10]),
              ("ConvTranspose3d", (1, 2, 2, 3, 3), [4, 6, 5])]


@pytest.mark.parametrize("cls, shape, output_size", TRANSPOSED)
def test_transposed_conv_takes_torchs_output_size(cls, shape, output_size, device):
    theirs = getattr(torch.nn, cls)(2, 3, 3, stride=2, padding=1)
    ours = getattr(lg.nn, cls)(2, 3, 3, stride=2, padding=1, device=device)
    _copy_params(ours, theirs, device)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ty, oy = theirs(torch.tensor(x), output_size=output_size), ours(lg.tensor(x, device=device), output_size=output_size)
    assert tuple(oy.shape) == tuple(ty.shape)
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("output_size", [[9, 9], [6, 7], [8], [1, 1, 1]])
def test_transposed_conv_refuses_an_output_size_it_cannot_give_as_torch(output_size):
    theirs, ours = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), lg.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError) as expected:
        theirs(torch.ones(1, 2, 4, 5), output_size=output_size)
    with pytest.raises(ValueError) as got:
        ours(lg.ones(1, 2, 4, 5), output_size=output_size)
    assert str(got.value) == str(expected.value).replace("torch.Size", "lazygrad.Size")


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_scale_grad_by_freq_divides_each_rows_gradient_by_its_count_as_torch(padding_idx, device):
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    idx = [[1, 1, 2], [1, 0, 5]]
    grads, values = [], []
    for module, kw in ((torch, {}), (lg, {"device": device})):
        weight = module.tensor(w, requires_grad=True, **kw)
        emb = module.nn.Embedding.from_pretrained(weight, freeze=False, padding_idx=padding_idx, scale_grad_by_freq=True)
        y = emb(module.tensor(idx, **kw))
        (y * module.arange(3.0, **kw)).sum().backward()
        grads.append(emb.weight.grad.numpy())
        values.append(y.detach().numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)
    np.testing.assert_array_equal(values[1], values[0])


def test_embedding_scale_grad_by_freq_second_derivative_is_torchs(device):
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    results = []
    for module, kw in ((torch, {}), (lg, {"device": device})):
        weight = module.tensor(w, requires_grad=True, **kw)
        y = module.nn.functional.embedding(module.tensor([[1, 1, 2], [1, 0, 5]], **kw), weight, scale_grad_by_freq=True)
        g, = module.autograd.grad((y ** 2).sum(), weight, create_graph=True)
        g.sum().backward()
        results.append(weight.grad.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_embedding_bag_max_mode_refuses_scale_grad_by_freq_as_torch():
    for module in (torch, lg):
        with pytest.raises(ValueError, match="max mode does not support scaling the gradient by the frequency"):
            module.nn.functional.embedding_bag(module.tensor([1, 2]), module.ones(3, 2), module.tensor([0]), mode="max",
                                               scale_grad_by_freq=True)


def _schedule(module, name):
    s = module.optim.lr_scheduler
    opt = module.optim.SGD([module.nn.Parameter(module.ones(2))], lr=1.0, momentum=0.9)
    make = {"StepLR": lambda: s.StepLR(opt, 2), "LambdaLR": lambda: s.LambdaLR(opt, lambda e: 0.5 ** e),
            "OneCycleLR": lambda: s.OneCycleLR(opt, 1.0, total_steps=10),
            "CosineAnnealingWarmRestarts": lambda: s.CosineAnnealingWarmRestarts(opt, 2),
            "SequentialLR": lambda: s.SequentialLR(opt, [s.ConstantLR(opt, total_iters=2), s.ExponentialLR(opt, 0.9)], [2]),
            "CyclicLR": lambda: s.CyclicLR(opt, 0.1, 1.0, step_size_up=2)}
    return opt, make[name]()


def _state(sched) -> dict:
    state = sched.state_dict()
    state.pop("lr_lambdas", None)
    if "_schedulers" in state:
        state["_schedulers"] = [dict(child) for child in state["_schedulers"]]
    return state


@pytest.mark.parametrize("name", ["StepLR", "LambdaLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "SequentialLR",
                                  "CyclicLR"])
def test_scheduler_state_dict_holds_what_torchs_holds(name):
    states = []
    for module in (torch, lg):
        opt, sched = _schedule(module, name)
        for _ in range(4):
            opt.step()
            sched.step()
        states.append(_state(sched))
    theirs, ours = states
    assert _rounded(ours) == _rounded(theirs)


def _rounded(obj):
    """obj with its floats to 9 places and each dict as a list of items (so key order counts)."""
    if isinstance(obj, float):
        return round(obj, 9)
    if isinstance(obj, dict):
        return [(k, _rounded(v)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    return obj


@pytest.mark.parametrize("name", ["StepLR", "LambdaLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "CyclicLR"])
def test_get_lr_outside_step_warns_as_torch(name):
    for module in (torch, lg):
        _, sched = _schedule(module, name)
        with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
            sched.get_lr()


def _warnings_of(steps) -> list[str]:
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        steps()
    return [str(w.message)[:40] for w in caught]


@pytest.mark.parametrize("name", ["StepLR", "SequentialLR", "CosineAnnealingWarmRestarts"])
@pytest.mark.parametrize("order", ["optimizer first", "scheduler first", "epoch given", "step overridden"])
def test_scheduler_step_order_warnings_are_torchs(name, order):
    def run(module):
        opt, sched = _schedule(module, name)
        if order == "step overridden":
            opt.step = lambda closure=None: None
        if order == "optimizer first":
            opt.step()
        sched.step(*([1] if order == "epoch given" and name != "SequentialLR" else []))
        sched.step()
    assert _warnings_of(lambda: run(lg)) == _warnings_of(lambda: run(torch))


def test_scheduler_of_something_not_an_optimizer_is_torchs_type_error():
    for module in (torch, lg):
        with pytest.raises(TypeError, match="^NoneType is not an Optimizer$"):
            module.optim.lr_scheduler.StepLR(None, 2)


def test_an_optimizer_with_a_schedule_pickles_and_copies_as_torchs():
    import copy
    import pickle
    for module in (torch, lg):
        opt, _ = _schedule(module, "StepLR")
        opt.step()
        for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
            assert not hasattr(clone, "_opt_called") and clone.param_groups[0]["lr"] == 1.0


INFERENCE_USES = {"mul": lambda m, t, w: (w * t).sum(), "mul_rev": lambda m, t, w: (t * w).sum(),
                  "div": lambda m, t, w: (t / w).sum(), "pow": lambda m, t, w: (w ** t).sum(),
                  "matmul": lambda m, t, w: (w[None].expand(2, 3, 2) @ t.T).sum(),
                  "linear": lambda m, t, w: m.nn.functional.linear(t, w), "view": lambda m, t, w: (w * t[0]).sum(),
                  "detached": lambda m, t, w: (w * t.detach()).sum(), "maximum": lambda m, t, w: m.maximum(w, t),
                  "add": lambda m, t, w: (w + t).sum(), "where": lambda m, t, w: m.where(t > 0, w, 0.0),
                  "clone": lambda m, t, w: (w * t.clone()).sum(), "no_grad": lambda m, t, w: _no_grad_mul(m, t, w)}


def _no_grad_mul(module, t, w):
    with module.no_grad():
        return w * t


@pytest.mark.parametrize("use", list(INFERENCE_USES))
def test_an_inference_tensor_kept_for_backward_is_torchs_error(use, device):
    outcomes = []
    for module, kw in ((torch, {}), (lg, {"device": device})):
        with module.inference_mode():
            t = module.ones(3, 2, **kw)
        w = module.ones(3, 2, requires_grad=True, **kw)
        try:
            INFERENCE_USES[use](module, t, w)
            outcomes.append(None)
        except RuntimeError as e:
            outcomes.append(str(e))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("how", ["requires_grad_", "attribute", "Parameter"])
def test_an_inference_tensor_cannot_require_grad_outside_inference_mode_as_torch(how, device):
    for module, kw in ((torch, {}), (lg, {"device": device})):
        with module.inference_mode():
            t = module.ones(2, **kw)
            assert module.ones(2, **kw).requires_grad_().requires_grad  # (inside, it may)
        with pytest.raises(RuntimeError, match="^Setting requires_grad=True on inference tensor outside InferenceMode "
                                               "is not allowed.$"):
            if how == "requires_grad_":
                t.requires_grad_()
            elif how == "attribute":
                t.requires_grad = True
            else:
                module.nn.Parameter(t)
        assert not t.requires_grad_(False).requires_grad


SCALAR_CONVERSIONS = {"float": lambda t: float(t.sum()), "percent": lambda t: "%.2f" % t[0],  # noqa: UP031 (torch's %-format path)
                      "complex": lambda t: complex(t[0]), "item": lambda t: t.sum().item(), "int": lambda t: int(t[0]),
                      "format": lambda t: f"{t[0]:.2f}", "detached": lambda t: float(t.detach()[0])}


@pytest.mark.parametrize("grad_mode", ["enable_grad", "no_grad"])
@pytest.mark.parametrize("conversion", list(SCALAR_CONVERSIONS))
def test_float_of_a_tensor_that_requires_grad_warns_as_torch(conversion, grad_mode, device):
    caught = []
    for module, kw in ((torch, {}), (lg, {"device": device})):
        t = module.ones(3, requires_grad=True, **kw)
        module.set_warn_always(True)  # (else the warning is torch's once a process)
        try:
            with getattr(module, grad_mode)():
                caught.append(_warnings_of(lambda t=t: SCALAR_CONVERSIONS[conversion](t)))
        finally:
            module.set_warn_always(False)
    assert caught[1] == caught[0]


def test_the_scalar_conversion_warning_is_given_once_a_process():
    from lazygrad.errors import _WARNED
    _WARNED.discard("scalar of grad tensor")
    t = lg.ones(2, requires_grad=True)
    assert len(_warnings_of(lambda: [float(t[0]), float(t[1])])) == 1
    assert not _warnings_of(lambda: float(t[0]))


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_bicubic_and_its_gradients_are_torchs(padding_mode, align_corners, device):
    rng = np.random.default_rng(0)
    x0, g0 = rng.random((2, 3, 5, 4), dtype=np.float32), rng.random((2, 6, 7, 2), dtype=np.float32) * 2.6 - 1.3
    results = []
    for module, kw in ((torch, {}), (lg, {"device": device})):
        x, g = module.tensor(x0, requires_grad=True, **kw), module.tensor(g0, requires_grad=True, **kw)
        y = module.nn.functional.grid_sample(x, g, mode="bicubic", padding_mode=padding_mode, align_corners=align_corners)
        (y * y).sum().backward()
        results.append([t.detach().numpy() for t in (y, x.grad, g.grad)])
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
