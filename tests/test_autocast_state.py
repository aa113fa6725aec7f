"""torch's autocast switches against torch: what lg.autocast enters and restores is what
get_autocast_dtype / is_autocast_enabled / the nesting counter read back, the deprecated per-device
spellings warn as torch's, and the "cpu" flag switches CPU autocast (tests/test_autocast_cpu.py)."""
from __future__ import annotations

import warnings

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "").replace("lazygrad.", "")


def script(T):
    seen = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        seen.append([_name(T.get_autocast_dtype(d)) for d in ("cpu", "cuda", "xla", "ipu", "hpu", "mps")])
        seen.append((T.is_autocast_enabled(), T.is_autocast_cache_enabled(), T.is_autocast_cpu_enabled()))
        with T.autocast("cuda", dtype=T.bfloat16, cache_enabled=False):
            seen.append((_name(T.get_autocast_dtype("cuda")), T.is_autocast_cache_enabled(),
                         T.is_autocast_enabled("cuda")))
            with T.autocast("cpu", dtype=T.float16, enabled=False):
                seen.append((_name(T.get_autocast_dtype("cpu")), T.is_autocast_enabled("cpu")))
                seen.append(T.autocast_increment_nesting())
                seen.append(T.autocast_decrement_nesting())
        seen.append((_name(T.get_autocast_dtype("cuda")), _name(T.get_autocast_dtype("cpu")),
                     T.is_autocast_cache_enabled(), T.autocast_decrement_nesting(), T.autocast_increment_nesting()))
        T.set_autocast_enabled("cuda", True)
        seen.append((T.is_autocast_enabled(), T.is_autocast_enabled("cuda:0")))
        T.set_autocast_enabled(False)
        T.set_autocast_ipu_enabled(True)
        seen.append((T.is_autocast_enabled("cuda"), T.is_autocast_ipu_enabled(), T.is_autocast_enabled("ipu")))
        T.set_autocast_ipu_enabled(False)
        T.set_autocast_gpu_dtype(T.bfloat16)
        T.set_autocast_xla_dtype(T.float16)
        T.set_autocast_cpu_dtype(T.float16)
        T.set_autocast_ipu_dtype(T.bfloat16)
        seen.append([_name(f()) for f in (T.get_autocast_gpu_dtype, T.get_autocast_xla_dtype,
                                           T.get_autocast_cpu_dtype, T.get_autocast_ipu_dtype)])
        for d, dtype in (("cuda", T.float16), ("xla", T.bfloat16), ("cpu", T.bfloat16), ("ipu", T.float16)):
            T.set_autocast_dtype(d, dtype)
        T.set_autocast_cache_enabled(False)
        seen.append(T.is_autocast_cache_enabled())
        T.set_autocast_cache_enabled(True)
        T.clear_autocast_cache()
        T.set_autocast_cpu_enabled(False)
        for bad in (lambda: T.set_autocast_enabled(1), lambda: T.set_autocast_cache_enabled(1),
                    lambda: T.get_autocast_dtype("foo"), lambda: T.is_autocast_enabled("meta")):
            with pytest.raises((TypeError, RuntimeError)) as e:
                bad()
            seen.append(e.type.__name__)
    seen.append(sorted({str(m.message).split(" is deprecated")[0] for m in w if m.category is DeprecationWarning}))
    return seen


def test_autocast_switches_read_back_as_torchs():
    assert script(lg) == script(torch)


def test_switching_cpu_autocast_on_and_off_by_the_flag():
    x = lg.ones(2, 2)
    lg.set_autocast_enabled("cpu", True)
    try:
        assert lg.is_autocast_enabled("cpu") and (x @ x).dtype == lg.bfloat16
    finally:
        lg.set_autocast_enabled("cpu", False)
    assert not lg.is_autocast_enabled("cpu") and (x @ x).dtype == lg.float32


def test_autocast_state_is_per_thread():
    import threading
    lg.set_autocast_dtype("cuda", lg.bfloat16)
    other = []
    t = threading.Thread(target=lambda: other.append(lg.get_autocast_dtype("cuda")))
    t.start()
    t.join()
    assert other == [lg.float16] and lg.get_autocast_dtype("cuda") == lg.bfloat16
    lg.set_autocast_dtype("cuda", lg.float16)
