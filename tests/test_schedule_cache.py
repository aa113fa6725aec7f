"""Remembered schedules: a repeated graph shape over other buffers reuses its kernels, and
anything that changes the structure (which leaves alias, constants, views, in-place writes)
schedules anew. Every case is checked by value, the second time through the cache."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.schedule import schedule_cache


def _arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def test_a_repeated_graph_hits_and_computes_with_the_new_buffers(device):
    hits = schedule_cache.stats["hits"]
    for seed in range(3):
        a, b = _arrays(seed, (5, 7), (5, 7))
        x, y = lg.Tensor(a, device=device), lg.Tensor(b, device=device)
        got = ((x * 2 + y).exp().sum(1) / 3).numpy()
        np.testing.assert_allclose(got, np.exp(a * 2 + b).sum(1) / 3, rtol=1e-5)
    assert schedule_cache.stats["hits"] >= hits + 2


def test_aliasing_leaves_are_part_of_the_structure(device):
    a, b = _arrays(1, (6,), (6,))
    x, y = lg.Tensor(a, device=device).realize(), lg.Tensor(b, device=device).realize()
    np.testing.assert_allclose((x * y).numpy(), a * b, rtol=1e-6)
    np.testing.assert_allclose((x * x).numpy(), a * a, rtol=1e-6)
    np.testing.assert_allclose((y * y).numpy(), b * b, rtol=1e-6)
    np.testing.assert_allclose((y * x).numpy(), b * a, rtol=1e-6)


def test_constants_views_and_dtypes_are_part_of_the_structure(device):
    (a,) = _arrays(2, (4, 6))
    x = lg.Tensor(a, device=device).realize()
    for c in (1.0, 2.5, -0.0, 1.0):
        np.testing.assert_allclose((x + c).numpy(), a + c, rtol=1e-6)
    np.testing.assert_allclose(x.T.contiguous().numpy(), a.T)
    np.testing.assert_allclose(x[1:3, ::2].contiguous().numpy(), a[1:3, ::2])
    np.testing.assert_allclose(x[1:3, 1::2].contiguous().numpy(), a[1:3, 1::2])
    np.testing.assert_allclose(x.T.contiguous().numpy(), a.T)
    np.testing.assert_array_equal((x > 0).numpy(), a > 0)
    np.testing.assert_array_equal((x.int() + 1).numpy(), a.astype(np.int32) + 1)


def test_in_place_writes_keep_torch_semantics_through_the_cache(device):
    for seed in range(3):
        (a,) = _arrays(seed, (8,))
        x = lg.Tensor(a, device=device).realize()
        before = x * 2  # lazy: must see x before the write
        x += 1
        x.mul_(3)
        np.testing.assert_allclose(before.numpy(), a * 2, rtol=1e-6)
        np.testing.assert_allclose(x.numpy(), (a + 1) * 3, rtol=1e-6)


def test_results_of_a_cached_schedule_are_reused_by_later_graphs(device):
    for seed in range(2):
        a, b = _arrays(seed, (3, 4), (3, 4))
        x, y = lg.Tensor(a, device=device), lg.Tensor(b, device=device)
        s = (x + y).realize()
        np.testing.assert_allclose((s * s).numpy(), (a + b) ** 2, rtol=1e-5)
        np.testing.assert_allclose(s.numpy(), a + b, rtol=1e-6)


def test_graphs_past_the_limit_are_not_remembered_and_simplified_ones_hit_correctly(device, monkeypatch):
    monkeypatch.setattr(schedule_cache, "MAX_NODES", 300)
    (a,) = _arrays(3, (16,))
    x = lg.Tensor(a, device=device).realize()
    y = x
    for _ in range(300):
        y = y * 1.01 + 0.1
    assert schedule_cache.signature([y.node]) is None  # past the limit: no key
    expected = a.astype(np.float64)
    for _ in range(300):
        expected = expected * 1.01 + 0.1
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4)
    hits = schedule_cache.stats["hits"]
    for seed in range(3):  # x * 1 + 0 simplifies to x: the kernel reads the buffer directly
        (b,) = _arrays(seed, (16,))
        z = lg.Tensor(b, device=device).realize()
        np.testing.assert_allclose(((z * 1) + 0).exp().numpy(), np.exp(b), rtol=1e-6)
    assert schedule_cache.stats["hits"] >= hits + 2


def _unrolled(x, h, steps, offset=0):
    """An RNN-like graph: a new slice of x (its offset baked in) each step."""
    for i in range(steps):
        h = (h * 0.5 + x[:, offset + i:offset + i + 1]).tanh()
    return h


def test_a_big_graph_is_packed_and_remembered_when_seen_again(device, monkeypatch):
    """Past SMALL_KEY_NODES a key is packed; its plan is kept the second time the graph is
    scheduled (the third is a hit), and a hit computes this graph's values, not the last's."""
    monkeypatch.setattr(schedule_cache, "SMALL_KEY_NODES", 20)

    def run(seed, offset=0):
        xs, hs = _arrays(seed, (4, 40), (4, 1))
        h = _unrolled(lg.Tensor(xs, device=device), lg.Tensor(hs, device=device), 12, offset)
        expected = hs.astype(np.float64)
        for i in range(12):
            expected = np.tanh(expected * 0.5 + xs[:, offset + i:offset + i + 1])
        return h, expected

    h, _ = run(0)
    key, _ = schedule_cache.signature([h.node])
    assert schedule_cache._is_packed(key) and key == schedule_cache.signature([run(1)[0].node])[0]
    assert key != schedule_cache.signature([run(1, offset=1)[0].node])[0]  # another slice: another graph
    for seed in range(4):
        hits = schedule_cache.stats["hits"]
        h, expected = run(seed)
        np.testing.assert_allclose(h.numpy(), expected, rtol=1e-5)
        assert schedule_cache.stats["hits"] - hits == (seed >= 2)
    h, expected = run(9, offset=3)  # a graph of the same size and another structure: no false hit
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-5)


def test_a_graph_that_grows_every_time_never_pushes_plans_out(monkeypatch):
    """A sum never realized is a bigger graph each iteration: seen once each, never kept."""
    monkeypatch.setattr(schedule_cache, "SMALL_KEY_NODES", 20)
    x = lg.Tensor(np.ones(8, np.float32)).realize()
    total = x
    for _ in range(10):  # past SMALL_KEY_NODES already
        total = total * 0.5 + x
    plans = len(schedule_cache._PLANS)
    for _ in range(30):
        total = total * 0.5 + x
        total.schedule()
    assert len(schedule_cache._PLANS) == plans


@pytest.mark.parametrize("packed", [False, True])
def test_signature_ignores_which_buffer_but_not_the_structure(packed, monkeypatch):
    if packed:
        monkeypatch.setattr(schedule_cache, "SMALL_KEY_NODES", 1)
    x = lg.Tensor(np.ones(4, np.float32)).realize()
    y = lg.Tensor(np.ones(4, np.float32)).realize()
    key = lambda t: schedule_cache.signature([t.node])[0]  # noqa: E731
    assert schedule_cache._is_packed(key(x + 1)) == packed
    assert key(x + 1) == key(y + 1)
    assert key(x + 1) != key(x + 2)
    assert key(x + y) != key(x + x)
    assert key(x + 1) != key(x.reshape(2, 2) + 1)
    assert key((x + y) * x) != key((x + y) * y)  # the same entries, wired differently
    assert key((x + y) * x) == key((y + x) * y)


def test_a_hit_on_a_graph_that_simplifies_skips_simplifying(device, monkeypatch):
    """A conv's windows are chains of reshapes that simplification merges, but the schedule
    names only leaves, the padded input and the root: a hit binds them in the graph as given
    (the root standing for its simplified self) and never simplifies again."""
    from lazygrad.schedule import schedule

    def convolve(seed):
        a, w = _arrays(seed, (2, 3, 40, 40), (4, 3, 3, 3))
        out = lg.nn.functional.conv2d(lg.Tensor(a, device=device), lg.Tensor(w, device=device), padding=1)
        windows = np.lib.stride_tricks.sliding_window_view(np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1))),
                                                           (3, 3), axis=(2, 3))
        return out, np.einsum("nchwij,ocij->nohw", windows, w)

    out, ref = convolve(0)
    fresh = schedule.create_schedule([out.node])
    assert fresh.targets[out.node] is not out.node  # simplification changed the root
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-4)
    calls = []
    real_simplify = schedule._simplify
    monkeypatch.setattr(schedule, "_simplify", lambda roots: calls.append(1) or real_simplify(roots))
    out, ref = convolve(1)
    hit = schedule.create_schedule([out.node])
    assert not calls and hit.targets[out.node] is out.node
    assert [k.ast for k in hit.kernels] == [k.ast for k in fresh.kernels]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-4)
    exact = schedule.create_schedule([convolve(2)[0].node], as_simplified=True)  # what tools show
    assert calls and [k.ast for k in exact.kernels] == [k.ast for k in fresh.kernels]


def test_remembered_plans_stay_within_a_byte_budget(monkeypatch):
    """Keys of big graphs are big: the oldest plans go once the keys pass the budget."""
    monkeypatch.setattr(schedule_cache, "MAX_REMEMBERED_BYTES", 200 * schedule_cache.ENTRY_BYTES)
    x = lg.Tensor(np.ones(8, np.float32)).realize()
    for length in range(10, 60, 5):
        y = x
        for _ in range(length):
            y = y * 1.5 + 0.25
        y.schedule()
        assert schedule_cache._remembered_bytes == sum(map(schedule_cache._footprint, schedule_cache._PLANS))
        assert schedule_cache._remembered_bytes <= 200 * schedule_cache.ENTRY_BYTES
        assert schedule_cache._PLANS


def test_a_training_step_binds_in_the_graph_as_given_and_trains_the_same(device, monkeypatch):
    """An eager conv + linear step with momentum: simplification rewrites nodes inside the
    graph (a DETACH dropped below a conv's padded input, `2 * x` of a square's gradient, the
    optimizer's assigns), and each stands in for what it became, so repeated steps never
    simplify again; the parameters come out exactly as with no remembered schedules."""
    from lazygrad import nn, optim
    from lazygrad.schedule import schedule
    F = lg.nn.functional

    def train(steps: int, count=None):
        lg.manual_seed(0)
        conv, lin = nn.Conv2d(2, 4, 3, padding=1).to(device), nn.Linear(4 * 6 * 6, 3).to(device)
        opt = optim.SGD(list(conv.parameters()) + list(lin.parameters()), lr=0.05, momentum=0.9)
        for step in range(steps):
            (a,) = _arrays(step, (5, 2, 6, 6))
            if count is not None and step >= 2:
                count.clear()
            opt.zero_grad()
            h = conv(lg.Tensor(a, device=device)).relu().reshape(5, -1)
            ((lin(h) ** 2).mean() + F.mse_loss(h, h * 0.5)).backward()
            opt.step()
        return [p.detach().numpy() for p in list(conv.parameters()) + list(lin.parameters())]

    calls: list = []
    real_simplify = schedule._simplify
    monkeypatch.setattr(schedule, "_simplify", lambda roots: calls.append(1) or real_simplify(roots))
    cached = train(5, calls)
    assert not calls  # the last steps were hits bound in the graph as given
    monkeypatch.setattr(schedule_cache, "MAX_NODES", 0)  # nothing remembered
    for got, expected in zip(cached, train(5)):
        np.testing.assert_array_equal(got, expected)


def test_a_hit_remakes_the_nodes_a_split_reduce_made_without_simplifying(device, monkeypatch):
    """A big sum is split in two by the scheduler: its first stage is a node the graph as
    given lacks (a reshape and a partial sum), so every hit simplified the whole graph again
    (a fifth of an eager transformer step). A hit now remakes those two nodes from their
    place in the graph as given, never simplifies, and gives the bits a fresh schedule gives."""
    from lazygrad.schedule import schedule

    def total(seed):
        (a,) = _arrays(seed, (1024, 64))
        x = lg.Tensor(a, device=device)
        return ((x * x).sum() / 7 + x.mean()).numpy(), float((a.astype(np.float64) ** 2).sum() / 7 + a.mean())

    got, expected = total(0)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    plan = next(reversed(schedule_cache._PLANS.values()))
    assert plan.given is not None and plan.given.rebuilt  # the split reduce's stage is remade
    calls = []
    real_simplify = schedule._simplify
    monkeypatch.setattr(schedule, "_simplify", lambda roots: calls.append(1) or real_simplify(roots))
    hits = schedule_cache.stats["hits"]
    results = [total(seed) for seed in (1, 2)]
    assert not calls and schedule_cache.stats["hits"] == hits + 2
    with lg.config.caches_disabled("schedules"):
        for seed, (got, expected) in zip((1, 2), results):
            np.testing.assert_allclose(got, expected, rtol=1e-5)
            assert got.tobytes() == total(seed)[0].tobytes()  # the same bits as a fresh schedule


def test_remembering_a_schedule_keeps_no_node_of_its_graph_alive(device):
    """A plan holds positions, never nodes: once the tensors are gone, their graph's nodes
    (and the values cached on them) go at once, without waiting for the cycle collector (a
    recursive closure in the placement kept them until it ran, and a later equal graph then
    found a stale-free but needless cached value)."""
    import gc
    import weakref
    (a,) = _arrays(4, (1024, 64))
    gc.disable()
    try:
        x = lg.Tensor(a, device=device)
        y = (x * x).sum() / 7  # a split reduce: the plan rebuilds its first stage
        watched = [weakref.ref(n) for n in (y.node, y.node.srcs[0])]
        y.numpy()
        del x, y
        assert all(w() is None for w in watched)
    finally:
        gc.enable()
