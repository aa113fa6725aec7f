"""Run under mpiexec -n N: DistributedDataParallel against one process on the global batch."""
import sys

import numpy as np

import lazygrad as lg
import lazygrad.distributed as dist
import lazygrad.nn.functional as F
from lazygrad import nn, optim
from lazygrad.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
B, K = 8, 3
data = np.random.default_rng(0)
X = data.standard_normal((K, 2, B, 6)).astype(np.float32)
Y = data.integers(0, 3, (K, 2, B))


def model():
    lg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def fail(what):
    sys.exit(f"rank {r}: {what}")


def params_equal_everywhere(m, what):
    flat = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    rows = [None] * n
    dist.all_gather_object(rows, flat.tobytes())
    if any(x != rows[0] for x in rows):
        fail(f"{what}: parameters differ between ranks")


for accumulate in (False, True):
    ref, mine = model(), model()
    if r != 0:  # DDP starts every rank from rank 0's parameters
        with lg.no_grad():
            for p in mine.parameters():
                p.add_(1.0)
    ddp = DDP(mine, bucket_cap_mb=0.0005)  # tiny buckets: several all-reduces a step
    assert len(ddp._buckets) > 1
    o_ref, o_ddp = optim.SGD(ref.parameters(), lr=0.1), optim.SGD(ddp.parameters(), lr=0.1)
    lo, hi = r * B // n, (r + 1) * B // n
    for k in range(K):
        o_ref.zero_grad()
        o_ddp.zero_grad()
        for m in range(2 if accumulate else 1):
            F.cross_entropy(ref(lg.tensor(X[k, m])), lg.tensor(Y[k, m])).backward()
            loss = F.cross_entropy(ddp(lg.tensor(X[k, m, lo:hi])), lg.tensor(Y[k, m, lo:hi]))
            if accumulate and m == 0:
                with ddp.no_sync():
                    loss.backward()
            else:
                loss.backward()
        o_ref.step()
        o_ddp.step()
    for (name, a), b in zip(ref.named_parameters(), ddp.module.parameters()):
        if not np.allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6):
            fail(f"accumulate={accumulate}: {name} differs from one process on the global batch")
    params_equal_everywhere(ddp, f"accumulate={accumulate}")
assert list(ddp.state_dict())[:2] == ["module.0.weight", "module.0.bias"], list(ddp.state_dict())

# buffers come from rank 0 at construction and before each training forward
bn = nn.BatchNorm1d(6)
with lg.no_grad():
    bn.running_mean.add_(float(r))
wrapped = DDP(bn)
if not np.array_equal(bn.running_mean.numpy(), np.zeros(6, np.float32)):
    fail("buffers were not broadcast from rank 0")
with lg.no_grad():
    bn.running_var.add_(float(r))
wrapped(lg.tensor(X[0, 0]))
# rank 0's running_var (1) went into every rank's forward: all update it alike from their batch
rows = [None] * n
dist.all_gather_object(rows, bn.running_var.numpy().tobytes())
if any(x != rows[0] for x in rows):
    fail("buffers were not broadcast before the forward")


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.never = nn.Linear(4, 2), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x, use_b):
        return self.a(x) + (self.b(x) if use_b else 0)


lg.manual_seed(1)
net = DDP(Branchy(), find_unused_parameters=True)
x = lg.ones(3, 4) * (r + 1)
net(x, use_b=(r == 0)).sum().backward()
if net.module.never.weight.grad is not None:
    fail("a parameter no rank used got a gradient")
want_b = np.full((2, 4), 3.0 / n)  # only rank 0 used b: its gradient (3 rows of ones), averaged
if not np.allclose(net.module.b.weight.grad.numpy(), want_b):
    fail(f"locally unused parameter: {net.module.b.weight.grad.numpy()}")
want_a = np.full((2, 4), 3.0 * sum(q + 1 for q in range(n)) / n)
if not np.allclose(net.module.a.weight.grad.numpy(), want_a):
    fail("used parameter")
strict = DDP(Branchy())
try:
    strict(x, use_b=False).sum().backward()
    fail("an unused parameter without find_unused_parameters did not raise")
except RuntimeError as e:
    if "find_unused_parameters=True" not in str(e) or "b.weight" not in str(e):
        raise
print(f"ok {r}", flush=True)
