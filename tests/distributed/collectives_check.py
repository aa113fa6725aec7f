"""Run under mpiexec -n N: every collective, every dtype, against numpy. Prints "ok <rank> <checks>"."""
import sys

import numpy as np

import lazygrad as lg
import lazygrad.distributed as dist
from lazygrad.distributed import ReduceOp

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
DTYPES = [lg.bool, lg.uint8, lg.int8, lg.int16, lg.uint16, lg.int32, lg.uint32, lg.int64, lg.uint64, lg.float16,
          lg.bfloat16, lg.float32, lg.float64]  # every dtype lazygrad has (dtypes.ALL_DTYPES)
assert set(DTYPES) == set(lg.dtypes.ALL_DTYPES), 'a new dtype: add it here'
checks = 0


def base(rank, dtype, shape=(2, 3)):
    """Small exact values: every sum, product, min and max is exact in every dtype."""
    a = (np.arange(int(np.prod(shape))).reshape(shape) + rank) % 3 + (1 if dtype != lg.bool else 0)
    return a.astype(bool) if dtype == lg.bool else a


def expect(got, want, what):
    global checks
    checks += 1
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or not np.array_equal(got.astype(np.float64), want.astype(np.float64)):
        sys.exit(f"rank {r}: {what}: got {got.tolist()}, want {want.tolist()}")


everyone = np.stack([base(q, None) for q in range(n)]).astype(np.float64)
for dt in DTYPES:
    rows = np.stack([base(q, dt) for q in range(n)])
    ops = [ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT] + ([ReduceOp.AVG] if dt.is_float else [])
    for op in ops:
        t = lg.tensor(base(r, dt), dtype=dt)
        view = t[:, 1]  # a view sees the in-place result
        dist.all_reduce(t, op=op)
        if dt == lg.bool:
            want = rows.any(0) if op in (ReduceOp.SUM, ReduceOp.MAX) else rows.all(0)
        else:
            want = {ReduceOp.SUM: rows.sum(0), ReduceOp.MAX: rows.max(0), ReduceOp.MIN: rows.min(0),
                    ReduceOp.PRODUCT: rows.prod(0), ReduceOp.AVG: rows.astype(np.float64).mean(0)}[op]
        expect(t.numpy(), want, f"all_reduce {op.name} {dt.name}")
        expect(view.numpy(), want[:, 1], f"all_reduce {op.name} {dt.name} through a view")
    t = lg.tensor(base(r, dt), dtype=dt)
    dist.broadcast(t, src=n - 1)
    expect(t.numpy(), rows[n - 1], f"broadcast {dt.name}")
    out = [lg.zeros(2, 3, dtype=dt) for _ in range(n)]
    dist.all_gather(out, lg.tensor(base(r, dt), dtype=dt))
    expect(np.stack([o.numpy() for o in out]), rows, f"all_gather {dt.name}")
    big = lg.zeros(n * 2, 3, dtype=dt)
    dist.all_gather_into_tensor(big, lg.tensor(base(r, dt), dtype=dt))
    expect(big.numpy(), rows.reshape(n * 2, 3), f"all_gather_into_tensor {dt.name}")
    inp = np.concatenate([base(r + q, dt, (1, 3)) for q in range(n)])  # rank r's input: n rows
    allin = np.stack([np.concatenate([base(p + q, dt, (1, 3)) for q in range(n)]) for p in range(n)])
    o = lg.zeros(1, 3, dtype=dt)
    dist.reduce_scatter_tensor(o, lg.tensor(inp, dtype=dt), op=ReduceOp.MAX)
    expect(o.numpy(), allin.max(0)[r:r + 1], f"reduce_scatter_tensor MAX {dt.name}")
    gl = [lg.zeros(2, 3, dtype=dt) for _ in range(n)] if r == 0 else None
    dist.gather(lg.tensor(base(r, dt), dtype=dt), gl, dst=0)
    if r == 0:
        expect(np.stack([g.numpy() for g in gl]), rows, f"gather {dt.name}")
    s = lg.zeros(2, 3, dtype=dt)
    dist.scatter(s, [lg.tensor(base(q + 5, dt), dtype=dt) for q in range(n)] if r == 0 else None, src=0)
    expect(s.numpy(), base(r + 5, dt), f"scatter {dt.name}")

# float sums and AVG of non-integers, reduce_scatter SUM/AVG
x = lg.tensor(np.linspace(0, 1, 8, dtype=np.float32) * (r + 1))
dist.all_reduce(x)
expect(x.numpy(), sum(np.linspace(0, 1, 8, dtype=np.float32) * (q + 1) for q in range(n)), "float32 sum")
o = lg.zeros(2)
dist.reduce_scatter_tensor(o, lg.arange(2 * n).float() + r, op=ReduceOp.AVG)
expect(o.numpy(), (np.arange(2 * n, dtype=np.float32) + (n - 1) / 2)[2 * r:2 * r + 2], "reduce_scatter AVG")
t = lg.full((3,), float(r))
dist.reduce(t, dst=0)
expect(t.numpy(), np.full(3, sum(range(n))) if r == 0 else np.full(3, r), "reduce")
# async: the value lands at wait()
t = lg.full((4,), float(r + 1))
w = dist.all_reduce(t, async_op=True)
assert w.wait() is True and w.is_completed()
expect(t.numpy(), np.full(4, n * (n + 1) / 2), "async all_reduce")
# Work.result() and get_future(): the output tensors, as torch's (all_gather: its list; barrier: none)
t = lg.full((2,), float(r))
fut = dist.all_reduce(t, async_op=True).get_future()
doubled = fut.then(lambda f: f.value()[0] * 2)
assert fut.done() and fut.wait()[0] is t and len(fut.value()) == 1
expect(doubled.wait().numpy(), np.full(2, 2.0 * sum(range(n))), "a future's then() of all_reduce")
outs = [lg.zeros(2) for _ in range(n)]
w = dist.all_gather(outs, lg.full((2,), float(r)), async_op=True)
assert all(a is b for a, b in zip(w.result(), outs)) and all(a is b for a, b in zip(w.get_future().wait(), outs))
assert dist.barrier(async_op=True).get_future().wait() == []
assert [f.wait()[0].tolist() for f in lg.futures.collect_all(
    [dist.broadcast(lg.full((1,), float(r)), src=0, async_op=True).get_future()]).wait()] == [[0.0]]
# send / recv around a ring
if n > 1:
    got = lg.zeros(3, dtype=lg.int64)
    sw = dist.isend(lg.full((3,), r, dtype=lg.int64), dst=(r + 1) % n)
    sender = dist.recv(got, src=(r - 1) % n)
    sw.wait()
    expect(got.numpy(), np.full(3, (r - 1) % n), "send/recv")
    assert sender == (r - 1) % n, sender
# new_group: the even ranks only
evens = dist.new_group([q for q in range(n) if q % 2 == 0])
t = lg.full((2,), float(r))
res = dist.all_reduce(t, group=evens)
if r % 2 == 0:
    expect(t.numpy(), np.full(2, sum(q for q in range(n) if q % 2 == 0)), "new_group all_reduce")
    assert dist.get_rank(evens) == r // 2 and dist.get_world_size(evens) == (n + 1) // 2
else:
    assert res is None and dist.get_rank(evens) == -1
    expect(t.numpy(), np.full(2, float(r)), "non-member untouched")
# a non-contiguous input, the python device
whole = lg.arange(12.0).reshape(3, 4).realize()
column = whole[:, 1]  # a view: its storage is whole's, which sees the write (torch)
dist.all_reduce(column)
want = np.arange(12.0).reshape(3, 4)
want[:, 1] *= n
expect(whole.numpy(), want, "all_reduce into a view of a realized tensor")
t = lg.arange(6.0).reshape(2, 3).T + r
dist.all_reduce(t)
expect(t.numpy(), sum(np.arange(6.0).reshape(2, 3).T + q for q in range(n)), "transposed input")
p = lg.tensor(base(r, lg.float32).astype(np.float32), device="python")
dist.all_reduce(p, op=ReduceOp.MAX)
expect(p.numpy(), np.stack([base(q, lg.float32) for q in range(n)]).max(0), "python device")
assert p.device == "python"
if any(d.name == "opencl" and d.available for d in lg.devices()):  # staged through the host
    q = lg.tensor([1.0, 2.0], device="opencl") * (r + 1)
    dist.all_reduce(q)
    expect(q.numpy(), np.array([1.0, 2.0]) * n * (n + 1) / 2, "opencl device")
dist.barrier()
objs = [None] * n
dist.all_gather_object(objs, {"rank": r})
assert objs == [{"rank": q} for q in range(n)]
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"ok {r} {checks}", flush=True)
