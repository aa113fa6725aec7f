"""What the benchmark measures: every workload's name, inputs, cost, numpy reference and goal.

Shared by tools/bench.py (lazygrad, numpy) and the child processes of tools/bench_others.py
(torch eager, torch.compile, tinygrad), so it imports numpy only: every implementation builds
the same inputs from the same seed. The goals are the performance issue's, stated against
torch eager in the same run (`other time / lazygrad time`, above 1 = lazygrad faster) or as
a time limit.
"""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

D_MODEL, HEADS, SEQ, BATCH, VOCAB = 128, 4, 64, 16, 64  # the transformer step
DIGITS_BATCH, DIGITS_WIDTH = 64, 16  # the CNN of examples/train_digits.py, its batch size
MEMORY_STEPS = 10  # training steps a peak-memory child runs
N16 = 16 * 1024 * 1024
N64 = 64 * 1024 * 1024
COPY = "copy 256 MiB"  # the bandwidth the bandwidth-bound rows are measured against
BANDWIDTH_BOUND = ("sum 4096x4096 axis 1", "sum 4096x4096 axis 0")
COPY_SHARE_GOAL = 0.85  # of the copy's GB/s (the performance issue's goal)


@dataclass(frozen=True)
class Goal:
    """A row's target: at least `min_torch_ratio` times torch eager's speed, or at most
    `max_seconds` per call."""
    min_torch_ratio: float | None = None
    max_seconds: float | None = None

    def describe(self) -> str:
        if self.min_torch_ratio is not None:
            return f">= {self.min_torch_ratio:g}x torch"
        seconds = self.max_seconds or 0.0
        return f"< {seconds * 1e6:g} us" if seconds < 1e-3 else f"< {seconds:g} s"

    def met(self, lazygrad_seconds: float, torch_ratio: float | None) -> bool | None:
        """None when the goal cannot be judged in this run (torch missing or failed)."""
        if self.min_torch_ratio is not None:
            return None if torch_ratio is None else torch_ratio >= self.min_torch_ratio
        return lazygrad_seconds < (self.max_seconds or 0.0)


@dataclass(frozen=True)
class Workload:
    """One kernel-level workload: numpy arrays in, one array out."""
    name: str
    flops: float  # per call
    nbytes: float  # minimal memory traffic per call
    make_inputs: Callable[[np.random.Generator], list[np.ndarray]]
    numpy_fn: Callable[..., np.ndarray]
    goal: Goal


def gelu_chain_np(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def gelu_chain_tensor(x):
    """The same chain for a lazygrad, torch or tinygrad tensor (each has a .tanh() method)."""
    return 0.5 * x * (1.0 + (0.7978845608 * (x + 0.044715 * x * x * x)).tanh())


def softmax_np(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def conv_np(x, w):
    """conv2d, stride 1, padding 1, by im2col: the usual numpy way."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # n c h w kh kw
    return np.einsum("nchwij,ocij->nohw", cols, w, optimize=True)


def _normal(*shapes):
    return lambda rng: [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def _matmul(n: int) -> Workload:
    return Workload(f"matmul {n}", 2 * n ** 3, 3 * 4 * n * n, _normal((n, n), (n, n)),
                    lambda a, b: a @ b, Goal(min_torch_ratio=0.9))


KERNELS = [
    Workload("gelu chain 16M", 14 * N16, 8 * N16, _normal(N16), gelu_chain_np, Goal(min_torch_ratio=6)),
    Workload("softmax 4096x4096 rows", 5 * 4096 * 4096, 8 * 4096 * 4096, _normal((4096, 4096)), softmax_np,
             Goal(min_torch_ratio=1)),
    Workload("sum 4096x4096 axis 1", 4096 * 4096, 4 * 4096 * 4096, _normal((4096, 4096)),
             lambda x: x.sum(axis=1), Goal(min_torch_ratio=0.8)),
    Workload("sum 4096x4096 axis 0", 4096 * 4096, 4 * 4096 * 4096, _normal((4096, 4096)),
             lambda x: x.sum(axis=0), Goal(min_torch_ratio=0.8)),
    Workload(COPY, 0, 2 * 4 * N64, _normal(N64), lambda x: x.copy(), Goal(min_torch_ratio=0.85)),
    _matmul(1024),
    _matmul(2048),
    Workload("conv2d 32x16x32x32 * 32x16x3x3", 2 * 32 * 32 * 32 * 32 * 16 * 9,
             4 * (2 * 32 * 16 * 32 * 32 + 32 * 16 * 9), _normal((32, 16, 32, 32), (32, 16, 3, 3)), conv_np,
             Goal(min_torch_ratio=0.9)),
]


@dataclass(frozen=True)
class ModelWorkload:
    """A model-level row: a training step, per-op overhead or a first call.
    `key` names it to the child processes; `flops` is 0 where a rate means nothing."""
    name: str
    key: str
    flops: float
    goal: Goal


def _mlp_step_flops() -> float:
    forward = 2 * 128 * (784 * 256 + 256 * 10)
    return 3 * forward  # backward costs about twice the forward


def _cnn_step_flops() -> float:
    """Two 3x3 convolutions (8x8, then 4x4 after the pool) and the linear layer."""
    w = DIGITS_WIDTH
    forward = 2 * DIGITS_BATCH * (8 * 8 * w * 9 + 4 * 4 * 2 * w * w * 9 + 2 * w * 4 * 10)
    return 3 * forward


def _transformer_step_flops() -> float:
    """Dense layers plus the two attention matmuls, forward and backward (3x forward)."""
    dense = 2 * (4 * D_MODEL * D_MODEL + 2 * D_MODEL * 4 * D_MODEL) + D_MODEL * VOCAB
    attention = 2 * 2 * 2 * BATCH * SEQ * SEQ * D_MODEL  # 2 layers x (q k^T, p v)
    return 3 * (2 * dense * BATCH * SEQ + attention)


MODELS = [
    ModelWorkload("MLP 784-256-10 step (jit)", "mlp step", _mlp_step_flops(), Goal(min_torch_ratio=1.5)),
    ModelWorkload("transformer step (jit)", "transformer step", _transformer_step_flops(),
                  Goal(min_torch_ratio=1.5)),
    ModelWorkload("MLP 784-256-10 step (eager)", "mlp step eager", _mlp_step_flops(), Goal(min_torch_ratio=1)),
    ModelWorkload("transformer step (eager)", "transformer step eager", _transformer_step_flops(),
                  Goal(min_torch_ratio=1)),
    ModelWorkload("digits CNN step (eager)", "cnn step eager", _cnn_step_flops(), Goal(min_torch_ratio=1)),
    ModelWorkload("digits CNN step (eager), a core busy", "cnn step eager busy", _cnn_step_flops(),
                  Goal(min_torch_ratio=1)),
    ModelWorkload("tiny op, realized one at a time", "tiny op", 0, Goal(max_seconds=10e-6)),
    ModelWorkload("tiny op, replayed under jit", "tiny op jit", 0, Goal(max_seconds=10e-6)),
    ModelWorkload("transformer first call, cold", "first call cold", 0, Goal(max_seconds=5)),
    ModelWorkload("transformer first call, warm", "first call warm", 0, Goal(max_seconds=1)),
    ModelWorkload("digits CNN first step, cold", "cnn first step cold", 0, Goal(max_seconds=5)),
    ModelWorkload("digits CNN first step, warm", "cnn first step warm", 0, Goal(max_seconds=1)),
]
# lazygrad's own compile path and cache: {model: (cold key, warm key)}
FIRST_STEPS = {"transformer": ("first call cold", "first call warm"),
               "cnn": ("cnn first step cold", "cnn first step warm")}
LAZYGRAD_ONLY = {key for keys in FIRST_STEPS.values() for key in keys}
# The training steps without jit: timed against torch eager, and their peak memory compared
# with torch eager's in a second table.
EAGER_STEPS = ("mlp step eager", "transformer step eager", "cnn step eager")
# An eager step timed while another process keeps one core busy (a DataLoader's worker, a
# second test process): an OpenMP team that waits for that core stalls a time slice a kernel.
BUSY_STEPS = ("cnn step eager busy",)


@contextmanager
def busy_core() -> Iterator[None]:
    """Another process spinning on one core for the block's length."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # (it has started spinning)
        yield
    finally:
        spinner.kill()
        spinner.wait()


def ten_dependent_ops(x):
    """Ten tiny kernels that must run one after another (no library fuses a chain of reduces),
    in the operators that torch, tinygrad and lazygrad tensors share."""
    for _ in range(10):
        x = (x * 1.5).sum(0, keepdim=True).expand(16)
    return x


def mlp_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((128, 784), dtype=np.float32), rng.integers(0, 10, 128)


def digits_data() -> tuple[np.ndarray, np.ndarray]:
    """A batch shaped as examples/train_digits.py's: (64, 1, 8, 8) images, labels 0..9."""
    rng = np.random.default_rng(0)
    return rng.standard_normal((DIGITS_BATCH, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, DIGITS_BATCH)


def transformer_data() -> tuple[np.ndarray, np.ndarray]:
    """Next-token prediction: (BATCH, SEQ) token ids and the same shifted by one."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (BATCH, SEQ + 1))
    return tokens[:, :-1], tokens[:, 1:]


def matches(out: np.ndarray, ref: np.ndarray) -> bool:
    """Whether an implementation's output agrees with numpy's, to float32 accumulation error."""
    return bool(np.allclose(out, ref, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(ref).max()))))


def copy_shares(rows: list[dict]) -> dict[str, float]:
    """Each bandwidth-bound row's GB/s as a share of the copy row's (both moving the bytes
    they must: a copy reads and writes each, a sum reads each), where both were run."""
    gbs = {r["workload"]: r.get("gbs") for r in rows}
    if not gbs.get(COPY):
        return {}
    return {name: gbs[name] / gbs[COPY] for name in BANDWIDTH_BOUND if gbs.get(name)}


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 2) -> float:
    """Median seconds of `fn()` after `warmup` untimed calls (compiles, caches, allocators)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def selected(items: list, only: str) -> list:
    """The workloads whose names `--only` (comma-separated substrings; empty = all) keeps."""
    keys = [k for k in only.split(",") if k]
    return [w for w in items if not keys or any(k in w.name for k in keys)]
