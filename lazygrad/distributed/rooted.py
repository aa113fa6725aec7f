"""gather, scatter (one root), barrier, and the object collectives (pickled Python objects, as
torch's all_gather_object and broadcast_object_list).

gather and scatter are host steps of a schedule, as collectives.py's (send/recv: p2p.py). barrier
and the object collectives move no tensor: they call MPI directly."""
from __future__ import annotations

import numpy as np

from lazygrad.distributed import checks
from lazygrad.distributed.collectives import _check_like, _done, _group, _root, _sig
from lazygrad.distributed.group import ProcessGroup, resolve
from lazygrad.distributed.host import check_tensor
from lazygrad.distributed.steps import run
from lazygrad.distributed.work import start


def gather(tensor, gather_list: list | None = None, dst: int | None = None, group: ProcessGroup | None = None,
           async_op: bool = False, group_dst: int | None = None):
    """dst's gather_list[r] takes rank r's tensor; the other ranks give no list. (A host step
    of a schedule, as collectives.py's.)"""
    check_tensor(tensor, "gather")
    g = _group(group)
    if g is None:
        return None
    root = _root(g, 0 if dst is None and group_dst is None else dst, group_dst, "gather")
    mine = g.rank() == root
    if mine and (gather_list is None or len(gather_list) != g.size()):
        raise ValueError(f"gather: the destination rank needs a gather_list of {g.size()} tensors")
    if not mine and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    for t in gather_list or ():
        _check_like(t, tensor, "gather")
    checks.check_same(g, f"gather(dst={root})", _sig(tensor))

    def launch(send, land):
        return [g.comm.Igather(send[0].view(np.uint8), land.view(np.uint8) if mine else None, root)], None

    def writes(value):
        if not mine:
            return []
        rows = value.reshape(g.size(), tensor.numel())
        return [(t, rows[i].reshape(t.shape)) for i, t in enumerate(gather_list)]
    run(g, f"gather(dst={g.ranks[root]})", launch, [tensor], tensor, ((g.size() if mine else 1) * tensor.numel(),),
        writes)
    return _done(g, "gather", async_op, list(gather_list or ()))


def scatter(tensor, scatter_list: list | None = None, src: int | None = None, group: ProcessGroup | None = None,
            async_op: bool = False, group_src: int | None = None):
    """Rank r's tensor takes src's scatter_list[r]."""
    check_tensor(tensor, "scatter")
    g = _group(group)
    if g is None:
        return None
    root = _root(g, 0 if src is None and group_src is None else src, group_src, "scatter")
    mine = g.rank() == root
    if mine and (scatter_list is None or len(scatter_list) != g.size()):
        raise ValueError(f"scatter: the source rank needs a scatter_list of {g.size()} tensors")
    if not mine and scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    for t in scatter_list or ():
        _check_like(t, tensor, "scatter")
        if t.numel() != tensor.numel():
            raise ValueError(f"scatter: scatter_list tensors of shape {tuple(t.shape)} do not fit the output "
                             f"of shape {tuple(tensor.shape)}")
    checks.check_same(g, f"scatter(src={root})", _sig(tensor))

    def launch(send, land):  # (the source's list, its rows in one host array)
        rows = np.concatenate(send) if mine else None
        return [g.comm.Iscatter(rows.view(np.uint8) if mine else None, land.view(np.uint8), root)], None
    run(g, f"scatter(src={g.ranks[root]})", launch, list(scatter_list) if mine else [], tensor, tensor.shape,
        lambda value: [(tensor, value)])
    return _done(g, "scatter", async_op, [tensor])


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids=None, timeout=None):
    g = _group(group)
    if g is None:
        return None
    work = start(g, "barrier", [g.comm.Ibarrier()], None, (), async_op=True)
    return work if async_op else work.wait(timeout)


def all_gather_object(object_list: list, obj, group: ProcessGroup | None = None) -> None:
    """object_list[r] becomes rank r's obj (pickled)."""
    g = _group(group)
    if g is None:
        return
    if len(object_list) != g.size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries; the group has {g.size()}")
    object_list[:] = g.comm.allgather(obj)


def broadcast_object_list(object_list: list, src: int | None = None, group: ProcessGroup | None = None,
                          device=None, group_src: int | None = None) -> None:
    g = _group(group)
    if g is None:
        return
    root = _root(g, 0 if src is None and group_src is None else src, group_src, "broadcast_object_list")
    object_list[:] = g.comm.bcast(list(object_list), root)


def monitored_barrier(group: ProcessGroup | None = None, timeout=None, wait_all_ranks: bool = False) -> None:
    resolve(group)
    barrier(group, timeout=timeout)
