"""LAZYGRAD_BEAM: the kernel search picks among variants that compute the same values, caches
the winner on disk per kernel and device, and a later process (here: a cleared memory
cache) reads it back instead of searching again."""
import json
import os

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.heuristics import choose_upcasts
from lazygrad.codegen.lower import lower
from lazygrad.engine import search


@pytest.fixture
def beam(monkeypatch, tmp_path, override):
    override(beam=2)
    monkeypatch.setattr(search, "beam_dir", lambda: str(tmp_path / "beam"))
    monkeypatch.setattr(search, "MAX_ROUNDS", 2)
    search.WINNERS.clear()
    for key in search.stats:
        monkeypatch.setitem(search.stats, key, 0)
    return tmp_path / "beam"


def _workloads(rng):
    a = rng.standard_normal((32, 48), dtype=np.float32)
    b = rng.standard_normal((48, 64), dtype=np.float32)
    return [
        ("matmul", (a, b), lambda x, y: x @ y, lambda x, y: x @ y),
        ("row sum", (a,), lambda x: x.sum(1), lambda x: x.sum(1)),
        ("column max", (b,), lambda x: x.amax(0), lambda x: x.max(0)),
        ("elementwise", (a,), lambda x: (x * 2).exp() + x, lambda x: np.exp(x * 2) + x),
    ]


def test_beam_matches_numpy_and_caches_the_winner(device, beam):
    rng = np.random.default_rng(0)
    for name, arrays, lg_fn, np_fn in _workloads(rng):
        tensors = [lg.Tensor(a, device=device).realize() for a in arrays]
        got = lg_fn(*tensors).numpy()
        np.testing.assert_allclose(got, np_fn(*arrays), rtol=1e-4, atol=1e-4, err_msg=name)
    assert search.stats["searches"] == 4 and search.stats["candidates"] > 8
    records = [json.loads(p.read_text()) for p in beam.glob("*.json")]
    assert len(records) == 4
    for r in records:
        assert r["seconds"] <= r["default_seconds"] and r["candidates"] >= 2
        search.Choice.from_json(r["choice"])  # readable back
    assert not [p for p in os.listdir(beam) if p.startswith(".tmp")], "a half-written cache file was left"

    # a new process: nothing in memory, the winners come from disk, no search runs
    search.WINNERS.clear()
    searches = search.stats["searches"]
    for name, arrays, lg_fn, np_fn in _workloads(np.random.default_rng(1)):
        tensors = [lg.Tensor(a, device=device).realize() for a in arrays]
        np.testing.assert_allclose(lg_fn(*tensors).numpy(), np_fn(*arrays), rtol=1e-4, atol=1e-4, err_msg=name)
    assert search.stats["searches"] == searches and search.stats["cache_hits"] == 4


def test_unreadable_cache_file_is_searched_again(device, beam):
    x = lg.Tensor(np.arange(64 * 32, dtype=np.float32).reshape(64, 32), device=device).realize()
    x.sum(0).numpy()  # (realize() of the view would compute its base: another kernel)
    (path,) = beam.glob("*.json")
    path.write_text("{not json")
    search.WINNERS.clear()
    np.testing.assert_allclose(x.sum(0).numpy(), np.arange(64 * 32, dtype=np.float32).reshape(64, 32).sum(0))
    assert search.stats["searches"] == 2
    assert "choice" in json.loads(path.read_text())


def test_a_variant_with_other_values_is_dropped(device, beam, monkeypatch, capsys):
    """Every variant is checked against the default's values; a wrong one never wins."""
    x = lg.Tensor(np.ones((16, 64), np.float32), device=device).realize()
    wrong_ast = (x * 3).schedule()[-1].ast
    real_lower = search.Choice.lower

    def lower_with_a_bug(self, ast, name):
        if self.upcasts == ((1, 4),) and self.parallel is None and not self.launch:
            return lower(wrong_ast, name)  # same shape and parameters, other values
        return real_lower(self, ast, name)
    monkeypatch.setattr(search.Choice, "lower", lower_with_a_bug)
    monkeypatch.setattr(search, "neighbours", lambda shape, upcasts: [{1: 4}])
    np.testing.assert_array_equal((x * 2).numpy(), np.full((16, 64), 2, np.float32))
    assert "gives other values than the default; dropped" in capsys.readouterr().err
    record = json.loads(next(beam.glob("*.json")).read_text())
    assert record["choice"]["upcasts"] != [[1, 4]]


def test_beam_under_jit_gives_the_same_training_numbers(device, beam):
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((8, 4), dtype=np.float32)
    xs = [rng.standard_normal((16, 8), dtype=np.float32) for _ in range(4)]

    def train(use_jit):
        w = lg.Tensor(w0.copy(), device=device, requires_grad=True)
        opt = lg.optim.SGD([w], lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (x @ w).relu().sum()
            loss.backward()
            opt.step()
            return loss.realize()
        f = lg.jit(step) if use_jit else step
        return [float(f(lg.Tensor(x, device=device)).detach().numpy()) for x in xs], w.detach().numpy()
    losses_jit, w_jit = train(True)
    search.WINNERS.clear()
    losses, w = train(False)
    np.testing.assert_allclose(losses_jit, losses, rtol=1e-5)
    np.testing.assert_allclose(w_jit, w, rtol=1e-5)


def test_neighbours_divide_the_extent_and_bound_the_lanes():
    shape = (1, 96, 12, 256)
    seen = set()
    todo = [{}]
    while todo:  # every upcast choice reachable from none
        u = todo.pop()
        for n in search.neighbours(shape, u):
            key = tuple(sorted(n.items()))
            if key not in seen:
                seen.add(key)
                todo.append(n)
    assert len(seen) > 20
    for key in seen:
        u = dict(key)
        assert 0 not in u and len(u) <= 2 and np.prod(list(u.values())) <= search.MAX_LANES
        assert all(shape[d] % f == 0 and f > 1 for d, f in u.items())
    assert ((2, 12),) in seen  # a small dim unrolled whole


def test_cache_key_separates_kernels_devices_and_widths():
    x = lg.Tensor(np.ones((8, 8), np.float32))
    a = x.sum(0).schedule()[-1].ast
    b = x.sum(1).schedule()[-1].ast
    dev = lg.runtime.registry.get_device("python")
    assert search.cache_path(a, dev, 2) != search.cache_path(b, dev, 2)
    assert search.cache_path(a, dev, 2) != search.cache_path(a, dev, 4)
    assert search.cache_path(a, dev, 2) == search.cache_path(a, dev, 2)
    assert choose_upcasts(a) == dict(search._choice(choose_upcasts(a)).upcasts)
