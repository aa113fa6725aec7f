"""Process groups on MPI: the default group (MPI_COMM_WORLD) and new_group's subsets.

torch.distributed keeps one default process group per process; so does this module (its one
piece of process-wide state, as torch's). mpi4py is imported by init_process_group, never by
`import lazygrad`: a program that does not use distributed needs no MPI at all.

Ranks and sizes come from MPI (mpiexec, srun or `python -m lazygrad.distributed.run` start the
processes). torchrun's RANK and WORLD_SIZE, where set, must agree with MPI's: a disagreement
means two launchers disagree, and guessing which one is right would be a silent wrong answer.
"""
from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from enum import Enum
from traceback import format_exception
from typing import ClassVar

from lazygrad.config import settings
from lazygrad.distributed.abort import abort_job
from lazygrad.distributed.liveness import exchange
from lazygrad.distributed.roll_call import RollCall
from lazygrad.distributed.supervise import announce, record_error


class ReduceOp(Enum):
    """torch.distributed.ReduceOp: how all_reduce, reduce and reduce_scatter combine values."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self) -> str:
        return f"<RedOpType.{self.name}>"


class DistError(RuntimeError):
    """torch.distributed.DistError."""


class DistBackendError(DistError):
    """torch.distributed.DistBackendError: the backend failed (here: a peer did not answer in time)."""


class ProcessGroup:
    """A set of ranks with an MPI communicator; `ranks` are global ranks in group-rank order.
    A rank outside the group holds one too (comm None), as torch's non-members do."""

    def __init__(self, comm, ranks: list[int], timeout: timedelta, name: str, peers: list | None = None,
                 roll: RollCall | None = None) -> None:
        self.comm, self.ranks, self.timeout, self.name = comm, list(ranks), timeout, name
        self.failed = ""  # why it broke (a timeout, a dead peer): broken from then on (work.py)
        self.peers = peers or []  # every global rank's (host, pid): liveness.py names a dead one
        self.roll = roll  # the side channel a timed-out rank asks the others on (roll_call.py)
        self.started = 0  # operations with MPI traffic this rank started on the group (Work.seq)

    def rank(self) -> int:
        return self.comm.Get_rank() if self.comm is not None else -1

    def size(self) -> int:
        return len(self.ranks)

    def group_rank(self, global_rank: int, what: str) -> int:
        if global_rank not in self.ranks:
            raise ValueError(f"{what}: global rank {global_rank} is not part of group {self.ranks}")
        return self.ranks.index(global_rank)

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.name} ranks={self.ranks}>"


class _World:
    """The default group, once init_process_group ran (torch's _world)."""
    default: ProcessGroup | None = None
    excepthook = None  # sys.excepthook before init_process_group installed _abort_on_uncaught
    groups: ClassVar[list[ProcessGroup]] = []


GroupMember = _World  # torch.distributed.GroupMember.WORLD is the default group
_NOT_INIT = "Default process group has not been initialized, please make sure to call init_process_group."


def is_available() -> bool:
    """True when mpi4py is installed (`pip install lazygrad[distributed]`); does not import it."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    return _World.default is not None


def is_mpi_available() -> bool:
    return is_available()


def default_group() -> ProcessGroup:
    if _World.default is None:
        raise ValueError(_NOT_INIT)
    return _World.default


def resolve(group: ProcessGroup | None) -> ProcessGroup:
    return default_group() if group is None else group


def _mpi():
    if not is_available():
        raise RuntimeError("lazygrad.distributed needs mpi4py and an MPI library: "
                           "pip install 'lazygrad[distributed]' (mpi4py and the mpich wheel)")
    from mpi4py import MPI
    return MPI


def _default_timeout() -> timedelta:
    text = settings.dist_timeout.strip()
    try:
        seconds = float(text) if text else 1800.0
    except ValueError:
        raise ValueError(f"LAZYGRAD_DIST_TIMEOUT={text!r}: expected a number of seconds") from None
    return timedelta(seconds=seconds)


def _check_launcher(name: str, given: int, mpi_value: int) -> None:
    if given not in (-1, None) and int(given) != mpi_value:
        raise ValueError(f"init_process_group: {name}={given} but MPI says {mpi_value}: the processes were "
                         f"launched by MPI (mpiexec/srun), whose {name.lower()} is the one that holds")


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout: timedelta | None = None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the default process group: MPI_COMM_WORLD. backend "mpi" (None and "gloo" also run
    on MPI, so torch CPU programs run unchanged; "nccl" is not here). init_method and store are
    torchrun's rendezvous, which MPI's launcher has already done: they are accepted and unused."""
    if _World.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    if name not in ("mpi", "gloo", "cpu:gloo", "cpu:mpi"):
        raise ValueError(f"init_process_group: backend {backend!r} is not available in lazygrad; "
                         "use 'mpi' (lazygrad's collectives run on MPI)")
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    if settings.world_size.strip() not in ("", "1") and comm.Get_size() == 1:
        where = f" (MASTER_ADDR={settings.master_addr})" if settings.master_addr.strip() else ""
        raise ValueError(f"init_process_group: WORLD_SIZE={settings.world_size} but this process is an MPI world of "
                         f"one: it was started by torchrun or another launcher{where}, not by MPI. lazygrad's "
                         "collectives run on MPI: launch with python -m lazygrad.distributed.run -n N, mpiexec or srun")
    for var, given in (("RANK", settings.rank), ("WORLD_SIZE", settings.world_size)):
        if given.strip():
            value = comm.Get_rank() if var == "RANK" else comm.Get_size()
            _check_launcher(var, int(given), value)
    _check_launcher("RANK", rank, comm.Get_rank())
    _check_launcher("WORLD_SIZE", world_size, comm.Get_size())
    if settings.dist_run_dir.strip():  # under the launcher: its supervisor names this rank if it dies
        announce(settings.dist_run_dir, comm.Get_rank())
    comm = comm.Dup()  # our own context: a user's MPI traffic on COMM_WORLD never meets ours
    comm.Set_errhandler(MPI.ERRORS_RETURN)
    side = comm.Dup()  # (roll_call.py's own: its questions never match a collective's messages)
    _World.default = ProcessGroup(comm, list(range(comm.Get_size())), timeout or _default_timeout(),
                                  group_name or "default_pg", exchange(comm), RollCall(side, MPI))
    _World.groups = [_World.default]
    if sys.excepthook is not _record_uncaught:  # (that one, under the launcher, hands over)
        _World.excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught


def record_uncaught_errors() -> None:
    """Under the launcher, from import on: an uncaught exception is also written where the
    launcher prints it whole after the job. Ranks that fail together before
    init_process_group (a launcher check every rank makes) print their tracebacks at once,
    and mpiexec forwards them interleaved line by line; init_process_group's hook takes over."""
    if sys.excepthook is not _record_uncaught:
        _World.excepthook = sys.excepthook
        sys.excepthook = _record_uncaught


def _record_uncaught(kind, value, traceback) -> None:
    (_World.excepthook or sys.__excepthook__)(kind, value, traceback)
    MPI = sys.modules.get("mpi4py.MPI")  # (a rank that got as far as MPI knows its number)
    rank = MPI.COMM_WORLD.Get_rank() if MPI is not None and MPI.Is_initialized() and not MPI.Is_finalized() else "?"
    record_error(settings.dist_run_dir, rank, "".join(format_exception(kind, value, traceback)))


def _abort_on_uncaught(kind, value, traceback) -> None:
    """An uncaught exception on one rank ends the whole MPI job at once (as torchrun stops the
    other workers): otherwise this rank would wait in MPI_Finalize and the others in their next
    collective, until the timeout (30 minutes by default)."""
    (_World.excepthook or sys.__excepthook__)(kind, value, traceback)
    MPI = _mpi()
    rank = MPI.COMM_WORLD.Get_rank()
    said = (f"lazygrad.distributed: rank {rank} of {MPI.COMM_WORLD.Get_size()} failed ({kind.__name__}); "
            "aborting the MPI job so that the other ranks stop too\n")
    sys.stderr.write(said)
    if settings.dist_run_dir.strip():  # under the launcher: it prints this again after the job ends
        record_error(settings.dist_run_dir, rank, "".join(format_exception(kind, value, traceback)) + said)
    abort_job(MPI)  # (once mpiexec has read what this rank printed: an abort loses what is unread)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free a group's communicator; without a group, every group and the default one."""
    if group is None:
        if sys.excepthook is _abort_on_uncaught:
            sys.excepthook = _record_uncaught if settings.dist_run_dir.strip() else (
                _World.excepthook or sys.__excepthook__)
        for g in _World.groups:
            if g.comm is not None:
                g.comm.Free()
                g.comm = None
        if _World.default is not None and _World.default.roll is not None:
            _World.default.roll.comm.Free()
        _World.default, _World.groups = None, []
        return
    if group.comm is not None:
        group.comm.Free()
        group.comm = None
    _World.groups = [g for g in _World.groups if g is not group]


def new_group(ranks=None, timeout: timedelta | None = None, backend: str | None = None, pg_options=None,
              use_local_synchronization: bool = False, group_desc: str | None = None, device_id=None,
              sort_ranks: bool = True) -> ProcessGroup:
    """A group of some ranks. Every rank of the default group calls it, as in torch (MPI_Comm_create
    is collective over the parent); a rank outside gets a group whose collectives do nothing."""
    world = default_group()
    ranks = list(range(world.size())) if ranks is None else [int(r) for r in ranks]
    if sort_ranks:
        ranks = sorted(ranks)
    if len(set(ranks)) != len(ranks) or any(not 0 <= r < world.size() for r in ranks):
        raise ValueError(f"new_group: ranks {ranks} must be distinct ranks of the world (0..{world.size() - 1})")
    comm = world.comm.Create(world.comm.Get_group().Incl(ranks))
    comm = None if comm == _mpi().COMM_NULL else comm
    if comm is not None:
        comm.Set_errhandler(_mpi().ERRORS_RETURN)
    g = ProcessGroup(comm, ranks, timeout or world.timeout, group_desc or f"group{len(_World.groups)}", world.peers,
                     world.roll)
    _World.groups.append(g)
    return g


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in group (-1 when it is not a member), torch's get_rank."""
    return resolve(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    g = resolve(group)
    return g.size() if g.comm is not None else -1


def get_backend(group: ProcessGroup | None = None) -> str:
    resolve(group)
    return "mpi"


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    return resolve(group).ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    return resolve(group).group_rank(global_rank, "get_group_rank")


def get_process_group_ranks(group: ProcessGroup | None) -> list[int]:
    return list(resolve(group).ranks)
