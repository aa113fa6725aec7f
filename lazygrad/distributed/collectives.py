"""torch.distributed's collectives on MPI: all_reduce, broadcast, all_gather(_into_tensor),
reduce_scatter_tensor, reduce (gather and scatter: rooted.py).

Each one is a host step of a schedule (steps.py): the kernels computing its inputs, the MPI
call reading their buffers (host.py: no copy on a host device), and the kernels writing the
result into the output tensors as new versions of their storage (assign, as copy_), so
in-place semantics, views and autograd's version checks hold as for any in-place write. The
call runs that schedule at once (torch's order of collectives); async_op=True returns a Work
that has completed. Data that only moves travels as raw bytes (any dtype); reductions see
typed values (reduce_ops.py). A rank outside `group` returns None at once, as torch's
non-members do.
"""
from __future__ import annotations

import numpy as np

from lazygrad.distributed import checks
from lazygrad.distributed.group import ProcessGroup, ReduceOp, _mpi, resolve
from lazygrad.distributed.host import check_tensor
from lazygrad.distributed.reduce_ops import check_op, fold, mpi_op, native, typed
from lazygrad.distributed.steps import collective, completed, run, run_all
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


def _reduced(g, words: np.ndarray, op: ReduceOp, dtype, land: np.ndarray):
    """Start an all-reduce of words into land; returns (requests, what to run after)."""
    MPI = _mpi()
    if native(dtype):
        return [g.comm.Iallreduce(typed(words, dtype), typed(land, dtype), mpi_op(MPI, op, dtype))], None
    rows = np.empty((g.size(), words.size), words.dtype)
    req = g.comm.Iallgather(words.view(np.uint8), rows.view(np.uint8))
    return [req], lambda: land.__setitem__(slice(None), fold(rows, op, dtype))


def _averaged(value, op: ReduceOp, g: ProcessGroup):
    return value / g.size() if op is ReduceOp.AVG and native(value.dtype) else value


def _done(g: ProcessGroup, what: str, async_op: bool, outputs: list):
    return completed(g, what, outputs) if async_op else None


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None, async_op: bool = False):
    """In place on tensor, as torch: every rank ends with the reduction of all ranks' values."""
    check_tensor(tensor, "all_reduce")
    g = _group(group)
    if g is None:
        return None
    check_op(op, tensor.dtype, "all_reduce")
    checks.check_same(g, f"all_reduce({op.name})", _sig(tensor))
    run(g, f"all_reduce({op.name})", lambda send, land: _reduced(g, send[0], op, tensor.dtype, land), [tensor],
        tensor, tensor.shape, lambda value: [(tensor, _averaged(value, op, g))])
    return _done(g, "all_reduce", async_op, [tensor])


def broadcast(tensor, src: int | None = None, group: ProcessGroup | None = None, async_op: bool = False,
              group_src: int | None = None):
    check_tensor(tensor, "broadcast")
    g = _group(group)
    if g is None:
        return None
    root = _root(g, src, group_src, "broadcast")
    run_all(broadcast_pairs(tensor, g, root))
    return _done(g, "broadcast", async_op, [tensor])


def broadcast_pairs(tensor, g: ProcessGroup, root: int) -> list:
    """A broadcast from group rank root as graph ops (steps.collective), to run with others in
    one schedule (DistributedDataParallel's parameters and buffers)."""
    checks.check_same(g, f"broadcast(src={root})", _sig(tensor))
    mine = g.rank() == root

    def launch(send, land):  # the source sends its tensor (and keeps it); the others receive
        return [g.comm.Ibcast((send[0] if mine else land).view(np.uint8), root)], None
    return collective(g, f"broadcast(src={g.ranks[root]})", launch, [tensor] if mine else [], tensor, tensor.shape,
                      lambda value: [] if mine else [(tensor, value)])


def _check_like(t, like, what: str) -> None:
    if t.dtype != like.dtype:
        raise TypeError(f"{what}: tensors must have the same dtype, got {t.dtype.name} and {like.dtype.name}")
    if t.device != like.device:
        raise ValueError(f"{what}: tensors must be on the same device, got {t.device} and {like.device}")


def _gathered(g: ProcessGroup):
    def launch(send, land):
        return [g.comm.Iallgather(send[0].view(np.uint8), land.view(np.uint8))], None
    return launch


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

    def writes(value):
        rows = value.reshape(g.size(), tensor.numel())
        return [(t, rows[i].reshape(t.shape)) for i, t in enumerate(tensor_list)]
    run(g, "all_gather", _gathered(g), [tensor], tensor, (g.size() * tensor.numel(),), writes)
    return _done(g, "all_gather", async_op, list(tensor_list))


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
    run(g, "all_gather_into_tensor", _gathered(g), [input_tensor], output_tensor, output_tensor.shape,
        lambda value: [(output_tensor, value)])
    return _done(g, "all_gather_into_tensor", async_op, [output_tensor])


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
    dtype, n, r = input.dtype, output.numel(), g.rank()

    def launch(send, land):
        if native(dtype):
            return [g.comm.Ireduce_scatter_block(typed(send[0], dtype), typed(land, dtype),
                                                 mpi_op(_mpi(), op, dtype))], None
        whole = np.empty(send[0].size, send[0].dtype)  # (no MPI reduction: all of it folded here)
        requests, fold_all = _reduced(g, send[0], op, dtype, whole)

        def after():
            fold_all()
            land[:] = whole[r * n:(r + 1) * n]
        return requests, after
    run(g, f"reduce_scatter_tensor({op.name})", launch, [input], output, output.shape,
        lambda value: [(output, _averaged(value, op, g))])
    return _done(g, "reduce_scatter_tensor", async_op, [output])


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
    mine = g.rank() == root
    run(g, f"reduce({op.name}, dst={g.ranks[root]})", lambda send, land: _reduced(g, send[0], op, tensor.dtype, land),
        [tensor], tensor, tensor.shape, lambda value: [(tensor, _averaged(value, op, g))] if mine else [])
    return _done(g, "reduce", async_op, [tensor])
