"""Memory formats (lg.channels_last, ...): the strides torch gives, and what follows from them
(is_contiguous, a view that raises); the values are the same whatever the format."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = [
    "x.is_contiguous(memory_format=T.preserve_format)",
    "x.contiguous(memory_format=T.preserve_format).stride()",
    "T.zeros(2, 3, **kw).contiguous(memory_format=T.channels_last)",
    "T.zeros(2, 3, **kw).is_contiguous(memory_format=T.channels_last)",
    "x.contiguous(memory_format=T.channels_last).stride()",
    "x.to(memory_format=T.channels_last).stride()",
    "x.clone(memory_format=T.channels_last).stride()",
    "T.zeros(2, 3, **kw).to(memory_format=T.channels_last)",
    "T.zeros(2, 3, **kw).clone(memory_format=T.channels_last)",
    "(y + 1).stride()",
    "y.view(2, -1)",
    "y.reshape(2, -1).stride()",
    "y.permute(0, 2, 3, 1).is_contiguous()",
    "T.nn.Conv2d(3, 4, 1).to(memory_format=T.channels_last).weight.stride()",
    "T.nn.Linear(3, 4).to(memory_format=T.channels_last).weight.stride()",
    "T.zeros(2, 3, **kw).to(T.float64, memory_format=T.channels_last)",
    "T.empty(2, 3, 4, 5, memory_format=T.channels_last, **kw).stride()",
    "T.zeros_like(y, memory_format=T.contiguous_format).stride()",
    "T.zeros_like(y).stride()",
    "T.zeros(1, 3, 1, 1, **kw).contiguous(memory_format=T.channels_last).stride()",
    "y.is_contiguous(memory_format=T.channels_last)",
    "y.contiguous(memory_format=T.channels_last) is y",
    "y.contiguous().stride()",
    "y.to(memory_format=T.channels_last) is y",
    "T.zeros(2, 3, 4, 5, 6, **kw).contiguous(memory_format=T.channels_last_3d).stride()",
    "repr(T.channels_last).split('.')[1]",
    # .to() copies where the suggested format differs (a fresh N311 tensor, a channels-last C=1 one)
    "T.zeros(2, 3, 1, 1, **kw).to(memory_format=T.channels_last).stride()",
    "T.zeros(2, 1, 4, 5, **kw).to(memory_format=CL).to(memory_format=T.contiguous_format).stride()",
    # convolutions write channels-last where the input or the weight is channels-last
    "F.conv2d(y, T.ones(4, 3, 3, 3, **kw)).stride()",
    "F.conv2d(x, T.ones(4, 3, 3, 3, **kw).to(memory_format=T.channels_last)).stride()",
    "F.conv2d(x, T.ones(4, 3, 3, 3, **kw)).stride()",
    "F.conv2d(y, T.ones(4, 3, 3, 3, **kw), T.ones(4, **kw), stride=2, padding=1).stride()",
    "F.conv2d(y, T.ones(3, 1, 3, 3, **kw), groups=3).stride()",
    "F.conv2d(x[0], T.ones(4, 3, 3, 3, **kw).to(memory_format=T.channels_last)).stride()",
    "F.conv2d(T.zeros(2, 1, 4, 5, **kw).to(memory_format=CL), T.ones(2, 1, 3, 3, **kw)).stride()",
    "F.conv1d(x[0], T.ones(2, 3, 3, **kw)).stride()",
    "F.conv_transpose2d(y, T.ones(3, 2, 3, 3, **kw), stride=2).stride()",
    "T.nn.Conv2d(3, 4, 3, **kw).to(memory_format=CL)(y).is_contiguous(memory_format=CL)",
    "T.nn.Conv2d(3, 4, 3, **kw).to(memory_format=T.channels_last)(x).is_contiguous()",
]


def _outcome(T, expr, device=None):
    kw = {"device": device} if device else {}
    x = T.zeros(2, 3, 4, 5, **kw)
    y = x.contiguous(memory_format=T.channels_last)
    try:
        scope = {"T": T, "F": T.nn.functional, "CL": T.channels_last, "x": x, "y": y, "kw": kw}
        value = eval(expr, scope)  # (the expressions above)
    except RuntimeError:
        return "RuntimeError"
    return tuple(value) if isinstance(value, tuple) else value if isinstance(value, (bool, str)) else "tensor"


@pytest.mark.parametrize("expr", CASES)
def test_memory_formats_give_torchs_strides(device, expr):
    assert _outcome(lg, expr, device) == _outcome(torch, expr)


def test_a_channels_last_copy_has_the_same_values(device):
    a = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    y = lg.tensor(a, device=device).contiguous(memory_format=lg.channels_last)
    np.testing.assert_array_equal(y.numpy(), a)
    np.testing.assert_array_equal((y * 2).reshape(2, -1).numpy(), (a * 2).reshape(2, -1))
    w = np.arange(36, dtype=np.float32).reshape(4, 3, 1, 3) / 36
    out = lg.nn.functional.conv2d(y, lg.tensor(w, device=device))
    ref = torch.nn.functional.conv2d(torch.tensor(a), torch.tensor(w))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    np.testing.assert_allclose(out.reshape(2, -1).numpy(), ref.reshape(2, -1).numpy(), rtol=1e-6)
