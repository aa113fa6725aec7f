"""torch's deprecation warnings for old spellings that still run: scatter's reduce= with a
tensor src, F.upsample / upsample_nearest / upsample_bilinear, Variable(volatile=True), and
DataLoader(pin_memory=True) with no accelerator. Same class and text as torch 2.13's, named at
the program's line; the values are torch's too."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).normal(size=(1, 1, 3, 3)).astype(np.float32)
CALLS = {
    "Tensor.scatter(reduce='add')": lambda T, x: x[0, 0].scatter(0, T.tensor([[0, 2, 1]]), x[0, 0],
                                                                 reduce="add"),
    "Tensor.scatter_(reduce='multiply')": lambda T, x: x[0, 0].clone().scatter_(
        1, T.tensor([[0, 0], [1, 1]]), x[0, 0, :2, :2], reduce="multiply"),
    "torch.scatter(reduce='add')": lambda T, x: T.scatter(x[0, 0], 1, T.tensor([[2], [0]]), x[0, 0, :2],
                                                          reduce="add"),
    "F.upsample": lambda T, x: T.nn.functional.upsample(x, scale_factor=2),
    "F.upsample_nearest": lambda T, x: T.nn.functional.upsample_nearest(x, size=(5, 4)),
    "F.upsample_bilinear": lambda T, x: T.nn.functional.upsample_bilinear(x, scale_factor=2),
    "Variable(volatile=True)": lambda T, x: T.autograd.Variable(x, volatile=True) * 2,
    "DataLoader(pin_memory=True)": lambda T, x: next(iter(T.utils.data.DataLoader(list(x[0, 0]), batch_size=3,
                                                                                  pin_memory=True))),
}
QUIET = {  # the same calls without the deprecated spelling: no warning in either
    "Tensor.scatter(value, reduce='add')": lambda T, x: x[0, 0].scatter(0, T.tensor([[0, 2, 1]]), 2.0,
                                                                        reduce="add"),
    "Tensor.scatter_add": lambda T, x: x[0, 0].scatter_add(0, T.tensor([[0, 2, 1]]), x[0, 0]),
    "Tensor.index_add": lambda T, x: x[0, 0].index_add(1, T.tensor([2, 0]), x[0, 0, :, :2]),
    "Tensor.index_put_(accumulate=True)": lambda T, x: x[0, 0].clone().index_put_(
        (T.tensor([0, 0, 2]), T.tensor([1, 1, 0])), x[0, 0, 0], accumulate=True),
    "nn.Upsample": lambda T, x: T.nn.Upsample(scale_factor=2)(x),
    "Variable(volatile=False)": lambda T, x: T.autograd.Variable(x, volatile=False) * 2,
    "DataLoader()": lambda T, x: next(iter(T.utils.data.DataLoader(list(x[0, 0]), batch_size=3))),
}


def _run(T, call, **kw):
    T.set_warn_always(True)  # (torch's scatter warning is once a process: the first test would take it)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = call(T, T.tensor(X, **kw))
    finally:
        T.set_warn_always(False)
    return out, [(w.category, str(w.message).partition(" (Triggered")[0], w.filename) for w in caught]


@pytest.mark.parametrize("name", CALLS)
def test_deprecated_spellings_warn_as_torch_at_the_programs_line(name, device):
    ours, our_warnings = _run(lg, CALLS[name], device=device)
    theirs, their_warnings = _run(torch, CALLS[name])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert [w[:2] for w in our_warnings] == [w[:2] for w in their_warnings] and len(our_warnings) == 1
    assert our_warnings[0][2] == __file__  # (torch's DataLoader one names its own file; ours the program's)


@pytest.mark.parametrize("name", QUIET)
def test_the_current_spellings_do_not_warn(name, device):
    ours, our_warnings = _run(lg, QUIET[name], device=device)
    theirs, their_warnings = _run(torch, QUIET[name])
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    assert our_warnings == their_warnings == []


def _encoder(T, x):
    layer = T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return T.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).to(x.device)


def _decoder(T, x):
    layer = T.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    return T.nn.TransformerDecoder(layer, 2).to(x.device)


MASKS = {  # (lib, x, float mask, bool mask, padding mask): torch warns once where it first sees two types
    "TransformerEncoder(float mask)": lambda T, x, f, b, k: _encoder(T, x)(x, mask=f, src_key_padding_mask=k),
    "TransformerEncoder(bool mask)": lambda T, x, f, b, k: _encoder(T, x)(x, mask=b, src_key_padding_mask=k),
    "TransformerEncoderLayer": lambda T, x, f, b, k: _encoder(T, x).layers[0](
        x, src_mask=f, src_key_padding_mask=k),
    "TransformerDecoder": lambda T, x, f, b, k: _decoder(T, x)(x, x, tgt_mask=f, tgt_key_padding_mask=k),
    "MultiheadAttention": lambda T, x, f, b, k: T.nn.MultiheadAttention(8, 2, batch_first=True).to(x.device)(
        x, x, x, attn_mask=f, key_padding_mask=k)[0],
}


@pytest.mark.parametrize("name", MASKS)
def test_mismatched_mask_types_warn_as_torch(name, device):
    found = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.zeros(2, 5, 8, **kw)
        fm = T.nn.Transformer.generate_square_subsequent_mask(5).to(x.device)
        kpm = T.tensor([[False] * 5, [False] * 3 + [True] * 2], **kw)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = MASKS[name](T, x, fm, fm.isinf(), kpm)
        found.append(([str(w.message) for w in caught if "mismatched" in str(w.message)], out.shape))
    assert found[0][0] == found[1][0] and tuple(found[0][1]) == tuple(found[1][1])
