"""Idioms that real PyTorch programs (probe round 6: DCGAN, siamese, actor-critic, GCN, ...)
use, each compared with torch 2.13: values, error classes and messages."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("pieces", [[(), ()], [(1,), ()], [(0,), ()]])
def test_cat_refuses_a_zero_dimensional_tensor_as_torch(pieces, device):
    with pytest.raises(RuntimeError) as theirs:
        torch.cat([torch.ones(s) for s in pieces])
    with pytest.raises(RuntimeError) as ours:
        lg.cat([lg.ones(s, device=device) for s in pieces])
    assert str(ours.value) == str(theirs.value)


def test_cat_of_no_tensors_is_torchs_value_error():
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        torch.cat([])
    with pytest.raises(ValueError, match="expected a non-empty list of Tensors"):
        lg.cat([])


@pytest.mark.parametrize("data", [range(4), (1, 2), [3]])
def test_legacy_constructors_take_any_sequence_as_torch(data, device):
    ours, theirs = lg.LongTensor(data, device=device), torch.LongTensor(data)
    assert ours.tolist() == theirs.tolist() and ours.dtype == lg.int64


@pytest.mark.parametrize("data", [{1, 2}, "ab", (x for x in range(2))])
def test_legacy_constructors_refuse_what_is_not_a_sequence_as_torch(data):
    with pytest.raises(TypeError) as theirs:
        torch.LongTensor(data)
    with pytest.raises(TypeError) as ours:
        lg.LongTensor(data)
    assert str(ours.value) == str(theirs.value)


SUBLISTS = [  # (shapes, sublist arguments with operand positions as ints)
    ([(3, 4), (4, 2)], ["A", [0, 1], "B", [1, 2], [0, 2]]),
    ([(3, 4), (4, 2)], ["A", [0, 1], "B", [1, 2]]),
    ([(2, 3, 4)], ["A", [Ellipsis, 0, 1], [Ellipsis, 1, 0]]),
    ([(2, 3, 4)], ["A", [Ellipsis, 27, 1]]),
    ([(2, 3)], ["A", [30, 2]]),
]


@pytest.mark.parametrize("shapes, args", SUBLISTS)
def test_einsum_takes_torchs_sublist_form(shapes, args, device):
    arrays = [np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)]

    def call(module, **kw):
        names = {"A": 0, "B": 1}
        return module.einsum(*(module.tensor(arrays[names[a]], **kw) if isinstance(a, str) else a for a in args))
    np.testing.assert_allclose(call(lg, device=device).numpy(), call(torch).numpy(), rtol=1e-5, atol=1e-5)


def test_einsum_sublist_out_of_range_is_torchs_value_error():
    for module in (torch, lg):
        with pytest.raises(ValueError, match=r"not within the valid range \[0, 52\)"):
            module.einsum(module.ones(2, 2), [52, 1])


@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
def test_a_decorated_generator_runs_its_steps_in_the_mode_as_torch(mode, device):
    def run(module, **kw):
        x = module.ones(2, requires_grad=True, **kw)
        outside = []

        @getattr(module, mode)()
        def steps():
            for i in range(3):
                got = yield (x * i).requires_grad, module.is_grad_enabled()
                outside.append(got)
            return "done"
        with module.no_grad() if mode == "enable_grad" else module.enable_grad():
            gen = steps()
            seen = [next(gen)]
            seen += [gen.send(module.is_grad_enabled()) for _ in range(2)]
            with pytest.raises(StopIteration) as stop:
                gen.send(None)
        return seen, outside, stop.value.value
    assert run(lg, device=device) == run(torch)


@pytest.mark.parametrize("module", [torch, lg], ids=["torch", "lazygrad"])
def test_a_decorated_generator_gets_what_is_thrown_in(module):
    @module.no_grad()
    def steps():
        try:
            yield 1
        except KeyError:
            yield module.is_grad_enabled()
    gen = steps()
    next(gen)
    assert gen.throw(KeyError("k")) is False


def test_an_inplace_write_to_an_inference_tensor_outside_inference_mode_is_refused_as_torch(device):
    for module, kw in ((torch, {}), (lg, {"device": device})):
        with module.inference_mode():
            t = module.ones(3, **kw) * 2
            t.add_(1)  # (inside: allowed)
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            t.add_(1)
        with module.no_grad(), pytest.raises(RuntimeError, match="inference tensor outside InferenceMode"):
            t[0] = 5
        u = t.clone()  # (torch writes t before it raises; lazygrad raises first)
        before = u.tolist()
        u.add_(1)
        assert u.tolist() == [v + 1 for v in before] and not u.is_inference()
