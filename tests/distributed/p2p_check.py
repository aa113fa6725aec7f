"""Run under mpiexec -n N (N >= 2): send/recv are deferred host steps of a schedule. Prints "ok <rank>"."""
import numpy as np

import lazygrad as lg
import lazygrad.distributed as dist
from lazygrad.engine.realize import observers

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
right, left = (r + 1) % n, (r - 1) % n

# a ring of isend then blocking recv, every dtype: the sends stay in flight while the recv waits
for dt in lg.dtypes.ALL_DTYPES:
    mine = (np.arange(6).reshape(2, 3) + r) % 2 if dt == lg.bool else np.arange(6).reshape(2, 3) + r
    got = lg.zeros(2, 3, dtype=dt)
    view = got[1]  # a view sees the received value (a new version of the storage)
    sw = dist.isend(lg.tensor(mine, dtype=dt), dst=right)
    assert dist.recv(got, src=left) == left
    sw.wait()
    want = (np.arange(6).reshape(2, 3) + left) % 2 if dt == lg.bool else np.arange(6).reshape(2, 3) + left
    np.testing.assert_array_equal(got.numpy().astype(np.float64), want.astype(np.float64), err_msg=dt.name)
    np.testing.assert_array_equal(view.numpy().astype(np.float64), want[1].astype(np.float64))

# the steps are in the schedule: the lazy input's kernel, then the send; the irecv alone
seen = []
x, got = lg.arange(4.0).realize(), lg.zeros(4).realize()
observers.append(lambda event, **info: seen.append([(k.kind, k.name) for k in info["schedule"].kernels])
                 if event == "schedule" else None)
rw = dist.irecv(got, src=left, tag=3)
before = got.numpy().copy()  # the tensor keeps its old value until wait()
sw = dist.isend(x * (r + 2), dst=right, tag=3)
observers.clear()
assert seen[0] == [("host", f"recv from rank {left} (tag 3) on ranks {list(range(n))}")], seen
assert [k for k, _ in seen[1]] == ["kernel", "host"] and seen[1][1][1].startswith(f"send to rank {right} (tag 3)"), seen
seen_later = []
rw.get_future().add_done_callback(lambda f: seen_later.append(f.value()[0].tolist()))
assert lg.futures.wait_all([rw.get_future(), sw.get_future()])[0][0] is got and rw.is_completed()
assert seen_later == [(np.arange(4.0) * (left + 2)).tolist()] and rw.result() == [got] and sw.wait()
assert before.tolist() == [0.0] * 4
np.testing.assert_array_equal(got.numpy(), np.arange(4.0) * (left + 2))

# batch_isend_irecv: both directions in one schedule; any source
a, b = lg.zeros(3), lg.zeros(3)
works = dist.batch_isend_irecv([dist.P2POp(dist.irecv, a, left), dist.P2POp(dist.irecv, b, right),
                                dist.P2POp(dist.isend, lg.full((3,), float(r)), right),
                                dist.P2POp(dist.isend, lg.full((3,), float(r) + 0.5), left)])
for w in works:
    w.wait()
np.testing.assert_array_equal(a.numpy(), np.full(3, float(left)))
np.testing.assert_array_equal(b.numpy(), np.full(3, right + 0.5))


# lg.jit records the steps and replays them (the ring with isend then irecv, waited inside)
@lg.jit
def ring(t):
    out = lg.zeros(t.shape)
    s = dist.isend(t * 2, dst=right)
    w = dist.irecv(out, src=left)
    w.wait()
    s.wait()
    return out + 1


for i in range(4):
    res = ring(lg.full((5,), float(r + 10 * i)))
    np.testing.assert_array_equal(res.numpy(), np.full(5, 2.0 * (left + 10 * i) + 1))
assert len(ring.plans) == 1

# a message of the wrong size raises at wait(), naming the sender or the operation
if n > 1 and r == 0:
    dist.send(lg.zeros(3), dst=1)
    dist.send(lg.zeros(5), dst=1)
elif r == 1:
    for size, said in ((3, "recv: expected 16 bytes for a tensor of shape (4,) (float32), rank 0 sent 12"),
                       (5, f"[rank 1] recv from rank 0 (tag 0) on ranks {list(range(n))} failed in MPI: Message truncated")):
        try:
            dist.recv(lg.zeros(4), src=0)
            raise SystemExit(f"a message of {size} floats was accepted into 4")
        except RuntimeError as e:
            assert said in str(e), e
dist.barrier()
print(f"ok {r}", flush=True)
