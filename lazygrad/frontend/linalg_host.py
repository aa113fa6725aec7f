"""Matrix factorizations computed by numpy's LAPACK as host steps of a schedule.

Why the host and not graph ops (as tensor_solve.py does for det and solve): Cholesky, QR,
eigh, SVD and LU are iterative or pivoting algorithms whose graphs, unrolled, grow with n^2
to n^3 nodes and lose LAPACK's accuracy (eigh and SVD converge by iteration, with a
data-dependent number of sweeps). A host step (ir/host_step.py, Op.HOST) keeps the call lazy
and jit-replayable: the scheduler realizes the inputs, the engine hands their buffers to the
step between kernels, numpy computes, the result lands in the node's buffer, and kernels
reading it run after. Gradients do not come from the step: each factorization is a custom
autograd Function (custom_function.py) whose backward is written in lazygrad ops
(linalg_factor.py), so it fuses with the rest of the backward pass.

One step makes one buffer; a factorization with several results (Q and R, U S Vh) writes
them one after the other into a flat buffer of the input's dtype, and the tensors are views
of slices of it. Integer results (pivots, info, rank) travel as exact floats and are cast.
A failure that torch reports (a matrix not positive-definite, a singular one) is raised by
the step as LinAlgError, while the schedule runs; the functions that raise realize their
result at once, so the error comes from the call, as torch's does.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import DTypeError, LinAlgError
from lazygrad.ir.gradient import has_gradient_path
from lazygrad.ir.host_step import HostStep, host_node
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op

__all__ = ["LinAlgError", "as_output", "check_matrix", "host_call", "writes_out"]


class NumpyStep(HostStep):
    """numpy's `fn(*arrays) -> tuple of arrays` on the inputs' values, shaped as the inputs;
    the results are written flat, one after the other, into the node's buffer."""

    def __init__(self, name: str, fn: Callable, in_shapes: Sequence[tuple], out_shapes: Sequence[tuple],
                 key: tuple) -> None:
        super().__init__()
        self.name, self.fn = name, fn
        self.in_shapes, self.out_shapes = [tuple(s) for s in in_shapes], [tuple(s) for s in out_shapes]
        self.key = ("numpy", name, key, tuple(self.in_shapes))

    def start(self, out, inputs: list):
        arrays = [b.numpy()[:n].reshape(shape).astype(np.float64)
                  for b, n, shape in zip(inputs, self.sizes, self.in_shapes)]
        results = self.fn(*arrays)
        flat = np.concatenate([np.asarray(r, np.float64).reshape(-1) for r in results]) if results else \
            np.zeros(0)
        if flat.size != self.size:
            raise RuntimeError(f"{self.name}: the host step made {flat.size} values, expected {self.size}")
        if out.size == self.size:
            out.copyin(flat)
        else:  # a jit replay's scratch buffer, larger than the value
            padded = np.zeros(out.size)
            padded[: self.size] = flat
            out.copyin(padded)
        return lambda: None


def host_call(name: str, fn: Callable, inputs: Sequence, out_shapes: Sequence[tuple], key: tuple = ()) -> list:
    """The results of fn on the inputs' values, as lazy tensors of out_shapes with the first
    input's dtype and device (computed in float64 on the host, rounded to that dtype)."""
    like = inputs[0]
    srcs = tuple(t.detach().contiguous().node for t in inputs)
    step = NumpyStep(name, fn, [t.shape for t in inputs], out_shapes, key)
    total = sum(math.prod(s) for s in out_shapes)
    flat = like._new(host_node(step, srcs, like.dtype, (total,), like.device))
    outs, at = [], 0
    for shape in out_shapes:
        n = math.prod(shape)
        outs.append(flat[at:at + n].reshape(shape))
        at += n
    return outs


def check_matrix(name: str, a, square: bool = False, what: str = "A") -> None:
    """torch's checks of a linalg input: at least 2 dims, float32 or float64, square if asked."""
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: {what} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if a.dtype not in (dtypes.float32, dtypes.float64):
        raise DTypeError(f"{name}: Expected a floating point or complex tensor as input. "
                         f"Got {dtypes.torch_name(a.dtype)}" if not a.dtype.is_float else
                         f"{name}: Low precision dtypes not supported. Got {dtypes.torch_name(a.dtype)}")


def batch_prefix(shape: tuple, index: int) -> str:
    """torch's '(Batch element i): ' for a failure in one matrix of a batch ('' for one matrix)."""
    return f"(Batch element {index}): " if len(shape) > 2 else ""


def raise_singular(name: str, shape: tuple, info: np.ndarray) -> None:
    """LinAlgError for the first matrix whose info (a zero pivot's 1-based order) is set."""
    flat = info.reshape(-1)
    bad = np.nonzero(flat)[0]
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(f"{name}: {batch_prefix(shape, i)}The diagonal element {int(flat[i])} is zero, "
                          "the inversion could not be completed because the input matrix is singular.")


def writes_out(fn: Callable) -> Callable:
    """torch's `out=`: the result (each of a tuple's) copied into the given tensors, which are
    returned (as the same named tuple)."""
    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{fn.__name__}(): argument 'out' must be a tuple of {len(result)} Tensors")
            for target, value in zip(out, result):
                target.copy_(value)
            return type(result)(*out)
        out.copy_(result)
        return out
    return call


def as_output(t):
    """For a tensor a Function's forward returned and saved: the tensor apply gave the caller
    (its path carrier, custom_function.py, found again by structure: nodes are hash-consed), so
    a backward computed from it is differentiable again (create_graph), as torch's saved
    outputs are. The forward's own tensor has no path to the inputs (a host step reads them
    detached); a tensor apply did not wire (non-differentiable) is returned as it is."""
    carrier = make(Op.DETACH, (t.node,), ("function", 0))
    return t._wrap(carrier, True) if has_gradient_path(carrier) else t
