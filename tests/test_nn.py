"""nn.functional against numpy references written from torch's documented formulas, and the
Module API."""
import math

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn

R = np.random.default_rng(0)


def t(a, device=None):  # None: the default device, where modules put their parameters
    return lg.Tensor(np.asarray(a), device=device)


def close(x, ref, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(x.detach().numpy(), ref, rtol=rtol, atol=atol)


# ---- numpy references -------------------------------------------------------------------------


def conv2d_ref(x, w, b, stride, padding, dilation, groups):
    n, _c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per = o // groups
    for ni in range(n):
        for oc in range(o):
            g = oc // per
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += (x[ni, g * cg + ci, i * stride[0] + p * dilation[0], j * stride[1] + q * dilation[1]]
                                        * w[oc, ci, p, q])
                    out[ni, oc, i, j] = acc + (b[oc] if b is not None else 0)
    return out


def conv_transpose2d_ref(x, w, stride, padding, output_padding):
    """The definition: every input pixel scatters weight * value into the output."""
    n, _c, h, wd = x.shape
    _, o, kh, kw = w.shape
    full_h, full_w = (h - 1) * stride + kh, (wd - 1) * stride + kw
    out = np.zeros((n, o, full_h + output_padding, full_w + output_padding))
    for i in range(h):
        for j in range(wd):
            out[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    return out[:, :, padding:out.shape[2] - padding, padding:out.shape[3] - padding]


def softmax_ref(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


# ---- convolution and pooling -------------------------------------------------------------------


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    ((1, 1), (0, 0), (1, 1), 1), ((2, 1), (1, 2), (1, 1), 1), ((1, 1), (1, 1), (2, 1), 1), ((2, 2), (1, 1), (1, 1), 2)])
def test_conv2d_matches_a_direct_loop(stride, padding, dilation, groups):
    x = R.standard_normal((2, 4, 6, 5)).astype(np.float32)
    w = R.standard_normal((6, 4 // groups, 3, 2)).astype(np.float32)
    b = R.standard_normal(6).astype(np.float32)
    out = F.conv2d(t(x), t(w), t(b), stride, padding, dilation, groups)
    close(out, conv2d_ref(x, w, b, stride, padding, dilation, groups), rtol=1e-4, atol=1e-4)


def test_conv2d_on_each_device(device):
    x = R.standard_normal((1, 2, 4, 4)).astype(np.float32)
    w = R.standard_normal((3, 2, 3, 3)).astype(np.float32)
    close(F.conv2d(t(x, device), t(w, device), padding=1), conv2d_ref(x, w, None, (1, 1), (1, 1), (1, 1), 1), 1e-4, 1e-4)


def test_conv2d_same_padding_keeps_the_size():
    x = R.standard_normal((1, 1, 5, 6)).astype(np.float32)
    w = R.standard_normal((2, 1, 3, 3)).astype(np.float32)
    assert F.conv2d(t(x), t(w), padding="same").shape == (1, 2, 5, 6)


def test_conv1d_matches_conv2d_with_height_one():
    x = R.standard_normal((2, 3, 9)).astype(np.float32)
    w = R.standard_normal((4, 3, 3)).astype(np.float32)
    ref = conv2d_ref(x[:, :, None], w[:, :, None], None, (1, 2), (0, 1), (1, 1), 1)[:, :, 0]
    close(F.conv1d(t(x), t(w), stride=2, padding=1), ref, 1e-4, 1e-4)


@pytest.mark.parametrize("stride,padding,output_padding", [(1, 0, 0), (2, 1, 1), (2, 0, 0), (3, 1, 0)])
def test_conv_transpose2d_matches_the_scatter_definition(stride, padding, output_padding):
    x = R.standard_normal((2, 3, 3, 4)).astype(np.float32)
    w = R.standard_normal((3, 2, 3, 3)).astype(np.float32)
    out = F.conv_transpose2d(t(x), t(w), stride=stride, padding=padding, output_padding=output_padding)
    close(out, conv_transpose2d_ref(x, w, stride, padding, output_padding), 1e-4, 1e-4)


def test_max_pool2d_with_padding_and_stride():
    x = R.standard_normal((2, 3, 7, 6)).astype(np.float32)
    out = F.max_pool2d(t(x), 3, stride=2, padding=1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    ref = np.array([[[[xp[n, c, 2 * i:2 * i + 3, 2 * j:2 * j + 3].max() for j in range(3)] for i in range(4)]
                     for c in range(3)] for n in range(2)])
    close(out, ref)


def test_max_pool2d_ceil_mode_keeps_the_partial_window():
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    out = F.max_pool2d(t(x), 2, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    close(out, [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]])


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_padding_in_the_divisor(count_include_pad):
    x = R.standard_normal((1, 2, 4, 4)).astype(np.float32)
    out = F.avg_pool2d(t(x), 3, stride=2, padding=1, count_include_pad=count_include_pad)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ones = np.pad(np.ones((4, 4)), 1)
    ref = np.zeros((1, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            win = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3].sum((2, 3))
            ref[:, :, i, j] = win / (9 if count_include_pad else ones[2 * i:2 * i + 3, 2 * j:2 * j + 3].sum())
    close(out, ref)


def test_adaptive_avg_pool2d_uneven_bins():
    x = R.standard_normal((1, 1, 5, 7)).astype(np.float32)
    out = F.adaptive_avg_pool2d(t(x), (2, 3))
    ref = np.zeros((2, 3))
    for i in range(2):
        for j in range(3):
            h0, h1 = (i * 5) // 2, -(-((i + 1) * 5) // 2)
            w0, w1 = (j * 7) // 3, -(-((j + 1) * 7) // 3)
            ref[i, j] = x[0, 0, h0:h1, w0:w1].mean()
    close(out, ref[None, None])


@pytest.mark.parametrize("size", [(4, 6), (3, 5), (2, 2)])
def test_interpolate_nearest_picks_floor_index(size):
    x = R.standard_normal((1, 2, 2, 3)).astype(np.float32)
    out = F.interpolate(t(x), size=size)
    rows = (np.arange(size[0]) * 2) // size[0]
    cols = (np.arange(size[1]) * 3) // size[1]
    close(out, x[:, :, rows][:, :, :, cols])


# ---- normalization --------------------------------------------------------------------------


def test_batch_norm_training_updates_running_stats_with_unbiased_variance():
    x = R.standard_normal((4, 3, 2, 2)).astype(np.float32)
    bn = nn.BatchNorm2d(3, momentum=0.2)
    out = bn(t(x))
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    close(out, (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5), 1e-4, 1e-4)
    close(bn.running_mean, 0.2 * mean)
    close(bn.running_var, 0.8 + 0.2 * x.var((0, 2, 3), ddof=1))
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    close(bn(t(x)), (x - 0.2 * mean[None, :, None, None]) / np.sqrt(bn.running_var.numpy()[None, :, None, None] + 1e-5),
          1e-4, 1e-4)


def test_batch_norm1d_on_2d_input():
    x = R.standard_normal((5, 3)).astype(np.float32)
    out = nn.BatchNorm1d(3)(t(x))
    close(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), 1e-4, 1e-4)


def test_layer_norm_and_group_norm(device):
    x = R.standard_normal((2, 4, 3)).astype(np.float32)
    w, b = R.standard_normal(3).astype(np.float32), R.standard_normal(3).astype(np.float32)
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * w + b
    close(F.layer_norm(t(x, device), (3,), t(w, device), t(b, device)), ref, 1e-4, 1e-4)
    g = x.reshape(2, 2, 6)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(2, 4, 3)
    close(F.group_norm(t(x, device), 2), ref, 1e-4, 1e-4)


# ---- activations --------------------------------------------------------------------------


def test_activations_match_their_formulas(device):
    x = np.linspace(-3, 3, 13).astype(np.float32)
    xt = t(x, device)
    erf = np.vectorize(math.erf)
    close(F.relu(xt), np.maximum(x, 0))
    close(F.leaky_relu(xt, 0.1), np.where(x > 0, x, 0.1 * x))
    close(F.gelu(xt), 0.5 * x * (1 + erf(x / np.sqrt(2))), 1e-5, 1e-6)
    close(F.gelu(xt, approximate="tanh"), 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))))
    close(F.silu(xt), x / (1 + np.exp(-x)))
    close(F.sigmoid(xt), 1 / (1 + np.exp(-x)))
    close(F.tanh(xt), np.tanh(x))


def test_softmax_and_log_softmax():
    x = R.standard_normal((3, 5)).astype(np.float32) * 10
    close(F.softmax(t(x), dim=1), softmax_ref(x, 1))
    close(F.log_softmax(t(x), dim=0), np.log(softmax_ref(x, 0)), 1e-4, 1e-4)


def test_dropout_zeroes_about_p_and_scales_the_rest():
    x = lg.Tensor(np.ones(20000, np.float32))
    out = F.dropout(x, 0.25).numpy()
    assert abs((out == 0).mean() - 0.25) < 0.02
    np.testing.assert_allclose(out[out != 0], 1 / 0.75, rtol=1e-6)
    assert F.dropout(x, 0.25, training=False) is x
    layer = nn.Dropout(0.5).eval()
    close(layer(x), np.ones(20000))


# ---- losses --------------------------------------------------------------------------------


def ce_ref(x, y, weight=None, ignore_index=-100, smoothing=0.0, reduction="mean"):
    logp = np.log(softmax_ref(x, 1))
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight
    valid = y != ignore_index
    ys = np.where(valid, y, 0)
    nll = -logp[np.arange(len(y)), ys] * w[ys] * valid
    smooth = -(logp * w).sum(1) * valid
    if reduction == "mean":
        denom = (w[ys] * valid).sum()
        return (1 - smoothing) * nll.sum() / denom + smoothing / c * smooth.sum() / denom
    if reduction == "sum":
        return (1 - smoothing) * nll.sum() + smoothing / c * smooth.sum()
    return (1 - smoothing) * nll + smoothing / c * smooth


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.2}, {"ignore_index": 1},
                                    {"weight": True}, {"weight": True, "label_smoothing": 0.1},
                                    {"reduction": "sum"}, {"reduction": "none", "label_smoothing": 0.3}])
def test_cross_entropy_matches_torch_definition(kwargs):
    x = R.standard_normal((6, 4)).astype(np.float32)
    y = np.array([0, 1, 3, 1, 2, 0])
    kw = dict(kwargs)
    weight = R.uniform(0.5, 2, 4).astype(np.float32) if kw.pop("weight", False) else None
    out = F.cross_entropy(t(x), t(y), weight=None if weight is None else t(weight), **kw)
    ref = ce_ref(x, y, weight, kw.get("ignore_index", -100), kw.get("label_smoothing", 0.0),
                 kw.get("reduction", "mean"))
    close(out, ref, 1e-5, 1e-5)


def test_cross_entropy_with_probability_targets_and_spatial_dims():
    x = R.standard_normal((2, 3, 4)).astype(np.float32)
    p = softmax_ref(R.standard_normal((2, 3, 4)), 1).astype(np.float32)
    logp = np.log(softmax_ref(x, 1))
    close(F.cross_entropy(t(x), t(p)), -(logp * p).sum(1).mean(), 1e-5, 1e-5)
    y = np.array([[0, 1, 2, 2], [1, 1, 0, 2]])
    ref = -np.take_along_axis(logp, y[:, None], 1).mean()
    close(F.cross_entropy(t(x), t(y)), ref, 1e-5, 1e-5)


def test_regression_and_binary_losses(device):
    a = R.uniform(0.05, 0.95, (3, 4)).astype(np.float32)
    b = R.uniform(0, 1, (3, 4)).astype(np.float32)
    z = R.standard_normal((3, 4)).astype(np.float32) * 3
    close(F.mse_loss(t(a, device), t(b, device)), ((a - b) ** 2).mean())
    close(F.l1_loss(t(a, device), t(b, device), reduction="sum"), np.abs(a - b).sum(), 1e-5, 1e-5)
    close(F.binary_cross_entropy(t(a, device), t(b, device)), -(b * np.log(a) + (1 - b) * np.log(1 - a)).mean())
    sig = 1 / (1 + np.exp(-z))
    close(F.binary_cross_entropy_with_logits(t(z, device), t(b, device)),
          -(b * np.log(sig) + (1 - b) * np.log(1 - sig)).mean(), 1e-5, 1e-5)
    pw = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    close(F.binary_cross_entropy_with_logits(t(z, device), t(b, device), pos_weight=t(pw, device), reduction="none"),
          -(pw * b * np.log(sig) + (1 - b) * np.log(1 - sig)), 1e-4, 1e-5)


def test_nll_loss_with_ignore_index():
    logp = np.log(softmax_ref(R.standard_normal((4, 3)), 1)).astype(np.float32)
    y = np.array([2, -100, 0, 1])
    ref = -(logp[0, 2] + logp[2, 0] + logp[3, 1]) / 3
    close(F.nll_loss(t(logp), t(y)), ref)


# ---- embedding, one_hot, linear, attention ------------------------------------------------------


def test_embedding_one_hot_and_linear(device):
    w = R.standard_normal((5, 3)).astype(np.float32)
    idx = np.array([[4, 0], [2, 2]])
    close(F.embedding(t(idx, device), t(w, device)), w[idx])
    np.testing.assert_array_equal(F.one_hot(t(np.array([0, 2, 1]), device), 4).numpy(), np.eye(4, dtype=np.int64)[[0, 2, 1]])
    x, b = R.standard_normal((2, 3)).astype(np.float32), R.standard_normal(5).astype(np.float32)
    close(F.linear(t(x, device), t(w, device), t(b, device)), x @ w.T + b)


def test_embedding_padding_idx_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[0], [0, 0])
    emb(t(np.array([0, 1, 0]))).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[0, 0], [1, 1], [0, 0], [0, 0]])


def sdpa_ref(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return softmax_ref(s, -1) @ v


def test_scaled_dot_product_attention_masks():
    q, k, v = (R.standard_normal((2, 3, 4, 5)).astype(np.float32) for _ in range(3))
    causal = np.tril(np.ones((4, 4), bool))
    close(F.scaled_dot_product_attention(t(q), t(k), t(v)), sdpa_ref(q, k, v), 1e-5, 1e-5)
    close(F.scaled_dot_product_attention(t(q), t(k), t(v), is_causal=True), sdpa_ref(q, k, v, causal), 1e-5, 1e-5)
    fmask = R.standard_normal((4, 4)).astype(np.float32)
    close(F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(fmask)), sdpa_ref(q, k, v, fmask), 1e-5, 1e-5)


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_numpy(batch_first):
    e, h, n, length = 8, 2, 3, 4
    mha = nn.MultiheadAttention(e, h, batch_first=batch_first)
    names = [name for name, _ in mha.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    x = R.standard_normal((n, length, e)).astype(np.float32)
    inp = x if batch_first else x.transpose(1, 0, 2)
    causal = ~np.tril(np.ones((length, length), bool))  # True = may NOT attend (torch's MHA convention)
    out, weights = mha(t(inp), t(inp), t(inp), attn_mask=t(causal))
    w_in, b_in = mha.in_proj_weight.detach().numpy(), mha.in_proj_bias.detach().numpy()
    q, k, v = (x @ w_in[i * e:(i + 1) * e].T + b_in[i * e:(i + 1) * e] for i in range(3))
    split = [a.reshape(n, length, h, e // h).transpose(0, 2, 1, 3) for a in (q, k, v)]
    s = split[0] @ split[1].transpose(0, 1, 3, 2) / np.sqrt(e // h)
    p = softmax_ref(np.where(causal, -np.inf, s), -1)
    o = (p @ split[2]).transpose(0, 2, 1, 3).reshape(n, length, e) @ mha.out_proj.weight.detach().numpy().T + mha.out_proj.bias.detach().numpy()
    close(out, o if batch_first else o.transpose(1, 0, 2), 1e-4, 1e-5)
    close(weights, p.mean(1), 1e-5, 1e-6)


# ---- modules ---------------------------------------------------------------------------------


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(8, 3), nn.ReLU())
        self.register_buffer("scale", lg.Tensor(np.ones(1, np.float32)))

    def forward(self, x):
        return self.head(self.bn(self.conv(x))) * self.scale


def test_module_registers_parameters_buffers_and_children():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "conv.weight", "conv.bias", "bn.weight", "bn.bias", "head.1.weight", "head.1.bias"]
    assert list(net.state_dict()) == [
        "scale", "conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked", "head.1.weight", "head.1.bias"]
    assert [type(m).__name__ for m in net.children()] == ["Conv2d", "BatchNorm2d", "Sequential"]
    assert len(list(net.modules())) == 7
    assert len(list(net.buffers())) == 4
    assert net(lg.Tensor(R.standard_normal((2, 1, 4, 4)).astype(np.float32))).shape == (2, 3)


def test_train_eval_and_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    net(lg.Tensor(R.standard_normal((2, 1, 4, 4)).astype(np.float32))).sum().backward()
    assert net.conv.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_load_state_dict_round_trip_and_strict_errors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)
    sd = a.state_dict()
    del sd["conv.bias"]
    with pytest.raises(RuntimeError, match=r'"conv.bias" \(expected shape \[2\]'):
        b.load_state_dict(sd)
    assert b.load_state_dict(sd, strict=False).missing_keys == ["conv.bias"]
    sd = a.state_dict()
    sd["head.1.weight"] = lg.Tensor(np.zeros((3, 9), np.float32))
    with pytest.raises(RuntimeError, match=r"head.1.weight.*\[3, 9\].*\[3, 8\]"):
        b.load_state_dict(sd)


def test_load_state_dict_result_prints_as_torchs():
    torch = pytest.importorskip("torch")
    for lib in (torch, lg):
        a, b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
        assert repr(b.load_state_dict(a.state_dict())) == "<All keys matched successfully>"
        assert str(b.load_state_dict(a.state_dict())) == "<All keys matched successfully>"
        sd = a.state_dict()
        del sd["bias"]
        assert repr(b.load_state_dict(sd, strict=False)) == ("_IncompatibleKeys(missing_keys=['bias'], "
                                                              "unexpected_keys=[])")


def test_a_replaced_submodule_or_parameter_keeps_its_place_as_in_torch():
    """Replacing nn.Transformer's decoder by a Linear (pytorch/examples' word language model)
    or tying a decoder's weight to an embedding's keeps the name where it was, so
    parameters(), children() and state_dict() come in torch's order."""
    torch = pytest.importorskip("torch")

    def build(lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.decoder = lib.nn.Linear(4, 5)
                self.encoder = lib.nn.Embedding(5, 4)
                self.register_buffer("scale", lib.ones(1), persistent=False)
                self.decoder.weight = self.encoder.weight
                self.scale = lib.nn.Parameter(lib.ones(1))  # a buffer's name taken by a parameter
                self.decoder = lib.nn.Linear(4, 5)
        return Tied()
    want, got = build(torch), build(lg)
    assert [n for n, _ in got.named_children()] == [n for n, _ in want.named_children()] == ["decoder", "encoder"]
    assert [n for n, _ in got.named_parameters()] == [n for n, _ in want.named_parameters()]
    assert list(got.state_dict()) == list(want.state_dict())
    linear = lg.nn.Linear(4, 5)
    linear.weight = lg.nn.Parameter(lg.zeros(5, 4))
    assert [n for n, _ in linear.named_parameters()] == ["weight", "bias"]


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert isinstance(seq[1], nn.Tanh) and len(seq) == 3 and len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.GELU()})
    assert list(md.keys()) == ["a", "b"] and len(list(md.parameters())) == 2
    assert nn.Flatten()(lg.Tensor(np.zeros((2, 3, 4)))).shape == (2, 12)
    assert nn.Softmax(dim=1)(lg.Tensor(np.zeros((2, 4)))).numpy().sum() == pytest.approx(2.0)


def test_default_initialization_bounds():
    lin = nn.Linear(50, 20)
    bound = 1 / math.sqrt(50)
    assert np.abs(lin.weight.detach().numpy()).max() <= bound and np.abs(lin.weight.detach().numpy()).max() > 0.8 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    conv = nn.Conv2d(3, 4, 3)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(27)
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad


def test_init_functions():
    w = nn.Parameter(lg.Tensor(np.zeros((200, 100), np.float32)))
    nn.init.ones_(w)
    assert w.detach().numpy().min() == 1
    nn.init.zeros_(w)
    assert w.detach().numpy().max() == 0
    nn.init.constant_(w, 0.5)
    assert np.all(w.detach().numpy() == 0.5)
    nn.init.uniform_(w, -2, 3)
    assert w.detach().numpy().min() >= -2 and w.detach().numpy().max() < 3 and w.detach().numpy().std() > 1
    nn.init.normal_(w, 1.0, 2.0)
    assert abs(w.detach().numpy().mean() - 1) < 0.1 and abs(w.detach().numpy().std() - 2) < 0.1
    nn.init.xavier_uniform_(w)
    assert np.abs(w.detach().numpy()).max() <= math.sqrt(6 / 300)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.detach().numpy()).max() <= math.sqrt(6 / 100)


def test_max_pool2d_gradient_goes_to_the_first_maximum_only(device):
    x = lg.Tensor([[[[1.0, 3.0], [3.0, 0.0]]]], device=device, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])


def test_layer_modules_produce_torch_shapes():
    x4 = lg.Tensor(R.standard_normal((2, 4, 6, 6)).astype(np.float32))
    assert nn.Conv2d(4, 6, 3, stride=2, padding=1)(x4).shape == (2, 6, 3, 3)
    assert nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)(x4).shape == (2, 3, 12, 12)
    assert nn.Conv1d(4, 5, 3)(lg.Tensor(np.zeros((2, 4, 10), np.float32))).shape == (2, 5, 8)
    assert nn.MaxPool2d(2)(x4).shape == (2, 4, 3, 3)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x4).shape == (2, 4, 6, 6)
    assert nn.AdaptiveAvgPool2d(1)(x4).shape == (2, 4, 1, 1)
    assert nn.GroupNorm(2, 4)(x4).shape == (2, 4, 6, 6)
    assert nn.LayerNorm([6, 6])(x4).shape == (2, 4, 6, 6)
    assert nn.Embedding(10, 3)(lg.Tensor([[1, 2], [3, 9]])).shape == (2, 2, 3)
    assert F.interpolate(x4, scale_factor=2).shape == (2, 4, 12, 12)
    assert F.pad(x4, (1, 2)).shape == (2, 4, 6, 9)


def test_multihead_attention_key_padding_and_unbatched_input():
    mha = nn.MultiheadAttention(4, 2)
    x = lg.Tensor(R.standard_normal((3, 4)).astype(np.float32))  # (L, E), no batch
    out, w = mha(x, x, x, key_padding_mask=lg.Tensor([False, False, True]))
    assert out.shape == (3, 4) and w.shape == (3, 3)
    np.testing.assert_allclose(w.detach().numpy()[:, 2], 0.0)
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1.0, rtol=1e-6)
    out, w = mha(x, x, x, need_weights=False)
    assert w is None


def test_clip_grad_norm_scales_all_gradients_together():
    a = lg.Tensor([3.0, 0.0], requires_grad=True)
    b = lg.Tensor([[4.0]], requires_grad=True)
    ((a * a).sum() * 0.5 + (b * b).sum() * 0.5).backward()  # grads: [3, 0] and [[4]], norm 5
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [[0.8]], rtol=1e-5)
    nn.utils.clip_grad_value_([a, b], 0.7)
    np.testing.assert_allclose(b.grad.numpy(), [[0.7]], rtol=1e-6)


def test_conv_transpose2d_with_groups_and_dilation():
    x = R.standard_normal((1, 4, 3, 3)).astype(np.float32)
    w = R.standard_normal((4, 3, 2, 3)).astype(np.float32)  # (C_in, C_out / groups, kH, kW), groups=2
    stride, pad, dil, groups = 2, 1, 2, 2
    full = np.zeros((1, 6, (3 - 1) * stride + dil * (2 - 1) + 1, (3 - 1) * stride + dil * (3 - 1) + 1))
    for c in range(4):
        g = c // 2
        for o in range(3):
            for i in range(3):
                for j in range(3):
                    for p in range(2):
                        for q in range(3):
                            full[0, g * 3 + o, i * stride + p * dil, j * stride + q * dil] += x[0, c, i, j] * w[c, o, p, q]
    ref = full[:, :, pad:full.shape[2] - pad, pad:full.shape[3] - pad]
    out = F.conv_transpose2d(t(x), t(w), stride=stride, padding=pad, groups=groups, dilation=dil)
    close(out, ref, 1e-4, 1e-4)


def test_relu_gradient_at_zero_is_zero_as_in_torch(device):
    x = lg.Tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("kv_heads", [(2, 2), (2, 1), (4, 4)])
def test_scaled_dot_product_attention_grouped_query_heads_match_torch(device, kv_heads):
    """enable_gqa=True: each key/value head serves a group of query heads (torch's GQA); the
    keyword was missing (found by tinygrad's op tests). Values and gradients."""
    torch = pytest.importorskip("torch")
    shapes = [(2, 4, 3, 5), (2, kv_heads[0], 3, 5), (2, kv_heads[1], 3, 5)]
    arrays = [R.standard_normal(s).astype(np.float32) for s in shapes]
    ours = [lg.tensor(a, requires_grad=True, device=device) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    o = F.scaled_dot_product_attention(*ours, enable_gqa=True)
    t = torch.nn.functional.scaled_dot_product_attention(*theirs, enable_gqa=True)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    for g, h in zip(lg.autograd.grad(o.sum(), ours), torch.autograd.grad(t.sum(), theirs)):
        np.testing.assert_allclose(g.numpy(), h.numpy(), rtol=1e-4, atol=1e-5)
