"""CPU autocast on ops whose lazygrad build differs from torch's: embedding, interpolate and the
adaptive average pools are matmuls here but run as given in torch (they stay float32), while
torch's einsum (where a label is summed across two operands), inner above 1-D by 1-D, and
MultiheadAttention's projections reach a lowered bmm / linear (bfloat16 results, float32 sums
of lowered inputs). Dtypes and values against torch (frontend/autocast_policy.py)."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.runtime.registry import get_device

torch = pytest.importorskip("torch")
R = np.random.default_rng(0)
A, B, S = (R.standard_normal(s).astype(np.float32) for s in ((3, 4), (3, 4), (3, 3)))
IM = R.standard_normal((1, 2, 4, 4)).astype(np.float32)
W = R.standard_normal((5, 3)).astype(np.float32)

OPS = {
    "embedding": lambda T, a, b, s, im, w: T.nn.functional.embedding(T.tensor([1, 4, 0]), w),
    "Embedding": lambda T, a, b, s, im, w: T.nn.Embedding.from_pretrained(w)(T.tensor([[1, 2]])),
    "interpolate bilinear": lambda T, a, b, s, im, w: T.nn.functional.interpolate(im, scale_factor=1.5, mode="bilinear"),
    "interpolate linear": lambda T, a, b, s, im, w: T.nn.functional.interpolate(a[None], size=7, mode="linear"),
    "interpolate bicubic": lambda T, a, b, s, im, w: T.nn.functional.interpolate(im, size=(5, 6), mode="bicubic"),
    "Upsample": lambda T, a, b, s, im, w: T.nn.Upsample(scale_factor=2, mode="bilinear")(im),
    "adaptive_avg_pool2d": lambda T, a, b, s, im, w: T.nn.functional.adaptive_avg_pool2d(im, 3),
    "adaptive_avg_pool1d": lambda T, a, b, s, im, w: T.nn.functional.adaptive_avg_pool1d(a[None], 3),
    "adaptive_avg_pool3d": lambda T, a, b, s, im, w: T.nn.functional.adaptive_avg_pool3d(im[None], (1, 3, 3)),
    "einsum ij,kj->ik": lambda T, a, b, s, im, w: T.einsum("ij,kj->ik", a, b),
    "einsum ij,ij->i": lambda T, a, b, s, im, w: T.einsum("ij,ij->i", a, b),
    "einsum ij,ij->ij": lambda T, a, b, s, im, w: T.einsum("ij,ij->ij", a, b),
    "einsum ij,ik->jk": lambda T, a, b, s, im, w: T.einsum("ij,ik->jk", a, b),
    "einsum ij,jk,kl->il": lambda T, a, b, s, im, w: T.einsum("ij,jk,kl->il", a, b.t(), a),
    "einsum i,j->ij": lambda T, a, b, s, im, w: T.einsum("i,j->ij", a[0], b[0]),
    "einsum ii->i": lambda T, a, b, s, im, w: T.einsum("ii->i", s),
    "einsum ij,k->": lambda T, a, b, s, im, w: T.einsum("ij,k->", a, b[0]),
    "inner 2-D": lambda T, a, b, s, im, w: T.inner(a, b),
    "inner 2-D by 1-D": lambda T, a, b, s, im, w: T.inner(a, b[0]),
    "inner 1-D": lambda T, a, b, s, im, w: T.inner(a[0], b[0]),
}


def _mha(T):
    mha = T.nn.MultiheadAttention(4, 2)
    with T.no_grad():
        for p in mha.parameters():
            p.copy_(T.tensor(np.random.default_rng(3).uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return mha


OPS["MultiheadAttention"] = lambda T, a, b, s, im, w: _mha(T)(a[:, None], b[:, None], b[:, None])[0]


@pytest.mark.parametrize("op", OPS)
def test_op_has_torchs_dtype_and_values_under_bfloat16_autocast(op, device):
    results = []
    for T, kw in ((torch, {}), (lg, {"device": device})):
        args = [T.tensor(x, **kw) for x in (A, B, S, IM, W)]
        if T is lg:
            if results[0].dtype == torch.bfloat16 and not get_device(device).supports(lg.bfloat16):
                pytest.skip(f"{device} has no bfloat16 kernels")
            lg.set_default_device(device)
        try:
            with T.autocast("cpu", dtype=T.bfloat16):
                results.append(OPS[op](T, *args))
        finally:
            if T is lg:
                lg.set_default_device(None)
    theirs, ours = results
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.float().detach().numpy(), theirs.float().detach().numpy(), rtol=1e-2, atol=1e-2)
