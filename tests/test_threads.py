"""lg.set_num_threads / get_num_threads: torch's names for the c device's OpenMP threads."""
import numpy as np
import pytest

import lazygrad as lg


@pytest.fixture
def restore_threads():
    before = lg.get_num_threads()
    yield
    lg.set_num_threads(before)


def test_set_num_threads_is_what_get_num_threads_says_and_kernels_still_agree(device, restore_threads):
    a = np.arange(4096, dtype=np.float32).reshape(64, 64) / 4096
    want = (a @ a).sum(0)
    for n in (1, 2, 3):
        lg.set_num_threads(n)
        assert lg.get_num_threads() == n
        x = lg.tensor(a, device=device)
        np.testing.assert_allclose((x @ x).sum(0).numpy(), want, rtol=1e-5)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_thread_counts_raise_as_torchs(bad):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError) as ours:
        lg.set_num_threads(bad)
    assert str(ours.value) == str(theirs.value)
