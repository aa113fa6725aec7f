"""F.bilinear, F.embedding_bag, the embedding max_norm renormalization, F.instance_norm and
F.local_response_norm, from torch's formulas."""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.dtype_mismatch import check_bilinear
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.index_checks import check_range
from lazygrad.frontend.sparse_grad import sparse_rows, wants_sparse_grad
from lazygrad.frontend.tensor import Tensor
from lazygrad.ir.gradient import add_gradient_path, path_carrier
from lazygrad.ir.ops import Op
from lazygrad.nn import _shared
from lazygrad.nn.distance import vector_norm


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_o = x1 . W_o . x2 + b_o, weight of shape (out, in1, in2)."""
    check_bilinear(input1, input2, weight, bias)
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear: input1's last dim must be {in1} and input2's {in2}, got shapes "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    left = input1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)  # (..., out * in2)
    y = (left.reshape(tuple(left.shape[:-1]) + (out, in2)) * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


def renorm_rows_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """torch's embedding max_norm: the rows that input looks up and whose norm exceeds max_norm
    are scaled, in place and without gradient, to max_norm / (norm + 1e-7) of themselves."""
    with no_grad():
        num = weight.shape[0]
        used = _shared.one_hot(input.reshape(-1), num, weight.dtype).sum(0) > 0
        norms = vector_norm(weight, norm_type, -1)
        scale = (used & (norms > max_norm)).if_else(max_norm / (norms + 1e-7), 1.0)
        weight.assign(weight * scale.unsqueeze(-1)).realize()


def grad_scaled_by_frequency(weight: Tensor, input: Tensor, sparse: bool) -> Tensor:
    """weight, under a node of its own whose gradient rows are divided by how often input looks
    each row up: torch's scale_grad_by_freq, which keeps a frequent word's summed gradient from
    swamping a rare one's. The value is weight's, bit for bit."""
    if sparse and wants_sparse_grad(weight):
        raise NotImplementedError("embedding(scale_grad_by_freq=True, sparse=True) is not supported")
    if not weight.requires_grad:
        return weight
    num = weight.shape[0]
    counts = _shared.one_hot(input.reshape(-1), num, weight.dtype).sum(0)
    scale_node = (1.0 / counts._maximum(1.0)).reshape((num,) + (1,) * (weight.ndim - 1)).node

    def scaled(_node, g):  # torch differentiates this again as if unscaled (its double backward drops the scale)
        node = path_carrier(Op.DETACH, (Tensor._wrap(g).detach() * Tensor._wrap(scale_node)).node, "scaled_grad")
        add_gradient_path(node, g, lambda _, gg: gg)
        return node
    carrier = path_carrier(Op.DETACH, weight.node, "scale_grad_by_freq")
    add_gradient_path(carrier, weight.node, scaled)
    out = Tensor._wrap(carrier, True)
    out.__dict__["_nonleaf"] = True
    return out


def embedding_bag(input: Tensor, weight: Tensor, offsets=None, max_norm=None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False, padding_idx=None) -> Tensor:
    """Sum, mean or max of each bag's embeddings: the rows of a 2-d input, or the runs of a 1-d
    input that offsets start. Empty bags (and bags of padding only) give zeros, as torch's."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  f"on GitHub.")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if scale_grad_by_freq:  # (torch's CPU embedding_bag divides by other rows' counts: not copied)
        raise NotImplementedError("embedding_bag(scale_grad_by_freq=True) is not supported")
    if max_norm is not None:
        renorm_rows_(weight, input, max_norm, norm_type)
    num = weight.shape[0]
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences.")
        bags, length = input.shape
        flat = input.reshape(-1)
        pos = _shared.arange(bags * length, input.device)
        member = (pos.unsqueeze(0) // length) == _shared.arange(bags, input.device).unsqueeze(1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None or offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor but got None" if offsets is None else
                             f"offsets has to be a 1D Tensor, got {offsets.ndim}D")
        flat, n = input, input.shape[0]
        starts = offsets[:-1] if include_last_offset else offsets
        ends = offsets[1:] if include_last_offset else _ends(offsets, n)
        pos = _shared.arange(n, input.device)
        member = (pos.unsqueeze(0) >= starts.unsqueeze(1)) & (pos.unsqueeze(0) < ends.unsqueeze(1))
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    check_range(flat, 0, num, lambda v: f"embedding_bag: input takes value {v} which is not in the valid range "
                                        f"[0, {num})", error=RuntimeError)  # torch's class here
    if padding_idx is not None:
        member = member & (flat != padding_idx % num).unsqueeze(0)
    if sparse and wants_sparse_grad(weight):  # torch's sparse gradient: one entry an index
        rows = sparse_rows(weight, flat, None if padding_idx is None else padding_idx % num)
    else:
        rows = _shared.one_hot(flat, num, weight.dtype) @ weight  # (n, D), through F.embedding's gradient form
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(-1)
    weights = member.cast(weight.dtype)
    if mode == "max":  # the first maximum's row, gathered: the gradient goes to it alone, as torch's
        return (weights.sum(1, keepdim=True) > 0).if_else(rows.gather(0, first_maximum(member, rows)), 0.0)
    total = weights @ rows
    if mode == "sum":
        return total
    count = weights.sum(1, keepdim=True)
    return total / count._maximum(1.0)


def first_maximum(member: Tensor, rows: Tensor) -> Tensor:
    """(bags, D): for each bag (a row of member, (bags, n)) and column of rows (n, D), the
    position of the first member whose value is the bag's largest (torch picks the first on
    ties); 0 for an empty bag."""
    n = rows.shape[0]
    values = member.unsqueeze(-1).if_else(rows.detach().unsqueeze(0), -math.inf)  # (bags, n, D)
    hit = member.unsqueeze(-1) & (values == values.amax(1, keepdim=True))
    earlier_first = (n - _shared.arange(n, rows.device, dtypes.int64)).reshape(1, n, 1)
    return (hit.cast(dtypes.int64) * earlier_first).argmax(1)


def _ends(offsets: Tensor, n: int) -> Tensor:
    """Each bag's end: the next offset, and n for the last bag."""
    end = Tensor([n], device=offsets.device).cast(offsets.dtype)
    return offsets[1:].cat(end)


def instance_norm(input: Tensor, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each (sample, channel) over its spatial dims (biased variance). With running
    statistics and use_input_stats, they are updated in place by the batch average of the
    instances' means and unbiased variances (torch's); without use_input_stats they are used."""
    if input.ndim < 3:
        raise ValueError(f"instance_norm expects an input of at least 3 dims (N, C, ...), got shape "
                         f"{list(input.shape)}")
    axes = tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if use_input_stats:
        mean = input.mean(axes, keepdim=True)
        diff = input - mean
        var = (diff * diff).mean(axes, keepdim=True)
        y = diff * (var + eps).rsqrt()
        if running_mean is not None and running_var is not None:
            count = math.prod(input.shape[2:])
            with no_grad():
                m_batch = mean.detach().reshape(input.shape[:2]).mean(0)
                v_batch = (var.detach() * (count / max(count - 1, 1))).reshape(input.shape[:2]).mean(0)
                realize_all = [running_mean.assign(running_mean * (1 - momentum) + m_batch * momentum),
                               running_var.assign(running_var * (1 - momentum) + v_batch * momentum)]
                for t in realize_all:
                    t.realize()
    else:
        if running_mean is None or running_var is None:
            raise ValueError("Expected running_mean and running_var to be defined when use_input_stats is false")
        y = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta, the window padded
    with zeros (size // 2 before, (size - 1) // 2 after), as torch's avg_pool over channels."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    pads = [(0, 0)] * input.ndim
    pads[1] = (size // 2, (size - 1) // 2)
    flat = tuple(v for lo_hi in reversed(pads) for v in lo_hi)
    padded = sq.pad(flat)
    total = padded.narrow(1, 0, c)
    for j in range(1, size):
        total = total + padded.narrow(1, j, c)
    div = (total * (alpha / size) + k) ** beta
    return input / div

