"""Which dtypes a device can run: an OpenCL device without cl_khr_fp16 cannot run float16
kernels (lazygrad raises DTypeError saying so); tests of float16 skip there, by name."""
import numpy as np
import pytest

import lazygrad as lg


def require_dtype(device: str, dtype) -> None:
    dt = lg.dtypes.to_dtype(dtype)
    x = lg.Tensor(np.ones(1, dt.np), device=device)
    try:
        (x + x).numpy()
    except lg.DTypeError as e:
        pytest.skip(f"{device} cannot run {dt.name} kernels here: {e}")
