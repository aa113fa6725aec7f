"""Run under mpiexec -n N: DistributedDataParallel's bucket all-reduces are host steps of the
backward's own schedule: bucket k's starts as soon as its gradients are computed, later
gradients are computed while it is in flight, and nothing is computed twice; a training step
under lg.jit replays them and gives the same bits as without. Prints "ok <rank>"."""
import numpy as np

import lazygrad as lg
import lazygrad.distributed as dist
import lazygrad.nn.functional as F
from lazygrad import nn, optim
from lazygrad.engine.realize import observers
from lazygrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(r)
x, y = lg.tensor(rng.standard_normal((8, 32)).astype(np.float32)), lg.tensor(rng.integers(0, 4, 8))


def mlp():
    lg.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                         nn.Linear(64, 4))


# the same backward without DDP: how many kernels compute the gradients
plain = mlp()
F.cross_entropy(plain(x), y).backward()
counted = []
observers.append(lambda event, **info: counted.append(len(info["schedule"].kernels)) if event == "schedule" else None)
lg.realize(*[p.grad for p in plain.parameters()])
observers.clear()

ddp = DDP(mlp(), bucket_cap_mb=0.01)  # 10 KB buckets: 4 all-reduces a step
assert len(ddp._buckets) >= 3, ddp._buckets
events, schedules = [], []


def watch(event, **info):
    if event == "schedule":
        schedules.append([k.kind for k in info["schedule"].kernels])
    elif event in ("kernel_start", "kernel_done"):
        events.append((event, info["kernel"].kind, id(info["kernel"])))


loss = F.cross_entropy(ddp(x), y)
observers.append(watch)
loss.backward()  # DDP's hook realizes the gradients, the all-reduces and the averages: one schedule
observers.clear()
assert len(schedules) == 1, schedules
kinds = schedules[0]
hosts = [i for i, k in enumerate(kinds) if k == "host"]
assert len(hosts) == len(ddp._buckets), kinds
# no gradient computed twice: the kernels besides the steps and the writes of the averages are
# the plain backward's
writes = len(list(ddp.parameters()))
assert len(kinds) - len(hosts) - writes == counted[0], (kinds, counted)
# the first bucket's all-reduce starts before the last gradient kernels run, and completes
# after some of them ran
first = next(e for e in events if e[:2] == ("kernel_start", "host"))
started, done = events.index(first), events.index(("kernel_done", "host", first[2]))
assert any(kind == "kernel" and event == "kernel_done" for event, kind, _ in events[started:done]), events

# a DDP training step under lg.jit (the replays reuse scratch buffers bigger than a bucket)
X = rng.standard_normal((5, 8, 32)).astype(np.float32)
Y = rng.integers(0, 4, (5, 8))
trained = []
for jitted in (False, True):
    model = DDP(mlp(), bucket_cap_mb=0.01)
    opt = optim.SGD(model.parameters(), lr=0.1)

    def train_step(xb, yb):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    f = lg.jit(train_step) if jitted else train_step
    for k in range(5):
        f(lg.tensor(X[k]), lg.tensor(Y[k]))
    trained.append(np.concatenate([p.detach().numpy().ravel() for p in model.parameters()]))
assert np.array_equal(trained[0], trained[1]), np.abs(trained[0] - trained[1]).max()
print(f"ok {r}", flush=True)
