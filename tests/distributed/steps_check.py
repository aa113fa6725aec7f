"""Run under mpiexec -n N: collectives are host steps of a schedule. Prints "ok <rank>"."""
import numpy as np

import lazygrad as lg
import lazygrad.distributed as dist
from lazygrad.engine.realize import observers
from lazygrad.errors import InplaceModifiedError

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
ranks = list(range(n))

# one schedule: the kernel computing the input, the MPI step, the kernel writing the average
seen = []
x = lg.arange(6.0).reshape(2, 3).realize()
observers.append(lambda event, **info: seen.append([(k.kind, k.name) for k in info["schedule"].kernels])
                 if event == "schedule" else None)
y = x * (r + 2)
dist.all_reduce(y, op=dist.ReduceOp.AVG)
observers.clear()
assert len(seen) == 1, seen
kinds = [kind for kind, _ in seen[0]]
assert kinds == ["kernel", "host", "kernel"], seen
assert seen[0][1][1] == f"all_reduce(AVG) on ranks {ranks}", seen
np.testing.assert_allclose(y.numpy(), np.arange(6.0).reshape(2, 3) * (n + 3) / 2)


# lg.jit records the MPI step and runs it again on every replay
@lg.jit
def step(t):
    u = t * 2
    dist.all_reduce(u)
    return u + 1


for i in range(4):
    out = step(lg.full((3,), float(r + i)))
    np.testing.assert_array_equal(out.numpy(), np.full(3, 2.0 * sum(q + i for q in range(n)) + 1))
assert len(step.plans) == 1

# the result is a new version of the tensor's storage: a backward that saved the old one raises
w = lg.tensor([1.0, 2.0], requires_grad=True)
t = lg.tensor([3.0, 4.0]).realize()
loss = (w * t).sum()
dist.all_reduce(t)
try:
    loss.backward()
    raise SystemExit("backward read the all-reduced tensor's old version")
except InplaceModifiedError:
    pass
print(f"ok {r}", flush=True)
