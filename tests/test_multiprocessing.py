"""torch.multiprocessing as lazygrad's (lazygrad/multiprocessing.py): spawn runs fn(i, *args) in
processes that compute with lazygrad and send tensors back by value; a process that raises
makes join raise ProcessRaisedException with its traceback, as torch's; Module.share_memory()
warns that processes get copies."""
import numpy as np
import pytest

import lazygrad as lg
import lazygrad.multiprocessing as mp


def _square_sum(i, queue, device):
    x = lg.arange(4, dtype=lg.float32, device=device) + i
    queue.put((i, (x * x).sum()))


def _fails(i):
    if i == 1:
        raise ValueError("worker 1 gives up")


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_spawned_processes_compute_and_send_tensors_back(device, start_method):
    queue = mp.get_context(start_method).SimpleQueue()
    if start_method == "fork" and device == "opencl":  # the parent's context cannot cross a fork
        lg.ones(2, device=device).sum().item()
        with pytest.raises(mp.ProcessRaisedException, match="does not survive a fork"):
            mp.start_processes(_square_sum, args=(queue, device), nprocs=2, start_method=start_method)
        return
    mp.start_processes(_square_sum, args=(queue, device), nprocs=2, start_method=start_method)
    got = dict(queue.get() for _ in range(2))
    for i in range(2):
        assert isinstance(got[i], lg.Tensor)
        assert got[i].item() == float(((np.arange(4) + i) ** 2).sum())


def _uses_opencl(i):
    lg.ones(2, device="opencl").sum().item()


def test_a_forked_process_refuses_the_opencl_context_it_inherits_rather_than_hang():
    if not any(d.name == "opencl" and d.available for d in lg.devices()):
        pytest.skip("no OpenCL device here")
    lg.ones(2, device="opencl").sum().item()  # (the parent's context exists)
    with pytest.raises(mp.ProcessRaisedException, match="does not survive a fork"):
        mp.spawn(_uses_opencl, nprocs=1, start_method="fork")
    mp.spawn(_uses_opencl, nprocs=1, start_method="spawn")  # a spawned process opens its own


def test_a_failing_process_is_raised_with_its_traceback():
    with pytest.raises(mp.ProcessRaisedException, match="worker 1 gives up") as info:
        mp.spawn(_fails, nprocs=2, start_method="fork")
    assert info.value.error_index == 1


def test_share_memory_warns_that_processes_get_copies():
    m = lg.nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="cannot share a module's parameters"):
        assert m.share_memory() is m


def test_sharing_strategies_are_torchs_names():
    tmp = pytest.importorskip("torch.multiprocessing")
    assert mp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == tmp.get_sharing_strategy()
    with pytest.raises(ValueError):
        mp.set_sharing_strategy("shared-by-magic")
