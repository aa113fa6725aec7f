"""torch._foreach_* against torch: every out-of-place op and its in-place twin on a list of
tensors, with each form of the other operand (scalar, scalar list, one tensor, tensor list),
what they return (a tuple of new tensors, or the list written in place), and torch's errors
for an empty list or lists of different lengths."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad.frontend import foreach

R = np.random.default_rng(0)
A = [R.uniform(0.2, 0.9, s).astype(np.float32) for s in ((2, 3), (4,), ())]
B = [R.uniform(0.2, 0.9, a.shape).astype(np.float32) for a in A]


def lists(T, device):
    kw = {"device": device} if T is lg and device else {}
    return [T.tensor(a, **kw) for a in A], [T.tensor(b, **kw) for b in B], kw


CALLS = {  # name: f(T, fn, a, b, kw) calling torch._foreach_<name> (fn) on lists a and b
    "unary_exp": ("exp", lambda T, fn, a, b, kw: fn(a)),
    "div_scalar": ("div", lambda T, fn, a, b, kw: fn(a, 0.5)),
    "maximum_scalar": ("maximum", lambda T, fn, a, b, kw: fn(a, 0.5)),
    "minimum_list": ("minimum", lambda T, fn, a, b, kw: fn(a, b)),
    "pow_list": ("pow", lambda T, fn, a, b, kw: fn(a, b)),
    "add_scalars": ("add", lambda T, fn, a, b, kw: fn(a, [1.0, 2.0, 3.0])),
    "mul_tensor": ("mul", lambda T, fn, a, b, kw: fn(a, T.tensor(3.0, **kw))),
    "sub_alpha": ("sub", lambda T, fn, a, b, kw: fn(a, b, alpha=0.5)),
    "addcmul": ("addcmul", lambda T, fn, a, b, kw: fn(a, b, b, value=0.5)),
    "addcdiv_scalars": ("addcdiv", lambda T, fn, a, b, kw: fn(a, b, a, [0.5, 2.0, -1.0])),
    "lerp_scalar": ("lerp", lambda T, fn, a, b, kw: fn(a, b, 0.25)),
    "lerp_list": ("lerp", lambda T, fn, a, b, kw: fn(a, b, b)),
}


@pytest.mark.parametrize("name", foreach.UNARY)
def test_every_unary_foreach_op_is_torchs(name):
    results = []
    for T in (lg, torch):
        a, _, _ = lists(T, None)
        out = getattr(T, f"_foreach_{name}")(a)
        getattr(T, f"_foreach_{name}_")(a)
        results.append([t.numpy() for t in (*out, *a)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name", foreach.BINARY)
def test_every_binary_foreach_op_is_torchs(name):
    results = []
    for T in (lg, torch):
        a, b, _ = lists(T, None)
        out = (*getattr(T, f"_foreach_{name}")(a, 0.75), *getattr(T, f"_foreach_{name}")(a, b))
        getattr(T, f"_foreach_{name}_")(a, b)
        results.append([t.numpy() for t in (*out, *a)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("case", CALLS)
@pytest.mark.parametrize("inplace", [False, True])
def test_foreach_ops_are_torchs(device, case, inplace):
    name, call = CALLS[case]
    results = []
    for T in (lg, torch):
        a, b, kw = lists(T, device)
        out = call(T, getattr(T, f"_foreach_{name}{'_' if inplace else ''}"), a, b, kw)
        if inplace:
            assert type(out) is list and all(o is t for o, t in zip(out, a))
        else:
            assert type(out) is tuple
        results.append([t.numpy() for t in (a if inplace else out)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)


def test_foreach_norm_max_zero_copy_and_scalar_pow_are_torchs(device):
    seen = []
    for T in (lg, torch):
        a, b, _ = lists(T, device)
        row = [T._foreach_norm(a), T._foreach_norm(a, ord=float("inf")), T._foreach_max(a), T._foreach_pow(2.0, a),
               T._foreach_clone(a)]
        T._foreach_copy_(a, b)
        row.append(a)
        row.append(T._foreach_zero_(b))
        seen.append([[t.numpy() for t in part] for part in row])
    for ours, theirs in zip(*seen):
        for x, y in zip(ours, theirs):
            np.testing.assert_allclose(x, y, rtol=2e-6)


def test_an_ema_update_in_place_keeps_versions_and_no_grad():
    """timm's ModelEmaV3 step: under no_grad, ema <- lerp(ema, model, 1 - decay)."""
    ema = [lg.ones(2), lg.zeros(3)]
    model = [p.requires_grad_() for p in (lg.zeros(2), lg.ones(3))]
    with lg.no_grad():
        lg._foreach_lerp_(ema, model, 0.1)
    np.testing.assert_allclose(np.concatenate([e.numpy() for e in ema]), [0.9, 0.9, 0.1, 0.1, 0.1], rtol=1e-6)
    assert not any(e.requires_grad for e in ema)


@pytest.mark.parametrize("call", [lambda T, a, b: T._foreach_add([], 1.0),
                                  lambda T, a, b: T._foreach_add(a, [1.0]),
                                  lambda T, a, b: T._foreach_mul_(a, b[:2])])
def test_bad_lists_raise_torchs_error(device, call):
    for T in (lg, torch):
        a, b, _ = lists(T, device)
        with pytest.raises(RuntimeError, match="Tensor list"):
            call(T, a, b)
