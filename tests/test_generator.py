"""torch.Generator on lazygrad: a generator passed to random ops and data loading gives a
stream of its own, reproducible from its seed and restorable from its state; randperm; the
default generator is one object that lg.manual_seed re-seeds. The numbers are lazygrad's own
(a counter-based hash), not torch's."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.utils.data import DataLoader, random_split


def test_a_generator_is_a_stream_of_its_own(device):
    g = lg.Generator().manual_seed(3)
    lg.manual_seed(0)
    first = lg.rand(4, generator=g, device=device).tolist()
    plain = lg.rand(4, device=device).tolist()
    lg.manual_seed(0)
    assert lg.rand(4, device=device).tolist() == plain  # g took nothing from the default one
    g.manual_seed(3)
    assert lg.rand(4, generator=g, device=device).tolist() == first
    assert lg.rand(4, generator=g, device=device).tolist() != first  # and it moved on


def test_state_round_trips_and_a_bad_state_raises(device):
    g = lg.Generator()
    assert g.manual_seed(11) is g and g.initial_seed() == 11
    state = g.get_state()
    assert state.dtype == lg.uint8 and state.shape == (16,)
    drawn = [lg.randn(3, generator=g, device=device).tolist(), lg.randint(0, 9, (3,), generator=g, device=device).tolist()]
    g.set_state(state)
    assert [lg.randn(3, generator=g, device=device).tolist(),
            lg.randint(0, 9, (3,), generator=g, device=device).tolist()] == drawn
    with pytest.raises(RuntimeError):
        g.set_state(lg.zeros(5, dtype=lg.uint8))
    with pytest.raises(TypeError, match="Generator"):
        lg.rand(2, generator=np.random.default_rng(0))


def test_randperm_is_a_reproducible_permutation(device):
    p = lg.randperm(50, generator=lg.Generator().manual_seed(7), device=device)
    assert p.dtype == lg.int64 and sorted(p.tolist()) == list(range(50))
    assert lg.randperm(50, generator=lg.Generator().manual_seed(7), device=device).tolist() == p.tolist()
    assert lg.randperm(50, generator=lg.Generator().manual_seed(8), device=device).tolist() != p.tolist()
    assert lg.randperm(0, device=device).tolist() == []
    assert lg.randperm(4, dtype=lg.int32, device=device).dtype == lg.int32
    with pytest.raises(RuntimeError):
        lg.randperm(-1)


def test_manual_seed_reseeds_the_one_default_generator():
    g = lg.manual_seed(5)
    assert g is lg.default_generator and lg.initial_seed() == 5
    a = lg.rand(3).tolist()
    lg.manual_seed(5)
    assert lg.rand(3).tolist() == a
    state = lg.get_rng_state()
    b = lg.rand(3).tolist()
    lg.set_rng_state(state)
    assert lg.rand(3).tolist() == b
    assert isinstance(lg.seed(), int)


def test_data_loading_with_a_generator_is_reproducible():
    def order(seed):
        loader = DataLoader(list(range(12)), batch_size=4, shuffle=True, generator=lg.Generator().manual_seed(seed))
        return [b.tolist() for b in loader]
    assert order(1) == order(1) and order(1) != order(2)
    parts = [list(p) for p in random_split(range(10), [3, 7], generator=lg.Generator().manual_seed(4))]
    assert parts == [list(p) for p in random_split(range(10), [3, 7], generator=lg.Generator().manual_seed(4))]


def test_lg_jit_refuses_what_it_could_not_replay():
    g = lg.Generator()

    @lg.jit
    def noisy(x):
        return x + lg.rand(3, generator=g)

    @lg.jit
    def shuffled(x):
        return x[lg.randperm(3)]
    with pytest.raises(NotImplementedError, match="generator="):
        for _ in range(3):  # (lg.jit records a later call than the first)
            noisy(lg.zeros(3))
    with pytest.raises(NotImplementedError, match="randperm"):
        for _ in range(3):
            shuffled(lg.zeros(3))


def test_fork_rng_restores_every_stream_as_torchs(device):
    """torch.random.fork_rng: what is drawn after the block is what would be drawn without it,
    for lg.rand's generator and for nn's initial weights (a host stream of its own)."""
    torch = pytest.importorskip("torch")
    for lib in (torch, lg):
        kw = {"device": device} if lib is lg else {}
        lib.manual_seed(3)
        lib.nn.Linear(3, 3)
        plain = (lib.nn.Linear(3, 3).weight.tolist(), lib.rand(4, **kw).tolist())
        lib.manual_seed(3)
        lib.nn.Linear(3, 3)
        with lib.random.fork_rng():
            lib.nn.Linear(3, 3)
            lib.rand(5, **kw)
        assert (lib.nn.Linear(3, 3).weight.tolist(), lib.rand(4, **kw).tolist()) == plain, lib.__name__
