"""In-place writes follow torch: views (of realized and of lazy tensors, detach included) share
storage, copies never do, and autograd sees every write or refuses it as torch does."""
import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F


def _t(a, device, **kw):
    return lg.tensor(a, device=device, **kw)


@pytest.mark.parametrize("op", ["floor", "ceil", "round", "trunc", "abs", "relu", "sign"])
def test_value_ops_that_change_nothing_still_return_a_copy(device, op):
    dtype = lg.bool if op == "sign" else lg.uint8 if op in ("abs", "relu") else lg.int64
    x = lg.tensor([1, 0, 1], dtype=dtype, device=device)
    y = getattr(x, op)()
    x.fill_(0)
    assert y.tolist() == [1, 0, 1] if dtype != lg.bool else y.tolist() == [True, False, True]


def test_detach_shares_storage_both_ways(device):
    x = _t([-4.0, 1.0], device)
    d = x.detach()
    d.fill_(2.0)
    assert x.tolist() == [2.0, 2.0]
    x += 1
    assert d.tolist() == [3.0, 3.0]


def test_views_of_a_lazy_tensor_share_its_storage(device):
    x = lg.zeros(2, 3, device=device)  # lazy: no storage yet
    row = x[0]
    row += 1
    assert x.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    col = x[:, 1]
    col[1] = 5.0
    assert x.tolist() == [[1.0, 1.0, 1.0], [0.0, 5.0, 0.0]] and row.tolist() == [1.0, 1.0, 1.0]
    t = (_t([[-3.0, 3.0], [-3.0, 4.0]], device) * 1).transpose(0, 1)
    t.sub_(-2)
    assert t.transpose(0, 1).tolist() == [[-1.0, 5.0], [-1.0, 6.0]]


_RESULTS = {  # ops whose results are built as a view of an intermediate (matmul's reshaped sum)
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b),
    "sum": (lambda a, b: (a * b).sum(-1, keepdim=True), lambda a, b: (a * b).sum(-1, keepdims=True)),
    "amax": (lambda a, b: (a + b).amax(-1, keepdim=True), lambda a, b: (a + b).max(-1, keepdims=True)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
}


@pytest.mark.parametrize("op", sorted(_RESULTS))
def test_a_view_of_a_lazy_result_sees_writes_after_a_write_to_its_input(device, op):
    # the write to b computes the result and its view first; the view must stay a view of the
    # result's storage (seed 9731 of the differential run: the view kept the old values)
    a_np = np.array([[[2.0], [-2.0]], [[-1.0], [2.5]]], np.float32)
    b_np = np.array([[-4.0, -0.5]], np.float32)
    a, b = _t(a_np, device), _t(b_np, device)
    y = _RESULTS[op][0](a, b)
    v = y.transpose(0, 1)
    b *= 2
    y.add_(1)
    want = _RESULTS[op][1](a_np, b_np) + 1
    np.testing.assert_allclose(v.numpy(), want.transpose(1, 0, 2), rtol=1e-6)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)


def test_equal_expressions_are_not_aliases(device):
    a = lg.ones(3, device=device) * 2
    b = lg.ones(3, device=device) * 2
    view_of_a = a.view(3)
    a += 1
    assert b.tolist() == [2.0, 2.0, 2.0] and view_of_a.tolist() == [3.0, 3.0, 3.0]


def test_a_write_into_an_expanded_view_writes_the_one_element(device):
    v = _t(2.75, device).exp()
    wide = v.expand(3)
    wide[-1] = 0.25
    assert v.tolist() == 0.25 and wide.tolist() == [0.25, 0.25, 0.25]


def test_in_place_on_a_leaf_that_requires_grad_raises_unless_no_grad(device):
    w = _t([1.5, 2.0], device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.mul_(2)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w[0:1].zero_()
    with lg.no_grad():
        w.mul_(2)
    assert w.tolist() == [3.0, 4.0] and w.is_leaf


def test_writing_a_value_that_requires_grad_carries_its_gradient(device):
    x = _t([1.0, 2.0], device)
    w = _t(-1.5, device, requires_grad=True)
    x -= w
    assert x.requires_grad and not x.is_leaf
    (x * _t([2.0, 3.0], device)).sum().backward()
    assert w.grad.tolist() == -5.0 and x.grad is None
    y = _t([[3.25, -2.5]], device)
    v = _t(0.25, device, requires_grad=True)
    y[:, 1] = v
    (y * 2).sum().backward()
    assert v.grad.tolist() == 2.0


def test_a_write_into_a_view_of_a_non_leaf_keeps_the_rest_of_its_gradient(device):
    x = _t([1.0, 2.0, 3.0], device, requires_grad=True)
    y = x * 2
    tail = y[1:]
    tail[0] = 10.0
    assert y.tolist() == [2.0, 10.0, 6.0]
    (y * _t([1.0, 2.0, 3.0], device)).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 6.0]


def test_a_write_under_no_grad_keeps_the_gradient_history(device):
    v1 = _t([-1.5, 1.75], device, requires_grad=True)
    v2 = v1 @ v1
    with lg.no_grad():
        v2.sub_(2)
    assert v2.tolist() == pytest.approx(3.3125)
    (v2 * 2.375).sum().backward()
    assert v1.grad.tolist() == [-7.125, 8.3125]


def test_a_gradient_that_needs_an_overwritten_value_raises(device):
    x = _t([1.0, 2.0], device, requires_grad=True)
    y = x.exp()
    y += 1  # exp's gradient is its output, which is gone
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    x2 = _t([1.0, 2.0], device, requires_grad=True)
    z = x2 * 2
    z += 1  # mul by a constant needs nothing of z
    (z * z).sum().backward()
    assert x2.grad.tolist() == [12.0, 20.0]


def test_max_along_a_dim_sends_the_gradient_to_the_index_it_returns(device):
    x = _t([[1.0, 3.0, 3.0]], device, requires_grad=True)
    values, indices = x.max(dim=1)
    values.sum().backward()
    assert indices.tolist() == [1] and x.grad.tolist() == [[0.0, 1.0, 0.0]]
    y = _t([[1.0, 3.0, 3.0]], device, requires_grad=True)
    y.amax(dim=1).sum().backward()  # amax shares it among ties
    assert y.grad.tolist() == [[0.0, 0.5, 0.5]]


def test_softplus_gradient_at_zero_is_one_half(device):
    x = _t([0.0, -30.0, 30.0], device, requires_grad=True)
    F.softplus(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.0, 1.0], atol=1e-7)


def test_jit_returns_one_tensor_twice_and_fresh_values_on_replay(device):
    f = lg.jit(lambda x: [x * 2, x * 2])
    for i in range(4):
        a, b = f(_t([float(i)], device))
        assert a.tolist() == b.tolist() == [2.0 * i]
    same = _t([1.0], device)
    g = lg.jit(lambda x: x * 3 + 1)
    g(same), g(same)  # the first call caches values of `same`; the trace must not reuse them
    assert g(_t([2.0], device)).tolist() == [7.0]


def test_jit_returns_the_current_version_of_a_storage_it_writes(device):
    state = _t([1.25], device)

    def step(x):
        with lg.no_grad():
            state.add_(x)
        return state
    f = lg.jit(step)
    for i in range(4):
        out = f(_t([1.0], device))
        assert out.tolist() == [2.25 + i] and state.tolist() == [2.25 + i]


def test_floor_divide_has_no_derivative_but_floor_division_does(device):
    x = _t([1.5, 2.0], device, requires_grad=True)
    assert (x // 2).tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="floor_divide"):
        (x // 2).sum().backward()
    lg.div(x, 2, rounding_mode="floor").sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_jit_output_written_in_place_inside_the_function_is_fresh_every_call(device):
    base = lg.tensor([[1], [2], [3]], device=device)

    def f(c):
        v = base & c
        v[1:, 0] = 7  # v is computed, then written: the plan must replay both
        return v
    g = lg.jit(f)
    for i in range(4):
        c = lg.tensor([[i], [i], [i]], device=device)
        assert g(c).tolist() == [[1 & i], [7], [7]]


def test_subtraction_with_a_bool_raises_as_torch(device):
    for f in (lambda: _t([1], device) - _t(False, device), lambda: _t([1], device) - True,
              lambda: True - _t([1], device), lambda: _t([True], device) - 1):
        with pytest.raises(RuntimeError, match="Subtraction"):
            f()


def test_jit_indexes_with_a_tensor_made_inside_the_function(device):
    f = lg.jit(lambda c: c[lg.tensor([0, 2], device=device)])
    for i in range(3):
        assert f(lg.tensor([10, 20, 30], device=device) + i).tolist() == [10 + i, 30 + i]


def test_a_detached_leaf_can_be_written_and_ops_that_copy_never_alias(device):
    v = _t([1.0, 2.0], device, requires_grad=True)
    d = v.detach()
    d *= d  # torch allows it: detach leaves autograd, storage stays shared
    assert v.tolist() == [1.0, 4.0]
    s = (_t([3.0], device) * 1).softmax(-1)
    p = F.pad(s, (0, 0))
    p.copy_(_t([0.25], device))
    assert s.tolist() == [1.0] and p.tolist() == [0.25]
