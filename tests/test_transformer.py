"""nn.Transformer and its layers and stacks against torch: torch's state dict loads unchanged
(same keys and shapes), and the same weights give the same outputs and gradients of every
parameter and input, with masks, in train mode (dropout 0) and eval mode, each option both
ways (two configurations: every distinct one costs a few seconds of compiling)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import nn

D, HEADS, FF = 8, 2, 12
REF = "python"  # gradients are compared on the reference device, which compiles nothing (fast)


def _twins(cls: str, *args, device=None, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(*args, **kwargs).double()
    ours = getattr(nn, cls)(*args, **kwargs)
    if device is not None:
        ours = ours.to(device)
    t_state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in t_state.items()}
    ours.load_state_dict({k: v.float().numpy() for k, v in t_state.items()})
    return theirs, ours


def _compare(theirs, ours, inputs: list, masks: dict, device, rng, train: bool = True):
    """Run both on the inputs (float arrays: gradients compared) and masks (given as they are);
    compare the output, and through a weighted sum the gradients of inputs and parameters."""
    theirs.train(train)
    ours.train(train)
    t_in = [torch.tensor(x, requires_grad=True) for x in inputs]
    l_in = [lg.Tensor(x.astype(np.float32), device=device, requires_grad=True) for x in inputs]
    t_masks = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()}
    l_masks = {k: lg.Tensor(v.astype(np.float32) if v.dtype == np.float64 else v, device=device)
               if isinstance(v, np.ndarray) else v for k, v in masks.items()}
    t_out, l_out = theirs(*t_in, **t_masks), ours(*l_in, **l_masks)
    w = rng.standard_normal(tuple(t_out.shape))
    (t_out * torch.tensor(w)).sum().backward()
    (l_out * lg.Tensor(w.astype(np.float32), device=device)).sum().backward()
    params = dict(ours.named_parameters())
    lg.realize(l_out, *(x.grad for x in l_in), *(p.grad for p in params.values()))
    np.testing.assert_allclose(l_out.detach().numpy(), t_out.detach().numpy(), rtol=2e-4, atol=2e-5)
    for t, l in zip(t_in, l_in):
        np.testing.assert_allclose(l.grad.numpy(), t.grad.numpy(), rtol=2e-4, atol=2e-5)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=2e-4, atol=2e-5, err_msg=name)


def test_encoder_layer_on_each_device(device, rng):
    """Eval mode, values only, on every device (the gradients run on the default device below)."""
    theirs, ours = _twins("TransformerEncoderLayer", D, HEADS, FF, 0.0, device=device)
    x = rng.standard_normal((3, 2, D))
    out = ours.eval()(lg.Tensor(x.astype(np.float32), device=device))
    np.testing.assert_allclose(out.detach().numpy(), theirs.eval()(torch.tensor(x)).detach().numpy(), rtol=2e-4, atol=2e-5)


# (norm_first, activation, batch_first, bias): each value of each option once; the second
# configuration runs in eval mode
OPTIONS = [(False, "relu", False, True), (True, "gelu", True, False)]


@pytest.mark.parametrize("norm_first,activation,batch_first,bias", OPTIONS)
def test_transformer_matches_torch(norm_first, activation, batch_first, bias, rng):
    kw = {"dim_feedforward": FF, "dropout": 0.0, "activation": activation, "batch_first": batch_first,
          "norm_first": norm_first, "bias": bias}
    theirs, ours = _twins("Transformer", D, HEADS, 1, 1, device=REF, **kw)
    src_len, tgt_len, batch = 4, 3, 2
    lay = (lambda length: (batch, length, D)) if batch_first else (lambda length: (length, batch, D))
    pad = np.array([[False, False, False, True], [False, False, False, False]])
    masks = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(tgt_len).numpy().astype(np.float64),
             "src_key_padding_mask": pad, "memory_key_padding_mask": pad}
    np.testing.assert_array_equal(masks["tgt_mask"], torch.nn.Transformer.generate_square_subsequent_mask(tgt_len))
    inputs = [rng.standard_normal(lay(src_len)), rng.standard_normal(lay(tgt_len))]
    _compare(theirs, ours, inputs, masks, REF, rng, train=not batch_first)  # eval mode too


def test_decoder_stack_with_bool_masks_a_causal_hint_and_a_final_norm(rng):
    layer = torch.nn.TransformerDecoderLayer(D, HEADS, FF, 0.0)
    torch.manual_seed(1)
    theirs = torch.nn.TransformerDecoder(layer, 2, torch.nn.LayerNorm(D)).double()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, HEADS, FF, 0.0), 2, nn.LayerNorm(D))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.float().numpy() for k, v in theirs.state_dict().items()})
    ours.to(REF)
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    memory_mask = np.array([[False, True, False, False]] * 3)
    masks = {"tgt_mask": causal, "tgt_is_causal": True, "memory_mask": memory_mask}
    _compare(theirs, ours, [rng.standard_normal((3, 2, D)), rng.standard_normal((4, 2, D))], masks, REF, rng)
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, HEADS, FF, 0.0), 2).double()
    l_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, 0.0), 2)
    assert list(l_enc.state_dict()) == list(t_enc.state_dict())
    assert [tuple(v.shape) for v in l_enc.state_dict().values()] == [tuple(v.shape) for v in t_enc.state_dict().values()]


def test_encoder_is_causal_applies_the_causal_mask(rng):
    x = rng.standard_normal((3, 1, D)).astype(np.float32)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, 0.0), 1)
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_allclose(enc(lg.Tensor(x), is_causal=True).detach().numpy(), enc(lg.Tensor(x), mask=mask).detach().numpy(),
                               rtol=1e-6)
    changed = x.copy()
    changed[2] += 1.0  # a later position cannot change earlier outputs
    np.testing.assert_allclose(enc(lg.Tensor(changed), is_causal=True).detach().numpy()[:2],
                               enc(lg.Tensor(x), is_causal=True).detach().numpy()[:2], rtol=1e-5)


def test_constructor_and_input_errors_are_torchs():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        torch.nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    model = nn.Transformer(D, HEADS, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(lg.Tensor(np.zeros((3, 2, D), dtype=np.float32)), lg.Tensor(np.zeros((3, 1, D), dtype=np.float32)))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(lg.Tensor(np.zeros((3, 2, 4), dtype=np.float32)), lg.Tensor(np.zeros((3, 2, 4), dtype=np.float32)))
    assert nn.TransformerEncoderLayer(16, 2).linear1.weight.shape == (2048, 16)  # torch's defaults
    assert len(nn.Transformer(D, HEADS, dim_feedforward=FF).decoder.layers) == 6


@pytest.mark.parametrize("kwargs", [{"kdim": 3, "vdim": 5, "add_bias_kv": True},
                                    {"add_zero_attn": True, "add_bias_kv": True, "batch_first": True}])
def test_multihead_attention_kdim_vdim_bias_kv_and_zero_attn_match_torch(kwargs, rng):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(D, HEADS, **kwargs).double()
    ours = nn.MultiheadAttention(D, HEADS, **kwargs)
    state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
    ours.load_state_dict({k: v.float().numpy() for k, v in state.items()})
    ours.to(REF)
    bf = kwargs.get("batch_first", False)
    shape = (lambda length, e: (2, length, e)) if bf else (lambda length, e: (length, 2, e))
    q, k, v = (rng.standard_normal(shape(n, e)) for n, e in ((3, D), (4, kwargs.get("kdim", D)),
                                                            (4, kwargs.get("vdim", D))))
    masks = {"key_padding_mask": np.array([[False, False, True, False], [False, False, False, False]]),
             "attn_mask": np.triu(np.ones((3, 4), dtype=bool), 2)}

    class Outputs(torch.nn.Module):  # (output, weights) as one tensor, for _compare
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args, **kw):
            out, w = self.m(*args, **kw)
            return torch.cat([out.flatten(), w.flatten()])

    class OursOutputs(nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args, **kw):
            out, w = self.m(*args, **kw)
            return lg.cat([out.flatten(), w.flatten()])
    _compare(Outputs(theirs), OursOutputs(ours), [q, k, v], masks, REF, rng)
