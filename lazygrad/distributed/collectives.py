"""torch.distributed's collectives on MPI: all_reduce, broadcast, all_gather(_into_tensor),
reduce_scatter_tensor, reduce, gather, scatter, barrier.

Each one realizes its inputs, gives MPI their bytes (host.py: no copy on a host device),
starts the MPI nonblocking call and returns a Work (work.py); when it completes, the results
are written into the output tensors as new versions of their storage (assign, as copy_), so
in-place semantics, views and autograd's version checks hold as for any in-place write. Data
that only moves travels as raw bytes (any dtype); reductions see typed values (reduce_ops.py).
A rank outside `group` returns None at once, as torch's non-members do.
"""
from __future__ import annotations

import numpy as np

from lazygrad.distributed import checks
from lazygrad.distributed.group import ProcessGroup, ReduceOp, _mpi, resolve
from lazygrad.distributed.host import Landing, check_tensor, send_array, write_back
from lazygrad.distributed.reduce_ops import check_op, fold, mpi_op, native, typed
from lazygrad.distributed.work import start
from lazygrad.errors import ShapeError


def _group(group: ProcessGroup | None) -> ProcessGroup | None:
    g = resolve(group)
    return g if g.comm is not None else None


def _sig(*tensors) -> tuple:
    return tuple((tuple(t.shape), t.dtype.name) for t in tensors)


def _root(g: ProcessGroup, rank, group_rank, what: str) -> int:
    if group_rank is not None:
        return int(group_rank)
    if rank is None:
        raise ValueError(f"{what}: give the global rank (src/dst) or group_src/group_dst")
    return g.group_rank(int(rank), what)


def _reduced(g, words: np.ndarray, op: ReduceOp, dtype, what: str, land: Landing, keep: list):
    """Start an all-reduce of words into land.words; returns (requests, fold-after) ."""
    MPI = _mpi()
    if native(dtype):
        return [g.comm.Iallreduce(typed(words, dtype), typed(land.words, dtype), mpi_op(MPI, op, dtype))], None
    rows = np.empty((g.size(), words.size), words.dtype)
    keep.append(rows)
    req = g.comm.Iallgather(words.view(np.uint8), rows.view(np.uint8))
    return [req], lambda: land.words.__setitem__(slice(None), fold(rows, op, dtype))


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False):
    """In place on tensor, as torch: every rank ends with the reduction of all ranks' values."""
    check_tensor(tensor, "all_reduce")
    g = _group(group)
    if g is None:
        return None
    check_op(op, tensor.dtype, "all_reduce")
    checks.check_same(g, f"all_reduce({op.name})", _sig(tensor))
    keep: list = []
    words = send_array(tensor, keep)
    land = Landing(tensor.device, tensor.dtype, words.size)
    requests, after = _reduced(g, words, op, tensor.dtype, "all_reduce", land, keep)

    def finish():
        if after:
            after()
        value = land.tensor(tensor, tensor.shape)
        if op is ReduceOp.AVG and native(tensor.dtype):
            value = value / g.size()
        write_back([(tensor, value)])
    return start(g, "all_reduce", requests, finish, (keep, land), async_op)


def broadcast(tensor, src: int | None = None, group: ProcessGroup | None = None, async_op: bool = False,
              group_src: int | None = None):
    check_tensor(tensor, "broadcast")
    g = _group(group)
    if g is None:
        return None
    root = _root(g, src, group_src, "broadcast")
    checks.check_same(g, f"broadcast(src={root})", _sig(tensor))
    keep: list = []
    if g.rank() == root:
        words = send_array(tensor, keep)
        return start(g, "broadcast", [g.comm.Ibcast(words.view(np.uint8), root)], None, keep, async_op)
    land = Landing(tensor.device, tensor.dtype, tensor.numel())
    req = g.comm.Ibcast(land.words.view(np.uint8), root)
    return start(g, "broadcast", [req], lambda: write_back([(tensor, land.tensor(tensor, tensor.shape))]),
                 land, async_op)


def _check_like(t, like, what: str) -> None:
    if t.dtype != like.dtype:
        raise TypeError(f"{what}: tensors must have the same dtype, got {t.dtype.name} and {like.dtype.name}")
    if t.device != like.device:
        raise ValueError(f"{what}: tensors must be on the same device, got {t.device} and {like.device}")


def all_gather(tensor_list: list, tensor, group: ProcessGroup | None = None, async_op: bool = False):
    """tensor_list[r] takes rank r's tensor."""
    check_tensor(tensor, "all_gather")
    g = _group(group)
    if g is None:
        return None
    if len(tensor_list) != g.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors; the group has {g.size()} ranks")
    for t in tensor_list:
        check_tensor(t, "all_gather")
        _check_like(t, tensor, "all_gather")
        if t.numel() != tensor.numel():
            raise ShapeError(f"all_gather: output of shape {tuple(t.shape)} cannot hold the input of shape "
                             f"{tuple(tensor.shape)}")
    checks.check_same(g, "all_gather", _sig(tensor))
    keep: list = []
    words = send_array(tensor, keep)
    land = Landing(tensor.device, tensor.dtype, words.size * g.size())
    req = g.comm.Iallgather(words.view(np.uint8), land.words.view(np.uint8))

    def finish():
        rows = land.tensor(tensor, (g.size(), tensor.numel()))
        write_back((t, rows[i].reshape(t.shape)) for i, t in enumerate(tensor_list))
    return start(g, "all_gather", [req], finish, (keep, land), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group: ProcessGroup | None = None, async_op: bool = False):
    """output (world*n, ...) or (world, n, ...) takes every rank's input, in rank order."""
    check_tensor(output_tensor, "all_gather_into_tensor")
    check_tensor(input_tensor, "all_gather_into_tensor")
    g = _group(group)
    if g is None:
        return None
    _check_like(output_tensor, input_tensor, "all_gather_into_tensor")
    if output_tensor.numel() != input_tensor.numel() * g.size():
        raise ValueError(f"all_gather_into_tensor: output tensor size must be equal to world_size times input tensor "
                         f"size: output {tuple(output_tensor.shape)}, input {tuple(input_tensor.shape)}, "
                         f"world size {g.size()}")
    checks.check_same(g, "all_gather_into_tensor", _sig(input_tensor, output_tensor))
    keep: list = []
    words = send_array(input_tensor, keep)
    land = Landing(output_tensor.device, output_tensor.dtype, output_tensor.numel())
    req = g.comm.Iallgather(words.view(np.uint8), land.words.view(np.uint8))
    return start(g, "all_gather_into_tensor", [req],
                 lambda: write_back([(output_tensor, land.tensor(output_tensor, output_tensor.shape))]),
                 (keep, land), async_op)


def reduce_scatter_tensor(output, input, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
                          async_op: bool = False):
    """Reduce input over ranks, then rank r keeps the r-th of world equal chunks of it."""
    check_tensor(output, "reduce_scatter_tensor")
    check_tensor(input, "reduce_scatter_tensor")
    g = _group(group)
    if g is None:
        return None
    _check_like(output, input, "reduce_scatter_tensor")
    check_op(op, input.dtype, "reduce_scatter_tensor")
    if input.numel() != output.numel() * g.size():
        raise ValueError(f"reduce_scatter_tensor: input tensor must be the same size as output size times world "
                         f"size: input {tuple(input.shape)}, output {tuple(output.shape)}, world size {g.size()}")
    checks.check_same(g, f"reduce_scatter_tensor({op.name})", _sig(input, output))
    MPI, keep = _mpi(), []
    words = send_array(input, keep)
    land = Landing(output.device, output.dtype, output.numel())
    if native(input.dtype):
        requests = [g.comm.Ireduce_scatter_block(typed(words, input.dtype), typed(land.words, input.dtype),
                                                 mpi_op(MPI, op, input.dtype))]
        after = None
    else:
        whole = Landing(input.device, input.dtype, input.numel())
        requests, fold_all = _reduced(g, words, op, input.dtype, "reduce_scatter_tensor", whole, keep)
        n, r = output.numel(), g.rank()

        def after():
            fold_all()
            land.words[:] = whole.words[r * n:(r + 1) * n]

    def finish():
        if after:
            after()
        value = land.tensor(output, output.shape)
        if op is ReduceOp.AVG and native(input.dtype):
            value = value / g.size()
        write_back([(output, value)])
    return start(g, "reduce_scatter_tensor", requests, finish, (keep, land), async_op)


def reduce(tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
           async_op: bool = False, group_dst: int | None = None):
    """Like all_reduce, but only dst's tensor takes the result (here: all-reduced, then kept by dst)."""
    check_tensor(tensor, "reduce")
    g = _group(group)
    if g is None:
        return None
    root = _root(g, dst, group_dst, "reduce")
    check_op(op, tensor.dtype, "reduce")
    checks.check_same(g, f"reduce({op.name}, dst={root})", _sig(tensor))
    keep: list = []
    words = send_array(tensor, keep)
    land = Landing(tensor.device, tensor.dtype, words.size)
    requests, after = _reduced(g, words, op, tensor.dtype, "reduce", land, keep)

    def finish():
        if g.rank() != root:
            return
        if after:
            after()
        value = land.tensor(tensor, tensor.shape)
        write_back([(tensor, value / g.size() if op is ReduceOp.AVG and native(tensor.dtype) else value)])
    return start(g, "reduce", requests, finish, (keep, land), async_op)
