"""Big integer-index gathers and scatters run on the host (frontend/index_host.py) where no
gradient needs them: the same values as numpy's indexing and as the lazy compare-and-sum form,
which stays for gradients and under lg.jit."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.frontend import index_host
from lazygrad.runtime.registry import get_device

CASES = [  # (tensor shape, index: tuple of (dim, index array) or slices), numpy's spelling
    ((7, 5), lambda r: (r.integers(0, 7, 9),)),
    ((7, 5), lambda r: (slice(None), r.integers(-5, 5, (2, 3)))),
    ((4, 6, 5), lambda r: (r.integers(0, 4, (3, 1)), slice(1, 5), r.integers(0, 5, (1, 2)))),  # apart: in front
    ((4, 6, 5), lambda r: (slice(None), r.integers(0, 6, 3), r.integers(0, 5, 3))),  # adjacent: in place
    ((4, 6, 5), lambda r: (2, r.integers(0, 6, (2, 2)))),
    ((6, 3), lambda r: (r.integers(0, 6, 4) * 0 + 1,)),  # one row, again and again
    ((5, 2), lambda r: (np.array(3), 1)),  # a 0-d index: a 0-d result
]


def _index(spec, device):
    return tuple(lg.Tensor(i, device=device) if isinstance(i, np.ndarray) else i for i in spec)


@pytest.fixture
def on_host(monkeypatch):
    """Every gather and scatter taken to the host, however small; counted."""
    taken = []
    monkeypatch.setattr(index_host, "HOST_INDEX_ABOVE", -1)
    for name in ("host_gather", "host_scatter"):
        real = getattr(index_host, name)

        def counted(*args, real=real, name=name):
            out = real(*args)
            taken.append((name, out is not None))
            return out
        monkeypatch.setattr("lazygrad.frontend.tensor_index." + name, counted)
    return taken


@pytest.mark.parametrize("case", range(len(CASES)))
def test_gather_on_the_host_is_numpys(device, rng, on_host, case):
    shape, make = CASES[case]
    a = rng.standard_normal(shape).astype(np.float32)
    a.flat[0] = -0.0
    spec = make(rng)
    got = lg.Tensor(a, device=device)[_index(spec, device)].numpy()
    want = np.asarray(a[spec])
    assert ("host_gather", True) in on_host and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))  # (-0.0 stays -0.0)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_scatter_on_the_host_keeps_the_last_write_as_the_lazy_form(device, rng, monkeypatch, on_host, case):
    shape, make = CASES[case]
    a = rng.standard_normal(shape).astype(np.float32)
    spec = make(rng)
    region = a[spec].shape
    value = rng.standard_normal(region).astype(np.float32)
    results = []
    for limit in (-1, 1 << 62):  # the host, then the lazy form
        monkeypatch.setattr(index_host, "HOST_INDEX_ABOVE", limit)
        x = lg.Tensor(a, device=device)
        x[_index(spec, device)] = lg.Tensor(value, device=device)
        results.append(x.numpy())
    assert ("host_scatter", True) in on_host
    np.testing.assert_array_equal(results[0], results[1])
    # numpy's own assignment agrees wherever no element is written twice
    want = a.copy()
    want[spec] = value
    flat = np.zeros(shape, np.int64)
    np.add.at(flat, spec, 1)
    np.testing.assert_array_equal(results[0][flat <= 1], want[flat <= 1])


def test_scatter_of_a_number_and_of_a_broadcast_row(device, rng, on_host):
    a = rng.standard_normal((50, 4)).astype(np.float32)
    idx = rng.integers(0, 50, 30)
    x = lg.Tensor(a, device=device)
    x[lg.Tensor(idx, device=device)] = 0.0
    y = lg.Tensor(a, device=device)
    y[lg.Tensor(idx, device=device)] = lg.Tensor(np.arange(4, dtype=np.float32), device=device)
    want_x, want_y = a.copy(), a.copy()
    want_x[idx], want_y[idx] = 0.0, np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(x.numpy(), want_x)
    np.testing.assert_array_equal(y.numpy(), want_y)
    assert on_host.count(("host_scatter", True)) == 2


def test_a_mask_write_through_a_bool_index_on_the_host(device, rng, on_host):
    """The pruning tutorial's `mask[mask == 1] = new`: a bool index, a tensor value."""
    m = (rng.random(40) > 0.3).astype(np.float32)
    new = rng.standard_normal(int(m.sum())).astype(np.float32)
    x = lg.Tensor(m, device=device)
    x[x == 1] = lg.Tensor(new, device=device)
    want = m.copy()
    want[want == 1] = new
    np.testing.assert_array_equal(x.numpy(), want)
    assert ("host_scatter", True) in on_host


def test_with_a_gradient_the_lazy_form_runs(device, rng, on_host):
    a = rng.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([4, 0, 4, 2])
    x = lg.Tensor(a, device=device, requires_grad=True)
    (x[lg.Tensor(idx, device=device)] * 2).sum().backward()
    want = np.zeros_like(a)
    np.add.at(want, idx, 2.0)
    np.testing.assert_array_equal(x.grad.numpy(), want)
    assert ("host_gather", False) in on_host and ("host_gather", True) not in on_host
    with lg.no_grad():  # no gradient wanted: the host again
        x[lg.Tensor(idx, device=device)]
    assert ("host_gather", True) in on_host


def test_under_jit_the_lazy_form_runs_so_replays_read_new_indices(device, rng, on_host):
    a = rng.standard_normal((8, 2)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    pick = lg.jit(lambda i: x[i] * 1)
    for _ in range(4):  # (a first call runs plainly, the second is traced, then replays)
        idx = rng.integers(0, 8, 5)
        np.testing.assert_array_equal(pick(lg.Tensor(idx, device=device)).numpy(), a[idx])
    assert ("host_gather", False) in on_host  # the traced call took the lazy form


def test_an_index_out_of_range_still_raises(device, on_host):
    x = lg.Tensor(np.zeros((5, 2), np.float32), device=device)
    with pytest.raises(IndexError, match="out of bounds"):
        x[lg.Tensor(np.array([1, 5]), device=device)].numpy()
    with pytest.raises(IndexError, match="out of bounds"):
        x[lg.Tensor(np.array([7]), device=device)] = 1.0
        x.numpy()


def test_only_big_ones_go_to_the_host(monkeypatch):
    taken = []
    monkeypatch.setattr("lazygrad.frontend.tensor_index.host_gather",
                        lambda *a: taken.append(index_host.host_gather(*a)) or taken[-1])
    small = lg.Tensor(np.arange(100, dtype=np.float32))[lg.Tensor(np.arange(10))]
    big = lg.Tensor(np.arange(5000, dtype=np.float32))[lg.Tensor(np.arange(1000) * 5)]
    np.testing.assert_array_equal(small.numpy(), np.arange(10, dtype=np.float32))
    np.testing.assert_array_equal(big.numpy(), np.arange(1000, dtype=np.float32) * 5)
    assert taken[0] is None and taken[1] is not None


def test_random_gathers_and_scatters_agree_with_torch_and_the_lazy_form(device, monkeypatch):
    """Random shapes, dtypes and index specs (ints, slices, index arrays, 0-d indices): the host
    form, the lazy form and torch give the same result (the scatter where no element is written
    twice; with repeats, host and lazy agree)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    dtypes = [np.float32, np.int64, np.int32, np.uint8, np.bool_]
    if get_device(device).supports(lg.float16):
        dtypes.append(np.float16)
    for _ in range(20):
        shape = tuple(int(s) for s in rng.integers(1, 6, rng.integers(1, 4)))
        dt = dtypes[rng.integers(len(dtypes))]
        a = (rng.standard_normal(shape) * 5).astype(dt)
        batch = tuple(int(s) for s in rng.integers(1, 4, rng.integers(0, 3)))
        spec = [[slice(None), int(rng.integers(-n, n)), rng.integers(-n, n, batch),
                 slice(int(rng.integers(0, n)), None, 2)][rng.integers(4)] for n in shape]
        if not any(isinstance(s, np.ndarray) for s in spec):
            spec[0] = rng.integers(0, shape[0], batch)
        ours = tuple(lg.Tensor(s, device=device) if isinstance(s, np.ndarray) else s for s in spec)
        theirs = tuple(torch.tensor(s) if isinstance(s, np.ndarray) else s for s in spec)
        want = torch.from_numpy(a.copy())[theirs]
        value = np.asarray((rng.standard_normal(tuple(want.shape)) * 3).astype(dt))
        written = torch.from_numpy(a.copy())
        written[theirs] = torch.from_numpy(value)
        targets = torch.arange(a.size).reshape(shape)[theirs].numpy().ravel()
        results = []
        for limit in (-1, 1 << 62):
            monkeypatch.setattr(index_host, "HOST_INDEX_ABOVE", limit)
            got = lg.Tensor(a, device=device)[ours].numpy()
            x = lg.Tensor(a, device=device)
            x[ours] = lg.Tensor(value, device=device)
            results.append(x.numpy())
            assert got.shape == tuple(want.shape) and np.array_equal(got, want.numpy()), (shape, dt, spec)
        np.testing.assert_array_equal(results[0], results[1])
        if len(np.unique(targets)) == targets.size:
            np.testing.assert_array_equal(results[0], written.numpy())
