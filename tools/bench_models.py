"""Model-level benchmark workloads in lazygrad (and numpy where natural): training steps,
per-op overhead, the first call of a training step.

The torch and tinygrad versions, the same architectures on the same data, are in
tools/bench_others_models.py. Training steps run under `lg.jit` (the replay path is what a
training loop uses). Each function returns median seconds a call.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn, optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_workloads import (
    D_MODEL,
    HEADS,
    SEQ,
    VOCAB,
    median_time,
    mlp_data,
    ten_dependent_ops,
    transformer_data,
)

# ---- MLP 784-256-10 train step ------------------------------------------------------------------

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
    tools = os.path.dirname(os.path.abspath(__file__))
    code = (f"import time, sys; sys.path.insert(0, {tools!r})\n"
            "import bench_models as b\n"
            f"step, (i, t) = b.transformer_step_fn({device!r})\n"
            "s = time.perf_counter(); step(i, t).numpy(); print(time.perf_counter() - s)\n")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, LAZYGRAD_CACHE=cache)
        for kind in ("cold", "warm"):
            proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
            out[kind] = float(proc.stdout.strip().splitlines()[-1])
    return out


# ---- per-op overhead ------------------------------------------------------------------------------

def tiny_op_lazygrad(repeat: int, device: str) -> dict:
    """Seconds per tiny op: `x + 1` realized alone, and ten dependent kernels replayed under jit."""
    x = lg.Tensor(np.ones(16, np.float32), device=device).realize()
    ten_ops = lg.jit(ten_dependent_ops)
    eager = median_time(lambda: (x + 1).realize(), max(repeat, 200))
    replay = median_time(lambda: ten_ops(x), max(repeat, 100), warmup=3) / 10
    return {"tiny op": eager, "tiny op jit": replay}


def tiny_op_numpy(repeat: int) -> float:
    x = np.ones(16, np.float32)
    return median_time(lambda: x + 1, max(repeat, 200))
