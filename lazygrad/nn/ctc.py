"""F.ctc_loss: the connectionist temporal classification loss by the forward (alpha)
recursion over the blank-extended targets, in log space, batched over the samples.

torch's backward returns exp(log_probs) - occupancy for log_probs (the gradient for logits
under a log_softmax, which is how CTC is used): not the derivative of the loss in log_probs,
which is -occupancy. Both give the same gradient through a log_softmax; to give torch's own
numbers for log_probs too, each sample's loss carries sum(exp(log_probs)) - (the same,
detached) over its valid time steps: zero in value, exp(log_probs) in gradient.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.loss import _reduce


def _logsumexp3(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """log(e^a + e^b + e^c) with -inf entries; all -inf gives -inf with a zero gradient."""
    m = a._maximum(b)._maximum(c)
    finite = m > -math.inf
    m = finite.if_else(m, 0.0).detach()
    s = (a - m).exp() + (b - m).exp() + (c - m).exp()
    return finite.if_else(finite.if_else(s, 1.0).log() + m, -math.inf)


def _shift(x: Tensor, k: int) -> Tensor:
    """x[..., s - k] along the last dim, -inf for s < k."""
    return x.pad((k, 0), value=-math.inf).narrow(-1, 0, x.shape[-1])


@autocast_op("float32")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
    steps, n, c = log_probs.shape
    in_len = [int(v) for v in (input_lengths.tolist() if isinstance(input_lengths, Tensor) else
                               np.atleast_1d(input_lengths))]
    tg_len = [int(v) for v in (target_lengths.tolist() if isinstance(target_lengths, Tensor) else
                               np.atleast_1d(target_lengths))]
    if len(in_len) != n or len(tg_len) != n:
        raise RuntimeError(f"ctc_loss: expected input_lengths and target_lengths of size {n}, got {len(in_len)} "
                           f"and {len(tg_len)}")
    if any(v > steps for v in in_len):
        raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but got value {max(in_len)}")
    tg = np.asarray(targets.tolist(), dtype=np.int64)
    if tg.ndim == 1:  # concatenated targets: one run per sample
        starts = np.concatenate([[0], np.cumsum(tg_len)[:-1]])
        rows = [tg[s:s + k] for s, k in zip(starts, tg_len)]
    else:
        rows = [tg[i, :k] for i, k in enumerate(tg_len)]
    for row in rows:
        if row.size and (row.min() < 0 or row.max() >= c):
            raise RuntimeError(f"ctc_loss: target labels must lie in [0, {c}), got {row.tolist()}")
    width = 2 * max(tg_len + [0]) + 1
    ext = np.full((n, width), blank, dtype=np.int64)
    skip = np.zeros((n, width), dtype=bool)
    for i, row in enumerate(rows):
        ext[i, 1:2 * len(row):2] = row
        for s in range(3, 2 * len(row), 2):
            skip[i, s] = ext[i, s] != ext[i, s - 2]
    index = Tensor(np.broadcast_to(ext, (steps, n, width)).copy(), device=log_probs.device)
    lp = log_probs.gather(-1, index)  # (T, N, width)
    can_skip = Tensor(skip, device=log_probs.device)
    start = np.full((n, width), -np.inf, dtype=np.float32)
    start[:, 0] = 0.0
    start[[i for i in range(n) if tg_len[i] > 0], 1] = 0.0
    alpha = Tensor(start, device=log_probs.device).cast(log_probs.dtype) + lp[0]
    for t in range(1, steps):
        live = Tensor(np.array([t < v for v in in_len]).reshape(n, 1), device=log_probs.device)
        stepped = _logsumexp3(alpha, _shift(alpha, 1), can_skip.if_else(_shift(alpha, 2), -math.inf)) + lp[t]
        alpha = live.if_else(stepped, alpha)
    last = Tensor(np.array([2 * v for v in tg_len]).reshape(n, 1), device=log_probs.device)
    before = Tensor(np.array([max(2 * v - 1, 0) for v in tg_len]).reshape(n, 1), device=log_probs.device)
    end = alpha.gather(-1, last).squeeze(-1)
    end_prev = alpha.gather(-1, before).squeeze(-1)
    has_prev = Tensor(np.array([v > 0 for v in tg_len]), device=log_probs.device)
    nothing = Tensor(np.full(n, -np.inf, dtype=np.float32), device=log_probs.device).cast(log_probs.dtype)
    total = _logsumexp3(end, has_prev.if_else(end_prev, -math.inf), nothing)
    loss = -total
    valid = Tensor((np.arange(steps)[:, None] < np.array(in_len)[None, :]).astype(np.float32),
                   device=log_probs.device).cast(log_probs.dtype).unsqueeze(-1)
    mass = (log_probs.exp() * valid).sum((0, 2))
    loss = loss + (mass - mass.detach())  # torch's gradient for log_probs (see the docstring)
    if zero_infinity:
        loss = (loss == math.inf).if_else(0.0, loss)
    if reduction == "mean":
        lengths = Tensor(np.maximum(np.array(tg_len), 1).astype(np.float32), device=log_probs.device)
        return (loss / lengths.cast(loss.dtype)).mean()
    out = _reduce(loss, reduction)
    return out.squeeze(0) if unbatched and reduction == "none" else out
