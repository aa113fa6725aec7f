"""F.interpolate(antialias=True) in bilinear, bicubic and lanczos mode against torch, on every
device: shrinking (where the filter widens with the scale), growing, a size or a scale factor,
with and without align_corners; values and the input's gradient. Other modes refuse it as torch
does, and lanczos refuses to run without it."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = [  # (input h, w), interpolate's keywords
    ((16, 13), {"size": (5, 4)}),
    ((9, 12), {"size": (4, 12)}),
    ((10, 10), {"scale_factor": 0.3}),
    ((6, 8), {"scale_factor": (0.5, 0.75)}),
    ((7, 9), {"size": (14, 20)}),
    ((8, 8), {"size": (3, 3), "align_corners": True}),
    ((5, 5), {"size": (1, 1)}),
]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("hw,kw", CASES, ids=[f"{hw}-{kw}" for hw, kw in CASES])
def test_antialiased_resize_is_torchs(device, mode, hw, kw):
    if mode == "lanczos" and kw.get("align_corners"):
        kw = {k: v for k, v in kw.items() if k != "align_corners"}  # (lanczos refuses it: below)
    x = np.random.default_rng(0).standard_normal((2, 3) + hw).astype(np.float32)
    g = np.random.default_rng(1).standard_normal(1).astype(np.float32)
    results = []
    for T, dev in ((lg, {"device": device}), (torch, {})):
        t = T.tensor(x, requires_grad=True, **dev)
        out = T.nn.functional.interpolate(t, mode=mode, antialias=True, **kw)
        ((out * out).sum() * T.tensor(g, **dev)).sum().backward()  # (a gradient that is not all ones)
        results.append((out.detach().numpy(), t.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode,shape", [("nearest", (1, 1, 4, 4)), ("linear", (1, 1, 4)),
                                        ("area", (1, 1, 4, 4)),
                                        ("bilinear", (1, 1, 4, 4, 4)), ("trilinear", (1, 1, 4, 4, 4))])
def test_other_modes_refuse_antialias_as_torch(device, mode, shape):
    errors = []
    for T, dev in ((lg, {"device": device}), (torch, {})):
        with pytest.raises(ValueError) as caught:
            T.nn.functional.interpolate(T.ones(*shape, **dev), scale_factor=0.5, mode=mode, antialias=True)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("kw,error", [({"antialias": False}, ValueError),
                                      ({"antialias": True, "align_corners": True}, ValueError),
                                      ({"antialias": False, "shape": (1, 1, 4)}, NotImplementedError),
                                      ({"antialias": False, "mode": "no-such-mode"}, NotImplementedError)])
def test_lanczos_needs_antialias_and_four_dims_as_torch(device, kw, error):
    kw = {"mode": "lanczos", "shape": (1, 1, 4, 4), **kw}
    errors = []
    for T, dev in ((lg, {"device": device}), (torch, {})):
        with pytest.raises(error) as caught:
            T.nn.functional.interpolate(T.ones(*kw["shape"], **dev), size=2,
                                        **{k: v for k, v in kw.items() if k != "shape"})
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
