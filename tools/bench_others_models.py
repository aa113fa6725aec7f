"""The model-level workloads in torch and tinygrad, for the child processes of bench_others.py.

Same architectures, sizes and data as the lazygrad versions in tools/bench_models.py. A builder
returns `(call, ops)`: `call()` runs one step and waits for it; `ops` is how many of the row's
units one call holds (the jit tiny-op row times ten dependent ops a call). torch.compile wraps
whole functions, training steps included (backward and the optimizer step), the way a user
would; tinygrad runs training steps under TinyJit, as lazygrad does under lg.jit. An eager
step (a key ending in " eager") is the same step called plainly, its loss read back with
`.item()`: tinygrad without TinyJit, torch.compile's column still the compiled step function.
"""
from __future__ import annotations

from collections.abc import Callable

import bench_workloads as bw
from bench_workloads import BATCH, D_MODEL, DIGITS_WIDTH, HEADS, SEQ, VOCAB

STEPS = ("mlp step", "transformer step", "cnn step")  # each also as `KEY eager` (and `KEY eager busy`)


def torch_model(torch, key: str, wrap: Callable[[Callable], Callable]) -> tuple[Callable, int]:
    """`wrap` is the identity for eager torch and torch.compile for the compiled column."""
    import torch.nn as tnn
    import torch.nn.functional as tF
    torch.manual_seed(0)
    base = key.removesuffix(" busy").removesuffix(" eager")
    if base in STEPS:
        builders = {"mlp step": _torch_mlp_step, "transformer step": _torch_transformer_step,
                    "cnn step": _torch_cnn_step}
        step = wrap(builders[base](torch, tnn, tF))
        return ((lambda: step().item()) if base != key else step), 1
    x = torch.ones(16)
    if key == "tiny op":
        add = wrap(lambda x: x + 1)
        return (lambda: add(x)), 1
    if key == "tiny op jit":
        ten = wrap(bw.ten_dependent_ops)
        return (lambda: ten(x)), 10
    raise KeyError(f"no torch version of {key!r}")


def _torch_mlp_step(torch, tnn, tF) -> Callable:
    model = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = (torch.from_numpy(a) for a in bw.mlp_data())

    def mlp_step():
        opt.zero_grad()
        loss = tF.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return mlp_step


def _torch_cnn_step(torch, tnn, tF) -> Callable:
    """bench_models.DigitsCNN in torch.nn: the same layers, Adam at the same rate."""
    w = DIGITS_WIDTH
    model = tnn.Sequential(tnn.Conv2d(1, w, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Conv2d(w, 2 * w, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                           tnn.Flatten(1), tnn.Dropout(0.1), tnn.Linear(2 * w * 2 * 2, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = (torch.from_numpy(a) for a in bw.digits_data())

    def cnn_step():
        loss = tF.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return cnn_step


def _torch_transformer_step(torch, tnn, tF) -> Callable:
    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = tnn.LayerNorm(D_MODEL), tnn.LayerNorm(D_MODEL)
            self.attn = tnn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
            self.fc1, self.fc2 = tnn.Linear(D_MODEL, 4 * D_MODEL), tnn.Linear(4 * D_MODEL, D_MODEL)

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.fc2(tF.gelu(self.fc1(self.ln2(x))))

    tok, pos = tnn.Embedding(VOCAB, D_MODEL), tnn.Embedding(SEQ, D_MODEL)
    blocks = tnn.ModuleList([Block(), Block()])
    ln, head = tnn.LayerNorm(D_MODEL), tnn.Linear(D_MODEL, VOCAB)
    params = [p for m in (tok, pos, blocks, ln, head) for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=1e-3)
    mask = torch.triu(torch.full((SEQ, SEQ), float("-inf")), 1)
    positions = torch.arange(SEQ)
    idx, targets = (torch.from_numpy(a) for a in bw.transformer_data())

    def transformer_step():
        opt.zero_grad()
        x = tok(idx) + pos(positions)
        for b in blocks:
            x = b(x, mask)
        loss = tF.cross_entropy(head(ln(x)).reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss
    return transformer_step


# ---- tinygrad -----------------------------------------------------------------------------------------

def tinygrad_model(Tensor, device, key: str) -> tuple[Callable, int]:
    """`device` is the tinygrad device in use: a call waits for it, since realize only queues."""
    from tinygrad import TinyJit, nn
    from tinygrad.helpers import Context
    Tensor.manual_seed(0)

    def waited(fn):
        def call():
            out = fn()
            device.synchronize()
            return out
        return call

    base = key.removesuffix(" busy").removesuffix(" eager")
    eager = base != key
    if base in STEPS:
        builders = {"mlp step": _tinygrad_mlp, "transformer step": _tinygrad_transformer, "cnn step": _tinygrad_cnn}
        model, inputs = builders[base](Tensor, nn)
        params = nn.state.get_parameters(model)
        optimizers = {"mlp step": lambda: nn.optim.SGD(params, lr=0.01),
                      "transformer step": lambda: nn.optim.AdamW(params, lr=1e-3),
                      "cnn step": lambda: nn.optim.Adam(params, lr=1e-2)}
        opt = optimizers[base]()

        def step(x, y):
            opt.zero_grad()
            loss = model.loss(x, y)
            loss.backward()
            opt.step()
            return loss.realize()
        jitted = step if eager else TinyJit(step)

        def train_step():
            with Context(TRAINING=1):
                loss = jitted(*inputs)
                return loss.item() if eager else loss
        return waited(train_step), 1
    x = Tensor.ones(16).contiguous().realize()
    if key == "tiny op":
        return waited(lambda: (x + 1).realize()), 1
    if key == "tiny op jit":
        ten = TinyJit(lambda x: bw.ten_dependent_ops(x).realize())
        return waited(lambda: ten(x)), 10
    raise KeyError(f"no tinygrad version of {key!r}")


def _tinygrad_mlp(Tensor, nn):
    class MLP:
        def __init__(self):
            self.l1, self.l2 = nn.Linear(784, 256), nn.Linear(256, 10)

        def loss(self, x, y):
            return self.l2(self.l1(x).relu()).sparse_categorical_crossentropy(y)

    x, y = bw.mlp_data()
    return MLP(), (Tensor(x).realize(), Tensor(y.astype("int32")).realize())


def _tinygrad_cnn(Tensor, nn):
    class CNN:
        def __init__(self):
            w = DIGITS_WIDTH
            self.conv1, self.conv2 = nn.Conv2d(1, w, 3, padding=1), nn.Conv2d(w, 2 * w, 3, padding=1)
            self.fc = nn.Linear(2 * w * 2 * 2, 10)

        def loss(self, x, y):
            x = self.conv1(x).relu().max_pool2d((2, 2))
            x = self.conv2(x).relu().max_pool2d((2, 2))
            return self.fc(x.flatten(1).dropout(0.1)).sparse_categorical_crossentropy(y)

    x, y = bw.digits_data()
    return CNN(), (Tensor(x).realize(), Tensor(y.astype("int32")).realize())


def _tinygrad_transformer(Tensor, nn):
    """The same model as torch's: pre-norm blocks, a fused q/k/v projection, causal mask."""
    class Attention:
        def __init__(self):
            self.in_proj, self.out_proj = nn.Linear(D_MODEL, 3 * D_MODEL), nn.Linear(D_MODEL, D_MODEL)

        def __call__(self, x):
            q, k, v = (t.reshape(BATCH, SEQ, HEADS, D_MODEL // HEADS).transpose(1, 2)
                       for t in self.in_proj(x).chunk(3, dim=-1))
            out = q.scaled_dot_product_attention(k, v, is_causal=True)
            return self.out_proj(out.transpose(1, 2).reshape(BATCH, SEQ, D_MODEL))

    class Block:
        def __init__(self):
            self.ln1, self.ln2, self.attn = nn.LayerNorm(D_MODEL), nn.LayerNorm(D_MODEL), Attention()
            self.fc1, self.fc2 = nn.Linear(D_MODEL, 4 * D_MODEL), nn.Linear(4 * D_MODEL, D_MODEL)

        def __call__(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.fc2(self.fc1(self.ln2(x)).gelu())

    class Transformer:
        def __init__(self):
            self.tok, self.pos = nn.Embedding(VOCAB, D_MODEL), nn.Embedding(SEQ, D_MODEL)
            self.blocks = [Block(), Block()]
            self.ln, self.head = nn.LayerNorm(D_MODEL), nn.Linear(D_MODEL, VOCAB)
            self.positions = Tensor.arange(SEQ).is_param_(False).realize()  # a constant, not trained

        def loss(self, idx, targets):
            x = self.tok(idx) + self.pos(self.positions)
            for block in self.blocks:
                x = block(x)
            logits = self.head(self.ln(x)).reshape(-1, VOCAB)
            return logits.sparse_categorical_crossentropy(targets.reshape(-1))

    idx, targets = bw.transformer_data()
    return Transformer(), (Tensor(idx.astype("int32")).realize(), Tensor(targets.astype("int32")).realize())
