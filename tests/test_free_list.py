"""Freed buffers are kept and handed out again for the same size, within a byte budget, and
a kept buffer never changes what a live tensor holds."""
import gc

import numpy as np

import lazygrad as lg
from lazygrad.runtime.c import HostAllocator
from lazygrad.runtime.free_list import FreeList


def test_same_size_comes_back_and_the_budget_holds():
    kept = FreeList(budget_bytes=100)
    assert kept.take(40) is None
    assert kept.keep("a", 40) and kept.keep("b", 40)
    assert not kept.keep("c", 40)  # 120 bytes would be over budget: the caller frees it
    assert kept.take(30) is None
    assert kept.take(40) == "b" and kept.keep("c", 40)
    assert sorted(kept.drain()) == ["a", "c"] and kept.take(40) is None


def test_host_allocator_reuses_freed_memory_aligned():
    alloc = HostAllocator()
    first = alloc.alloc(1 << 20)
    address = first.ctypes.data
    alloc.free(first)
    again = alloc.alloc(1 << 20)
    assert again.ctypes.data == address and address % 64 == 0
    assert alloc.alloc(1 << 20).ctypes.data != address  # nothing kept any more


def test_reused_buffers_do_not_disturb_live_tensors(device):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 64)).astype(np.float32)
    x = lg.Tensor(a, device=device).realize()
    keep = (x * 2).realize()
    for i in range(5):  # each temporary is freed and its memory handed to the next one
        (x + i).exp().realize()
        gc.collect()
    np.testing.assert_array_equal(keep.numpy(), a * 2)
    np.testing.assert_allclose(((x + 1) * keep).numpy(), (a + 1) * a * 2, rtol=1e-6)
