"""Run under MPICH's `mpiexec -disable-auto-cleanup -n 3` (the survivors run on after a death,
as under srun): every rank plays a host of its own (liveness.this_host), so no rank can look at
another's process and only the roll call (roll_call.py) can say who is missing. Rank 1 exits
after the first all_reduce; rank 2 calls broadcast instead of the second all_reduce; rank 0
times out (2 s) in the all_reduce and says who waits in what (on stdout)."""
import os
import time

from mpi4py import MPI

from lazygrad.distributed import liveness

liveness.this_host = lambda: f"node{MPI.COMM_WORLD.Get_rank()}"

from datetime import timedelta

import lazygrad as lg
import lazygrad.distributed as dist

dist.init_process_group("mpi", timeout=timedelta(seconds=2 if MPI.COMM_WORLD.Get_rank() == 0 else 30))
t = lg.ones(4)
dist.all_reduce(t)  # everyone joins once: a working job
if dist.get_rank() == 1:
    os._exit(7)
try:
    if dist.get_rank() == 2:
        dist.broadcast(t, src=0)
    else:
        dist.all_reduce(t)
except dist.DistBackendError as e:  # (said on stdout and given time: aborting the job may cut stderr short)
    print(f"raised: {e}", flush=True)
    time.sleep(0.5)
    raise
print("no error", flush=True)
