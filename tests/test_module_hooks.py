"""nn.Module's hooks and dotted-name lookups against torch, on every device: forward pre-hooks
and forward hooks (with and without kwargs, prepend, always_call, removal) that see and replace
arguments and results; full backward hooks and pre-hooks that see grad_input and grad_output
(and replace them); get_submodule, set_submodule, get_parameter, get_buffer and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def tolist(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return [tolist(v) for v in x]
    return np.round(np.array(x.tolist(), dtype=np.float64), 5).tolist()


def model(T, kw):
    nn = T.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).to(**kw)
    with T.no_grad():
        for p in m.parameters():
            p.copy_(T.arange(p.numel(), dtype=T.float32).reshape(p.shape) * 0.1 - 0.3)
    return m


def forward_program(T, kw):
    m, log = model(T, kw), []
    m[1].register_forward_hook(lambda mod, args, out: log.append(("relu out", tolist(out))))
    m[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    m[2].register_forward_hook(lambda mod, args, kwargs, out: out + 1, with_kwargs=True)
    m[2].register_forward_hook(lambda mod, args, out: log.append(("first", tolist(out))), prepend=True)
    gone = m[2].register_forward_hook(lambda mod, args, out: out * 100)
    gone.remove()
    m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] - 1,), kwargs), with_kwargs=True)
    y = m(T.tensor([[1.0, -2.0, 3.0]], **kw))
    return tolist(y), log


def backward_program(T, kw):
    m, log = model(T, kw), []
    m[2].register_full_backward_pre_hook(lambda mod, go: log.append(("pre", tolist(go))))
    m[2].register_full_backward_hook(lambda mod, gi, go: log.append(("last", tolist(gi), tolist(go))))
    m[1].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0.5,))
    m[0].register_full_backward_hook(lambda mod, gi, go: log.append(("first", tolist(gi), tolist(go))))
    x = T.tensor([[1.0, -2.0, 3.0]], requires_grad=True, **kw)
    (m(x) * T.tensor([[1.0, 2.0]], **kw)).sum().backward()
    m(T.tensor([[0.5, 1.0, -1.0]], **kw)).sum().backward()  # an input without grad: grad_input None
    return tolist(x.grad), tolist(m[0].weight.grad), log


@pytest.mark.parametrize("program", [forward_program, backward_program])
def test_module_hooks_are_torchs(device, program):
    assert program(lg, {"device": device}) == program(torch, {})


def test_an_unused_output_gives_none_in_grad_output(device):
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        T.manual_seed(0)
        lstm = T.nn.LSTM(2, 3).to(**kw)
        log = []
        lstm.register_full_backward_hook(lambda mod, gi, go, log=log: log.append(
            ([None if g is None else list(g.shape) for g in gi], [None if g is None else list(g.shape) for g in go])))
        out, _ = lstm(T.ones(4, 1, 2, requires_grad=True, **kw))
        out.sum().backward()
        seen.append(log)
    assert seen[0] == seen[1]


def _always_call(T) -> list:
    class Broken(T.nn.Module):
        def forward(self, x):
            raise ValueError("broken")
    log = []
    m = Broken()
    m.register_forward_hook(lambda mod, args, out: log.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: log.append("never"))
    with pytest.raises(ValueError, match="broken"):
        m(T.ones(2))
    return log


def test_always_call_runs_when_forward_raises(device):
    assert _always_call(lg) == _always_call(torch) == [None]


def test_dotted_names_find_what_torch_finds():
    for T in (lg, torch):
        m = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.BatchNorm1d(3))
        assert m.get_submodule("1") is m[1] and m.get_submodule("") is m
        assert m.get_parameter("0.bias") is m[0].bias and m.get_buffer("1.running_mean") is m[1].running_mean
        for method, name in (("get_submodule", "2"), ("get_parameter", "1.running_mean"),
                             ("get_buffer", "0.weight"), ("get_submodule", "0.weight")):
            with pytest.raises(AttributeError):
                getattr(m, method)(name)
        m.set_submodule("1", T.nn.ReLU())
        assert type(m[1]).__name__ == "ReLU"
