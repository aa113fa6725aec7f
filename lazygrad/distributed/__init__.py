"""lazygrad.distributed: torch.distributed's names on MPI (pip install 'lazygrad[distributed]').

Launch N processes with `python -m lazygrad.distributed.run -n N script.py`, `mpiexec -n N
python script.py` or `srun`; each calls init_process_group(). Importing this package does not
import mpi4py (init_process_group does), so `import lazygrad` needs no MPI. How collectives
run, what overlaps and what it costs: docs/distributed.md.
"""
from lazygrad import config
from lazygrad.distributed.collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    broadcast,
    reduce,
    reduce_scatter_tensor,
)
from lazygrad.distributed.group import (
    DistBackendError,
    DistError,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    new_group,
)
from lazygrad.distributed.p2p import P2POp, batch_isend_irecv, irecv, isend, recv, send
from lazygrad.distributed.rooted import (
    all_gather_object,
    barrier,
    broadcast_object_list,
    gather,
    monitored_barrier,
    scatter,
)
from lazygrad.distributed.work import Work

__all__ = [
    "DistBackendError", "DistError", "GroupMember", "P2POp", "ProcessGroup", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "batch_isend_irecv", "broadcast", "broadcast_object_list",
    "destroy_process_group", "gather", "get_backend", "get_global_rank", "get_group_rank",
    "get_process_group_ranks", "get_rank", "get_world_size", "init_process_group", "irecv", "is_available",
    "is_initialized", "is_mpi_available", "isend", "monitored_barrier", "new_group", "recv", "reduce",
    "reduce_scatter_tensor", "scatter", "send",
]

if config.settings.dist_run_dir:  # a rank lazygrad's launcher started: torchrun's variables, as
    from lazygrad.distributed.group import record_uncaught_errors  # torchrun gives its workers,
    from lazygrad.distributed.supervise import torch_variables  # and its error files
    config.export(torch_variables(config.environment()))
    record_uncaught_errors()
