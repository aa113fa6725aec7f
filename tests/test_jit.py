"""lg.jit: replays give the same numbers as plain calls, and never silently go wrong."""
import numpy as np
import pytest

import lazygrad as lg


def _t(a, device):
    return lg.Tensor(np.asarray(a, dtype=np.float32), device=device)


def test_replay_matches_plain_calls(device, rng):
    w = _t(rng.standard_normal((8, 4)), device).realize()

    @lg.jit
    def f(x):
        return ((x @ w).relu() * 2).sum(1)

    for i in range(5):
        a = rng.standard_normal((3, 8)).astype(np.float32)
        out = f(_t(a, device))
        np.testing.assert_allclose(out.numpy(), (np.maximum(a @ w.numpy(), 0) * 2).sum(1), rtol=1e-5)
    assert len(f.plans) == 1


def test_replay_builds_no_graph_and_runs_kernels(device, rng):
    @lg.jit
    def f(x):
        return (x * 2).exp().sum()

    x = _t(rng.standard_normal(16), device)
    for _ in range(3):
        f(x)
    from lazygrad.ir import node as node_module
    before = len(node_module._CONS)
    lg.stats.reset()
    f(x)
    assert len(node_module._CONS) <= before + 2  # only the output's buffer node


def test_outputs_of_earlier_calls_keep_their_values(device):
    @lg.jit
    def f(x):
        return x + 1

    outs = [f(_t([float(i)], device)) for i in range(5)]
    assert [o.item() for o in outs] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_shape_dtype_or_value_change_retraces(device):
    @lg.jit
    def f(x, scale):
        return x * scale

    for _ in range(3):
        assert f(_t([1.0, 2.0], device), 2.0).tolist() == [2.0, 4.0]
    assert f(_t([1.0, 2.0], device), 3.0).tolist() == [3.0, 6.0]
    assert f(_t([1.0, 2.0, 3.0], device), 2.0).tolist() == [2.0, 4.0, 6.0]
    x64 = lg.Tensor(np.array([1.0], np.float64), device=device)
    assert f(x64, 2.0).dtype == lg.float64


def test_in_place_updates_of_captured_state_replay(device):
    state = _t([0.0, 0.0], device).realize()

    @lg.jit
    def step(x):
        state.assign(state + x).realize()
        return state * 1

    for i in range(4):
        step(_t([1.0, 2.0], device))
    assert state.tolist() == [4.0, 8.0]


def test_host_read_inside_jit_raises(device):
    @lg.jit
    def f(x):
        if (x.sum() > 0).item():
            return x
        return -x

    x = _t([1.0], device)
    f(x)
    with pytest.raises(lg.JitError, match="host"):
        f(x)


def test_returning_a_python_number_raises(device):
    @lg.jit
    def f(x):
        return 3.0

    with pytest.raises(lg.JitError, match="float"):
        f(_t([1.0], device))


def test_scratch_buffers_share_memory(device, rng):
    w = _t(rng.standard_normal((8, 8)) / 3, device).realize()

    @lg.jit
    def f(x):
        for _ in range(6):
            x = x @ w  # each product is read only by the next one
        return x

    x = _t(rng.standard_normal((4, 8)), device)
    for _ in range(3):
        out = f(x)
    plan = next(iter(f.plans.values()))
    assert plan.kernels == 6
    assert len(plan.scratch) == 2  # ping-pong between two buffers instead of five
    ref = x.numpy()
    for _ in range(6):
        ref = ref @ w.numpy()
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)


def test_random_numbers_advance_across_replays(device):
    def noisy(x):
        return x + lg.rand(4, device=device)

    lg.manual_seed(7)
    plain = [noisy(_t(np.zeros(4), device)).numpy() for _ in range(5)]
    lg.manual_seed(7)
    jitted = lg.jit(noisy)
    traced = [jitted(_t(np.zeros(4), device)).numpy() for _ in range(5)]
    for a, b in zip(plain, traced):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(traced[3], traced[4])
    after_plain = lg.rand(4, device=device).numpy()
    lg.manual_seed(7)
    for _ in range(5):
        lg.rand(4, device=device)
    np.testing.assert_array_equal(after_plain, lg.rand(4, device=device).numpy())
