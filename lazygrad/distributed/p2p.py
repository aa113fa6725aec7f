"""Point-to-point traffic as host steps of a schedule: isend, irecv, send, recv, P2POp and
batch_isend_irecv, with torch.distributed's names and semantics.

Each operation is a host step, as a collective is (steps.py): `isend(t)` builds host(t) whose
step hands t's buffer to MPI_Isend (no copy on a host device), `irecv(t)` builds host() whose
value MPI_Irecv receives into a fresh buffer; the debug listing shows the step among the
kernels (`send to rank 1 (tag 0) on ranks [0, 1]`) and lg.jit records and replays it. Unlike a
collective the step is deferred (ir/host_step.py): its schedule starts the MPI call and
returns with it in flight, and the Work returned completes it at wait(). Two reasons: a ring
of isend then recv deadlocks if each send waits for its receiver, and a large message moves
only once the receiver has posted its irecv, so both must be in flight while the program goes
on. At wait() the received value is written into the tensor with assign (a new version of its
storage, as copy_: views see it, autograd's version check holds); before that the tensor keeps
its old value. As in torch, an isend's tensor must not be written before wait().

send and recv are isend and irecv waited on at once. batch_isend_irecv starts all its
operations in one schedule, in list order.
"""
from __future__ import annotations

import numpy as np

from lazygrad.distributed.collectives import _group, _root
from lazygrad.distributed.group import ProcessGroup, _mpi
from lazygrad.distributed.host import check_tensor, write_back
from lazygrad.distributed.steps import Collective, StepWork, host_value
from lazygrad.dtypes import storage_np
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor_storage import realize


def _check_tag(tag: int, what: str) -> int:
    if not isinstance(tag, int) or tag < 0:
        raise ValueError(f"{what}: tag must be a non-negative int, got {tag!r}")
    return tag


def _send(g: ProcessGroup, tensor, peer: int, tag: int) -> tuple:
    """(the step's lazy value, its Work): the value is empty, the step only reads tensor."""
    def launch(send, land):
        return [g.comm.Isend(send[0].view(np.uint8), peer, tag)], None
    step = Collective(g, f"send to rank {g.ranks[peer]} (tag {tag})", launch, deferred=True)
    return host_value(step, [tensor], tensor, (0,)), StepWork(step, outputs=[tensor])


def _recv(g: ProcessGroup, tensor, peer: int, tag: int) -> tuple:
    """(the step's lazy value: the message, its Work): wait() writes it into tensor and returns
    the sender's global rank."""
    MPI = _mpi()
    status = MPI.Status()  # (filled when the receive completes: the sender and the byte count)
    nbytes = tensor.numel() * np.dtype(storage_np(tensor.dtype)).itemsize

    def launch(send, land):
        def check() -> None:
            got = status.Get_count(MPI.BYTE)
            if got != nbytes:
                raise RuntimeError(f"recv: expected {nbytes} bytes for a tensor of shape {tuple(tensor.shape)} "
                                   f"({tensor.dtype.name}), rank {g.ranks[status.Get_source()]} sent {got}")
        return [g.comm.Irecv(land.view(np.uint8), peer, tag)], check, [status]
    where = "any rank" if peer == MPI.ANY_SOURCE else f"rank {g.ranks[peer]}"
    step = Collective(g, f"recv from {where} (tag {tag})", launch, deferred=True)
    value = host_value(step, [], tensor, tuple(tensor.shape))

    def then() -> int:
        write_back([(tensor, value)])
        return g.ranks[status.Get_source()]
    return value, StepWork(step, then, outputs=[tensor])


def _start(started: list) -> list:
    """Start the steps of [(value, work)] in one schedule (in order); returns the works."""
    with no_grad():
        realize(*[value for value, _ in started])
    return [work for _, work in started]


def isend(tensor, dst: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
          group_dst: int | None = None):
    """Send tensor to dst (a global rank; group_dst: a rank in group); returns a Work."""
    check_tensor(tensor, "isend")
    g = _group(group)
    if g is None:
        return None
    return _start([_send(g, tensor, _root(g, dst, group_dst, "isend"), _check_tag(tag, "isend"))])[0]


def irecv(tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
          group_src: int | None = None):
    """Receive into tensor from src (None: any rank); the Work's wait() writes it, result() is
    [tensor]."""
    check_tensor(tensor, "irecv")
    g = _group(group)
    if g is None:
        return None
    peer = _mpi().ANY_SOURCE if src is None and group_src is None else _root(g, src, group_src, "irecv")
    return _start([_recv(g, tensor, peer, _check_tag(tag, "irecv"))])[0]


def send(tensor, dst: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
         group_dst: int | None = None) -> None:
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Returns the sender's global rank (-1 on a rank outside group), as torch."""
    work = irecv(tensor, src, group, tag, group_src)
    return -1 if work is None else work.returned()


class P2POp:
    """torch.distributed.P2POp: one isend or irecv for batch_isend_irecv."""

    def __init__(self, op, tensor, peer: int | None = None, group: ProcessGroup | None = None, tag: int = 0,
                 group_peer: int | None = None) -> None:
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        check_tensor(tensor, "P2POp")
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = op, tensor, peer, group, tag, group_peer

    def __repr__(self) -> str:
        return f"P2POp({self.op.__name__}, peer={self.peer}, tag={self.tag})"


def batch_isend_irecv(p2p_op_list: list) -> list:
    """Start every operation of the list (one schedule, in list order); returns their Works."""
    if not isinstance(p2p_op_list, list) or not p2p_op_list or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    if any(p.group is not p2p_op_list[0].group for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    g = _group(p2p_op_list[0].group)
    if g is None:
        return []
    started = []
    for p in p2p_op_list:
        what = p.op.__name__
        if p.op is isend:
            started.append(_send(g, p.tensor, _root(g, p.peer, p.group_peer, what), _check_tag(p.tag, what)))
        else:
            peer = _mpi().ANY_SOURCE if p.peer is None and p.group_peer is None else \
                _root(g, p.peer, p.group_peer, what)
            started.append(_recv(g, p.tensor, peer, _check_tag(p.tag, what)))
    return _start(started)
