"""Run under mpiexec -n 2 with argv[1] = "exit" (rank 1 dies), "exit-p2p" (rank 1 dies; rank 0
waits in a recv from it), "kill" (rank 1 kills itself with
SIGKILL), "raise" (an uncaught exception on rank 1), "hang" (rank 1 never joins) or "hang-ddp"
(rank 1 never joins a DistributedDataParallel backward of 4 buckets)."""
import os
import signal
import sys
import time
from datetime import timedelta

import lazygrad as lg
import lazygrad.distributed as dist
from lazygrad import nn
from lazygrad.nn.parallel import DistributedDataParallel

dist.init_process_group("mpi", timeout=timedelta(seconds=float(sys.argv[2]) if len(sys.argv) > 2 else 2))
t = lg.ones(4)
dist.all_reduce(t)  # everyone joins once: a working job
if dist.get_rank() == 1:
    if sys.argv[1].startswith("exit"):
        os._exit(7)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if sys.argv[1] == "raise":
        raise ValueError("a bug on rank 1")
    time.sleep(60)
start = time.monotonic()
try:
    if sys.argv[1] == "hang-ddp":
        model = DistributedDataParallel(nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4)), bucket_cap_mb=1e-5,
                                        init_sync=False)
        assert len(model._buckets) == 4
        model(lg.ones(2, 4)).sum().backward()
    elif sys.argv[1] == "exit-p2p":
        dist.recv(t, src=1)
    else:
        dist.all_reduce(t)
except dist.DistBackendError as e:
    print(f"raised after {time.monotonic() - start:.1f}s: {e}", flush=True)
    raise
print("no error", flush=True)
