"""torch.nn.parallel.DistributedDataParallel on lazygrad.distributed (MPI).

What it does, as torch: parameters and buffers are broadcast from the group's first rank at
construction (so every rank starts equal); buffers again before each forward
(broadcast_buffers); after each backward every parameter's gradient is averaged over the
ranks, in buckets of bucket_cap_mb (parameters in reverse order, the first bucket 1 MB, as
torch's), so every rank's optimizer takes the same step and the parameters stay identical.

When: lazygrad's backward is a graph transformation that sets lazy `.grad`s and computes
nothing. DDP's hook (register_multi_grad_hook) runs when backward() has set the gradients: it
builds, per bucket, an all-reduce as a host step of the graph (distributed/steps.py) reading
the bucket's gradients, and the averages written into .grad, and realizes it all in one
schedule. The scheduler starts bucket k's all-reduce as soon as the kernels computing its
gradients have run, and computes the other gradients while it is in flight; one schedule
recomputes nothing (realizing bucket by bucket did: 2.5x the FLOPs with 12 buckets on a
6-layer MLP). What overlaps, and what it measured: docs/distributed.md.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from lazygrad.distributed.collectives import broadcast_pairs
from lazygrad.distributed.group import ReduceOp, _mpi, resolve
from lazygrad.distributed.host import refuse_in_jit
from lazygrad.distributed.reduce_ops import mpi_op, native
from lazygrad.distributed.steps import Collective, run_all
from lazygrad.distributed.work import Work
from lazygrad.frontend.grad_hooks import register_multi_grad_hook
from lazygrad.ir.host_step import host_node
from lazygrad.nn.modules.module import Module

FIRST_BUCKET_BYTES = 1 << 20  # torch's dist._DEFAULT_FIRST_BUCKET_BYTES: the first bucket starts early

_UNUSED = ("Expected to have finished reduction in the prior iteration before starting a new one. This error "
           "indicates that your module has parameters that were not used in producing loss. You can enable "
           "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
           "`torch.nn.parallel.DistributedDataParallel`. Parameters that did not receive a gradient on rank {rank}: "
           "{names}")


def buckets_of(params: list, cap_bytes: int) -> list[list[int]]:
    """Parameter indices in buckets: reverse order (the order backward makes them in torch),
    one dtype a bucket, each at most cap_bytes (the first FIRST_BUCKET_BYTES) unless one
    parameter alone is bigger."""
    buckets: list[list[int]] = []
    size, cap, dtype = 0, min(cap_bytes, FIRST_BUCKET_BYTES), None
    for i in reversed(range(len(params))):
        nbytes = params[i].numel() * params[i].dtype.itemsize
        if buckets and (size + nbytes > cap or params[i].dtype != dtype) and size > 0:
            buckets.append([])
            size, cap = 0, cap_bytes
        if not buckets:
            buckets.append([])
        buckets[-1].append(i)
        size, dtype = size + nbytes, params[i].dtype
    return buckets


class DistributedDataParallel(Module):
    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0, broadcast_buffers: bool = True,
                 init_sync: bool = True, process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **kwargs) -> None:
        super().__init__()
        self.module = module
        self.process_group = resolve(process_group)
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        # seconds in the gradient hook ("reduce": realizing the buckets, all-reducing, writing
        # back) and of that waiting for MPI after the last bucket started ("wait"); tools/bench_distributed.py
        object.__setattr__(self, "timing", {"reduce": 0.0, "wait": 0.0, "steps": 0})
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        object.__setattr__(self, "_names", [n for n, _ in named])
        object.__setattr__(self, "_params", [p for _, p in named])
        object.__setattr__(self, "_buckets", buckets_of(self._params, self.bucket_bytes_cap))
        object.__setattr__(self, "_buffers_to_sync", [b for _, b in module.named_buffers()])
        if init_sync:
            self._sync(list(module.parameters()) + self._buffers_to_sync)
        object.__setattr__(self, "_hook", register_multi_grad_hook(self._params, self._reduce_gradients))

    def _sync(self, tensors) -> None:
        """Every tensor from the group's first rank: one schedule, all broadcasts in flight together."""
        if self.process_group.size() > 1 and tensors:
            run_all([pair for t in tensors for pair in broadcast_pairs(t, self.process_group, 0)])

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.training:
            self._sync(self._buffers_to_sync)
        return self.module(*inputs, **kwargs)

    @contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside the block; the first backward after it all-reduces
        the accumulated gradients (torch's gradient accumulation)."""
        old, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def _reduce_gradients(self, grads: list) -> None:
        if not self.require_backward_grad_sync:
            return
        g = self.process_group
        began = time.perf_counter()
        used = np.array([x is not None for x in grads], np.int32)
        if not used.all() and not self.find_unused_parameters:
            names = ", ".join(n for n, u in zip(self._names, used) if not u)
            raise RuntimeError(_UNUSED.format(rank=g.rank(), names=names))
        everywhere = used
        if self.find_unused_parameters:  # which parameters some rank used (a small blocking all-reduce)
            refuse_in_jit("DistributedDataParallel(find_unused_parameters=True)'s exchange of used parameters")
            everywhere = np.empty_like(used)
            Work(g, "DistributedDataParallel used parameters", [g.comm.Iallreduce(used, everywhere, _mpi().MAX)]
                 ).wait()
        grads_now = [p.grad if used[i] else _zeros_like(p) for i, p in enumerate(self._params)]
        # one schedule: the backward's kernels, each bucket's all-reduce (a host step that starts
        # as soon as the kernels computing its gradients have run, while the others go on), and
        # the kernels writing the averages into .grad
        writes, steps = [], []
        for bucket in self._buckets:  # last layers first
            params = [self._params[i] for i in bucket]
            if not native(params[0].dtype):
                raise NotImplementedError(f"DistributedDataParallel: {params[0].dtype.name} gradients (float16 and "
                                          "bfloat16 have no MPI reduction here); use float32 parameters")
            total = sum(p.numel() for p in params)
            step = Collective(g, f"DDP bucket {len(steps)} all_reduce(SUM)", _bucket_launch(g, params[0].dtype))
            steps.append(step)
            srcs = tuple(grads_now[i].detach().node for i in bucket)  # (a transposed one is stored so)
            flat = params[0]._new(host_node(step, srcs, params[0].dtype, (total,), params[0].device))
            offset = 0
            for i, p in zip(bucket, params):
                value = flat[offset:offset + p.numel()].reshape(p.shape) / g.size()
                offset += p.numel()
                if not everywhere[i]:
                    continue  # no rank used it: its gradient stays as it was (torch)
                if p.grad is None:
                    p.grad = value.detach()
                    writes.append((None, p.grad))
                else:
                    writes.append((p.grad, value))
        run_all(writes)
        self.timing["wait"] += sum(step.waited for step in steps)
        self.timing["reduce"] += time.perf_counter() - began
        self.timing["steps"] += 1


def _zeros_like(p):
    """The gradient of a parameter this rank did not use: zeros (it still joins the all-reduce)."""
    return p.detach().mul(0)


def _bucket_launch(g, dtype):
    """A bucket's gradients, one host array (a copy unless one parameter), all-reduced into land."""
    def launch(send, land):
        words = send[0] if len(send) == 1 else np.concatenate(send)
        return [g.comm.Iallreduce(words, land, mpi_op(_mpi(), ReduceOp.SUM, dtype))], None
    return launch
