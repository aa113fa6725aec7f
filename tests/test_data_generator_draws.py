"""A DataLoader draws from its `generator` where torch 2.13's does: a base seed every time an
iterator is made (whatever num_workers; once with persistent workers), then, at the pass's
first batch, RandomSampler's randperm (or randint in chunks of 32 with replacement) from the
generator itself, and, as the batches run out, the randperm of the remainder (num_samples % n
of a further permutation, drawn even when that is none). Each test writes that program of draws by hand and checks, in both torch and
lazygrad, that it gives the loader's batches over two epochs and the `randint` that follows:
the numbers differ between the libraries, the program that produces them does not."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

N, BATCH = 10, 4


def _loader_run(module, num_workers, persistent=False, replacement=False, generator=True):
    g = module.Generator().manual_seed(7) if generator else None
    module.manual_seed(7)
    dataset = module.utils.data.TensorDataset(module.arange(N))
    sampler = module.utils.data.RandomSampler(dataset, replacement=replacement, num_samples=N, generator=g)
    loader = module.utils.data.DataLoader(dataset, batch_size=BATCH, sampler=sampler, num_workers=num_workers,
                                          persistent_workers=persistent, generator=g)
    epochs = [[b[0].tolist() for b in loader] for _ in range(2)]
    return epochs, module.randint(0, 1000, (5,), generator=g).tolist()


def _by_hand(module, persistent=False, replacement=False, generator=True):
    g = module.Generator().manual_seed(7) if generator else None
    module.manual_seed(7)
    epochs = []
    for epoch in range(2):
        if epoch == 0 or not persistent:
            module.empty((), dtype=module.int64).random_(generator=g)  # the iterator's base seed
        source = g
        if g is None:  # RandomSampler without a generator seeds a fresh one from the default
            source = module.Generator().manual_seed(int(module.empty((), dtype=module.int64).random_().item()))
        if replacement:
            order = module.randint(high=N, size=(N % 32,), dtype=module.int64, generator=source).tolist()
        else:
            order = module.randperm(N, generator=source).tolist()
            module.randperm(N, generator=source)  # the (empty) remainder's, drawn as the batches run out
        epochs.append([order[i:i + BATCH] for i in range(0, N, BATCH)])
    return epochs, module.randint(0, 1000, (5,), generator=g).tolist()


@pytest.mark.parametrize("module", ["torch", "lazygrad"])
@pytest.mark.parametrize("case", [{}, {"replacement": True}, {"generator": False}])
def test_a_single_process_loader_draws_as_torchs(module, case):
    m = torch if module == "torch" else lg
    assert _loader_run(m, 0, **case) == _by_hand(m, **case)


@pytest.mark.parametrize("module", ["torch", "lazygrad"])
@pytest.mark.parametrize("persistent", [False, True])
def test_a_worker_loader_draws_as_torchs(module, persistent):
    m = torch if module == "torch" else lg
    assert _loader_run(m, 1, persistent) == _by_hand(m, persistent)


def test_a_loader_pass_moves_the_shared_generator_on():
    """Without the base seed, the randint after the loop would repeat the one a program that
    drew nothing else would see; with it, it is the seventh draw, as torch's."""
    (_, after), (_, by_hand) = _loader_run(lg, 0), _by_hand(lg)
    g = lg.Generator().manual_seed(7)
    for _ in range(4):
        lg.randperm(N, generator=g)
    assert after == by_hand != lg.randint(0, 1000, (5,), generator=g).tolist()


def test_a_numpy_generator_still_shuffles_reproducibly():
    orders = [list(lg.utils.data.RandomSampler(range(N), generator=np.random.default_rng(3))) for _ in range(2)]
    assert orders[0] == orders[1] and sorted(orders[0]) == list(range(N))
