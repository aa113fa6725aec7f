"""Model-level benchmark workloads in lazygrad (and numpy where natural): training steps,
per-op overhead, the first step of a training loop.

The torch and tinygrad versions, the same architectures on the same data, are in
tools/bench_others_models.py. A training step runs under `lg.jit` (the replay path a training
loop can use) or eagerly: the step written plainly, ending in `loss.item()` so that every step
is computed, as a loop that prints its loss does. Timing functions return median seconds a call.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable

import numpy as np

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn, optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_workloads import (
    BUSY_STEPS,
    D_MODEL,
    DIGITS_WIDTH,
    HEADS,
    SEQ,
    VOCAB,
    busy_core,
    digits_data,
    median_time,
    mlp_data,
    ten_dependent_ops,
    transformer_data,
)

# ---- MLP 784-256-10 train step ------------------------------------------------------------------

def mlp_step_fn(device: str, jit: bool = True):
    lg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
    opt = optim.SGD(model.parameters(), lr=0.01)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return lg.jit(step) if jit else step, [lg.Tensor(a, device=device) for a in mlp_data()]


def mlp_lazygrad(repeat: int, device: str) -> float:
    step, (x, y) = mlp_step_fn(device)
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


def transformer_step_fn(device: str, jit: bool = True):
    lg.manual_seed(0)
    model = TinyTransformer().to(device)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    mask = lg.Tensor(np.triu(np.full((SEQ, SEQ), -np.inf, np.float32), 1), device=device)
    positions = lg.Tensor(np.arange(SEQ), device=device)

    def step(idx, targets):
        opt.zero_grad()
        logits = model(idx, positions, mask)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss
    return lg.jit(step) if jit else step, [lg.Tensor(a, device=device) for a in transformer_data()]


def transformer_lazygrad(repeat: int, device: str) -> float:
    step, (idx, targets) = transformer_step_fn(device)
    return median_time(lambda: step(idx, targets), repeat, warmup=3)


# ---- the digits CNN of examples/train_digits.py, trained eagerly as there ------------------------

class DigitsCNN(nn.Module):
    """(N, 1, 8, 8) -> conv 3x3 -> relu -> pool -> conv 3x3 -> relu -> pool -> linear -> 10 logits."""

    def __init__(self, width: int = DIGITS_WIDTH) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(0.1)
        self.fc = nn.Linear(2 * width * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(self.dropout(x.flatten(1)))


def cnn_step_fn(device: str):
    lg.manual_seed(0)
    model = DigitsCNN().to(device)
    opt = optim.Adam(model.parameters(), lr=1e-2)

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, [lg.Tensor(a, device=device) for a in digits_data()]


# ---- eager steps and first steps ------------------------------------------------------------------

def eager_step(key: str, device: str) -> Callable[[], float]:
    """One eager training step of the model `key` names, its loss read back as a float."""
    builders = {"mlp step eager": lambda: mlp_step_fn(device, jit=False),
                "transformer step eager": lambda: transformer_step_fn(device, jit=False),
                "cnn step eager": lambda: cnn_step_fn(device)}
    step, inputs = builders[key.removesuffix(" busy")]()
    return lambda: step(*inputs).item()


def eager_step_seconds(key: str, repeat: int, device: str) -> float:
    step = eager_step(key, device)
    with busy_core() if key in BUSY_STEPS else contextlib.nullcontext():
        return median_time(step, repeat, warmup=3)


def first_step(model: str, device: str) -> Callable[[], object]:
    """The step whose first call a first-step row times: the transformer's under lg.jit, the
    CNN's eager (as examples/train_digits.py runs by default)."""
    if model == "transformer":
        step, (idx, targets) = transformer_step_fn(device)
        return lambda: step(idx, targets).detach().numpy()
    return eager_step("cnn step eager", device)


def first_step_seconds(model: str, device: str) -> dict:
    """The first training step of `model` in a new process: cold (an empty kernel cache in a
    new temporary folder) and warm (the cache the cold run filled)."""
    tools = os.path.dirname(os.path.abspath(__file__))
    code = (f"import time, sys; sys.path.insert(0, {tools!r})\n"
            "import bench_models as b\n"
            f"step = b.first_step({model!r}, {device!r})\n"
            "s = time.perf_counter(); step(); print(time.perf_counter() - s)\n")
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
