"""The c device's OpenMP teams leave the cores other processes keep busy (runtime/threads.py,
runtime/cpu_load.py), and a kernel's result does not depend on its team's size."""
import os

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.runtime import c as cruntime
from lazygrad.runtime import cpu_load, threads

pytestmark = pytest.mark.skipif(threads._library() is None, reason="needs an OpenMP library (the c device's)")
CORES = os.cpu_count() or 1
DEVICE = "c"  # the one device whose kernels run in OpenMP teams


@pytest.fixture
def two_threads():
    before = lg.get_num_threads()
    lg.set_num_threads(2)
    yield
    lg.set_num_threads(before)


def _team_now() -> int:
    """The OpenMP team size the calling thread's next parallel region gets."""
    return int(threads._library().omp_get_max_threads())


def _taken(monkeypatch, cores: float) -> None:
    monkeypatch.setattr(cpu_load, "cores_taken", lambda: cores)


def test_the_others_share_is_the_machines_busy_time_less_our_own():
    s = cpu_load._Sampler()
    assert s.update(10.0, busy=500.0, own=20.0) == 0.0  # a first measure has nothing to compare with
    assert s.update(10.5, busy=501.0, own=20.25) == pytest.approx(1.5)  # 0.75 s of others' in 0.5 s
    assert s.update(11.5, busy=502.0, own=21.5) == 0.0  # all of it ours (never below 0)


def test_the_measure_reads_this_machine():
    taken = cpu_load._Sampler().cores_taken()
    assert taken == 0.0  # the first measure
    assert 0.0 <= cpu_load.cores_taken() <= CORES + 1


def test_an_elementwise_kernel_gives_cores_that_others_take_back(two_threads, monkeypatch):
    x = lg.Tensor(np.arange(1 << 20, dtype=np.float32), device=DEVICE)
    _taken(monkeypatch, float(CORES))
    np.testing.assert_array_equal((x * 2 + 1).numpy(), np.arange(1 << 20, dtype=np.float32) * 2 + 1)
    assert _team_now() == 1 and lg.get_num_threads() == 2  # the count set stays what was set
    _taken(monkeypatch, 0.0)
    (x * 3 + 1).realize()
    assert _team_now() == max(1, min(2, CORES))


def test_share_cores_off_keeps_the_count_set(two_threads, monkeypatch, override):
    override(share_cores="0")
    _taken(monkeypatch, float(CORES))
    (lg.Tensor(np.ones(1 << 20, np.float32), device=DEVICE) * 5).realize()
    assert _team_now() == 2


def test_a_kernel_that_sums_across_its_parallel_loop_keeps_the_count_set(two_threads, monkeypatch):
    """Its partial sums depend on the team's size, and so does its rounding."""
    n = 4000037  # a prime: the sum is not split into two kernels, its one loop is parallel
    a = np.random.default_rng(0).random(n, dtype=np.float32)
    x = lg.Tensor(a, device=DEVICE)
    _taken(monkeypatch, float(CORES))
    got = x.sum().item()
    assert _team_now() == 2
    np.testing.assert_allclose(got, a.astype(np.float64).sum(), rtol=1e-4)


def test_team_of_reads_the_parallel_loops_of_the_source():
    class Program:
        fixed_team = None
    cases = {"void k(float* p0) { p0[0] = 1.0f; }": None,
             "#pragma omp parallel for\nfor (i = 0; i < 9; i++) {}": False,
             "#pragma omp parallel for reduction(+:acc0)\nfor (i = 0; i < 9; i++) {}": True}
    for source, fixed in cases.items():
        p = Program()
        cruntime.team_of(p, source)
        assert p.fixed_team is fixed
    other = object()  # a backend's own program type: left as it is
    cruntime.team_of(other, "#pragma omp parallel for\n")


def test_results_are_the_same_bits_whatever_the_teams_size(two_threads, monkeypatch):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((384, 512), dtype=np.float32), rng.standard_normal((512, 256), dtype=np.float32)
    big = rng.standard_normal(4000037, dtype=np.float32)

    def program():
        x, w, v = (lg.Tensor(t, device=DEVICE) for t in (a, b, big))  # new nodes: nothing cached
        h = (x @ w).relu()
        return [t.numpy() for t in (h, h.softmax(1), h.sum(0), v.sum(), (v * v).max())]
    _taken(monkeypatch, float(CORES))
    alone = program()
    _taken(monkeypatch, 0.0)
    shared = program()
    for p, q in zip(alone, shared):
        np.testing.assert_array_equal(p, q)
