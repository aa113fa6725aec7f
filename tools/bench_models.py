"""Model-level benchmark workloads (issue 6): conv2d, training steps, per-op overhead, cold start.

Each workload has a lazygrad version, a numpy version where one is natural, and a torch version
that tools/bench.py runs in a child process. Models are the same architecture in every library;
training steps run under `lg.jit` for lazygrad (the replay path is what a training loop uses).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import lazygrad as lg
from lazygrad import nn, optim
import lazygrad.nn.functional as F

D_MODEL, HEADS, SEQ, BATCH, VOCAB = 128, 4, 64, 16, 64


def median_time(fn, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---- conv2d -----------------------------------------------------------------------------------

def conv_inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((32, 16, 32, 32), dtype=np.float32),
            rng.standard_normal((32, 16, 3, 3), dtype=np.float32))


def conv_numpy(x, w):
    """im2col by hand: the usual numpy way."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # n c h w kh kw
    return np.einsum("nchwij,ocij->nohw", cols, w, optimize=True)


def conv_lazygrad(repeat: int, device: str) -> float:
    x, w = (lg.Tensor(a, device=device).realize() for a in conv_inputs())
    return median_time(lambda: F.conv2d(x, w, padding=1).realize(), repeat)


# ---- MLP 784-256-10 train step ------------------------------------------------------------------

def mlp_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((128, 784), dtype=np.float32), rng.integers(0, 10, 128)


def mlp_lazygrad(repeat: int, device: str) -> float:
    lg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.01)
    x_np, y_np = mlp_data()
    x, y = lg.Tensor(x_np, device=device), lg.Tensor(y_np, device=device)

    @lg.jit
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return median_time(lambda: step(x, y), repeat, warmup=3)


def mlp_numpy(repeat: int) -> float:
    """Forward, backward and SGD written out by hand."""
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((784, 256), dtype=np.float32) * 0.03
    b1 = np.zeros(256, np.float32)
    w2 = rng.standard_normal((256, 10), dtype=np.float32) * 0.06
    b2 = np.zeros(10, np.float32)
    x, y = mlp_data()

    def step():
        nonlocal w1, b1, w2, b2
        h = np.maximum(x @ w1 + b1, 0)
        logits = h @ w2 + b2
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = p
        g[np.arange(len(y)), y] -= 1
        g /= len(y)
        gw2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ w2.T) * (h > 0)
        gw1, gb1 = x.T @ gh, gh.sum(0)
        w1 -= 0.01 * gw1
        b1 -= 0.01 * gb1
        w2 -= 0.01 * gw2
        b2 -= 0.01 * gb2
    return median_time(step, repeat)


# ---- 2-layer transformer train step ----------------------------------------------------------------

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D_MODEL)
        self.attn = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
        self.ln2 = nn.LayerNorm(D_MODEL)
        self.fc1 = nn.Linear(D_MODEL, 4 * D_MODEL)
        self.fc2 = nn.Linear(4 * D_MODEL, D_MODEL)

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D_MODEL)
        self.pos = nn.Embedding(SEQ, D_MODEL)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.ln = nn.LayerNorm(D_MODEL)
        self.head = nn.Linear(D_MODEL, VOCAB)

    def forward(self, idx, positions, mask):
        x = self.tok(idx) + self.pos(positions)
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln(x))


def transformer_data():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (BATCH, SEQ + 1))
    return tokens[:, :-1], tokens[:, 1:]


def transformer_step_fn(device: str):
    lg.manual_seed(0)
    model = TinyTransformer().to(device)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    mask = lg.Tensor(np.triu(np.full((SEQ, SEQ), -np.inf, np.float32), 1), device=device)
    positions = lg.Tensor(np.arange(SEQ), device=device)

    @lg.jit
    def step(idx, targets):
        opt.zero_grad()
        logits = model(idx, positions, mask)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss
    inputs = [lg.Tensor(a, device=device) for a in transformer_data()]
    return step, inputs


def transformer_lazygrad(repeat: int, device: str) -> float:
    step, (idx, targets) = transformer_step_fn(device)
    return median_time(lambda: step(idx, targets), repeat, warmup=3)


def first_call_seconds(device: str) -> dict:
    """The first training step of the transformer in a new process: cold (empty kernel cache)
    and warm (the cache the cold run filled)."""
    code = ("import time, sys; sys.path.insert(0, %r)\n"
            "import bench_models as b\n"
            "step, (i, t) = b.transformer_step_fn(%r)\n"
            "s = time.perf_counter(); step(i, t).numpy(); print(time.perf_counter() - s)\n"
            % (os.path.dirname(os.path.abspath(__file__)), device))
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, LAZYGRAD_CACHE=cache)
        for kind in ("cold", "warm"):
            proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            out[kind] = float(proc.stdout.strip().splitlines()[-1])
    return out


# ---- per-op overhead ------------------------------------------------------------------------------

def tiny_op_lazygrad(repeat: int, device: str) -> dict:
    x = lg.Tensor(np.ones(16, np.float32), device=device).realize()

    @lg.jit
    def ten_ops(x):
        for _ in range(10):
            x = (x * 1.5).sum(0, keepdim=True).expand(16)  # 10 dependent kernels
        return x
    eager = median_time(lambda: (x + 1).realize(), max(repeat, 200))
    replay = median_time(lambda: ten_ops(x), max(repeat, 100), warmup=3) / 10
    return {"realized one at a time": eager, "replayed under lg.jit": replay}


# ---- torch (child process only) ---------------------------------------------------------------------

def torch_time(name: str, repeat: int) -> float:
    import torch
    import torch.nn as tnn
    import torch.nn.functional as tF
    torch.manual_seed(0)
    if name == "conv2d":
        x, w = (torch.from_numpy(a) for a in conv_inputs())
        return median_time(lambda: tF.conv2d(x, w, padding=1), repeat)
    if name == "mlp step":
        model = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x, y = (torch.from_numpy(a) for a in mlp_data())

        def step():
            opt.zero_grad()
            tF.cross_entropy(model(x), y).backward()
            opt.step()
        return median_time(step, repeat)
    if name == "transformer step":
        class TBlock(tnn.Module):
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
        blocks = tnn.ModuleList([TBlock(), TBlock()])
        ln, head = tnn.LayerNorm(D_MODEL), tnn.Linear(D_MODEL, VOCAB)
        params = [p for m in (tok, pos, blocks, ln, head) for p in m.parameters()]
        opt = torch.optim.AdamW(params, lr=1e-3)
        mask = torch.triu(torch.full((SEQ, SEQ), float("-inf")), 1)
        positions = torch.arange(SEQ)
        idx, targets = (torch.from_numpy(a) for a in transformer_data())

        def step():
            opt.zero_grad()
            x = tok(idx) + pos(positions)
            for b in blocks:
                x = b(x, mask)
            loss = tF.cross_entropy(head(ln(x)).reshape(-1, VOCAB), targets.reshape(-1))
            loss.backward()
            opt.step()
        return median_time(step, repeat)
    if name == "tiny op":
        x = torch.ones(16)
        return median_time(lambda: x + 1, max(repeat, 200))
    raise KeyError(name)


def torch_time_in_child(name: str, repeat: int) -> float:
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
            f"import bench_models as b; print(b.torch_time({name!r}, {repeat}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(proc.stdout.strip().splitlines()[-1])
