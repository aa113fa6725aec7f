"""torch.compile, torch.vmap, the unsafe_* splits and torch's process-wide settings, against
torch: compile's wrapper (OptimizedModule with `_orig_mod.` state_dict keys, a decorator
without a model, disable=True), the settings read back as set, and torch's errors."""
from __future__ import annotations

import warnings

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("T", [lg, torch], ids=["lazygrad", "torch"])
def test_compile_keeps_torchs_wrapper_and_the_models_values(T):
    m = T.nn.Linear(2, 3)
    c = T.compile(m)
    assert type(c).__name__ == "OptimizedModule" and c._orig_mod is m and c.weight is m.weight
    assert list(c.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    x = T.ones(4, 2)
    assert c(x).tolist() == m(x).tolist()
    assert T.compile(m, disable=True) is m
    assert T.compile(mode="max-autotune")(lambda v: v * 2)(x).tolist() == (x * 2).tolist()
    with pytest.raises(RuntimeError):
        T.compile(m, mode="fastest")


@pytest.mark.parametrize("T", [lg, torch], ids=["lazygrad", "torch"])
def test_settings_read_back_as_set(T):
    try:
        T.set_float32_matmul_precision("medium")
        assert T.get_float32_matmul_precision() == "medium"
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            T.set_float32_matmul_precision("fastest")
        assert seen and T.get_float32_matmul_precision() == "medium"
    finally:
        T.set_float32_matmul_precision("highest")
    try:
        T.set_deterministic_debug_mode("warn")
        assert T.get_deterministic_debug_mode() == 1
        with pytest.raises(RuntimeError):
            T.set_deterministic_debug_mode("loud")
    finally:
        T.set_deterministic_debug_mode(0)
    T.set_warn_always(True)
    assert T.is_warn_always_enabled()
    T.set_warn_always(False)
    assert not T.is_warn_always_enabled()
    assert isinstance(T.set_flush_denormal(False), bool)


def test_unsafe_splits_and_vmap_are_torchs(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.arange(6, **kw)
        assert [p.tolist() for p in T.unsafe_chunk(x, 3)] == [[0, 1], [2, 3], [4, 5]]
        assert [p.tolist() for p in x.unsafe_split(4)] == [[0, 1, 2, 3], [4, 5]]
        assert [p.tolist() for p in x.unsafe_split_with_sizes([1, 5])] == [[0], [1, 2, 3, 4, 5]]
        assert T.vmap(lambda r: r.sum())(x.reshape(2, 3)).tolist() == [3, 12]
