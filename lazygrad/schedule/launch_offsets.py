"""Launch offsets: a kernel's fixed offsets into its buffers move from the kernel to its launch.

An RNN unrolled over T steps reads step t's slice of the input (and writes step t's gradient)
at offset t * row: T kernels that differ in one constant, each compiled on its own (999 steps:
minutes of compiling before the first step). Where every read of a parameter is at least
`o` elements into its buffer (flipped strides counted), the kernel reads it from `o` less and is launched with the
buffer's address moved `o` elements on: one kernel for every step, and the compiled-kernel
caches (keyed by the Kernel IR) find it. Only the bottom view's offset moves: it is added to
the address after every other index computation, so the rewrite changes no address.

Devices whose buffers can be addressed from an offset (host memory: c, python) take this;
others (an OpenCL buffer is an opaque handle) keep the offsets in the kernel.
"""
from __future__ import annotations

import dataclasses

from lazygrad.config import register_cache
from lazygrad.ir.node import Node, make, replace_srcs, toposort
from lazygrad.ir.ops import Op
from lazygrad.ir.view import ViewStack
from lazygrad.schedule import schedule_cache

ACCESSES = (Op.LOAD, Op.STORE)
# a switch more than a store: one compiled kernel serving every offset is what it caches; the
# remembered schedules hold its kernels, so switching it clears them
LAUNCH_OFFSETS = register_cache("launch-offsets", "one kernel for reads (and writes) at every offset into "
                                "a buffer: offsets passed at launch instead of compiled in",
                                "nothing of its own (clearing it clears the remembered schedules)",
                                schedule_cache.clear)


def _moved(vs: ViewStack, by: int) -> ViewStack:
    bottom = vs.views[0]
    return ViewStack((dataclasses.replace(bottom, offset=bottom.offset - by),) + vs.views[1:])


def _lowest_address(vs: ViewStack) -> int:
    """No access through vs is below this element (a flipped dim's stride is negative: its
    reads go down from the offset). Each index into the bottom view's dims is in [0, d)."""
    bottom = vs.views[0]
    return bottom.offset + sum(min(0, (d - 1) * st) for d, st in zip(bottom.shape, bottom.strides))


def move_offsets_to_launch(ast: Node) -> tuple[Node, tuple[int, ...]]:
    """(the kernel with its offsets taken out, each parameter's offset in bytes; () if none):
    parameter 0 is the output."""
    nodes = toposort([ast])
    lowest: dict[int, int] = {}
    itemsize: dict[int, int] = {}
    for n in nodes:
        if n.op in ACCESSES:
            param, vs = n.arg
            low = _lowest_address(vs)
            lowest[param] = min(lowest.get(param, low), low)
            itemsize[param] = (n.srcs[0] if n.op is Op.STORE else n).dtype.itemsize
    moved = {p: off for p, off in lowest.items() if off > 0}
    if not moved:
        return ast, ()
    new: dict[Node, Node] = {}
    for n in nodes:
        if n.op is Op.LOAD and n.arg[0] in moved:
            param, vs = n.arg
            new[n] = make(Op.LOAD, (), (param, _moved(vs, moved[param])), n.dtype, n.shape, n.device, n.loc)
        elif n.op is Op.STORE and n.arg[0] in moved:
            param, vs = n.arg
            new[n] = make(Op.STORE, tuple(new[s] for s in n.srcs), (param, _moved(vs, moved[param])), loc=n.loc)
        else:
            new[n] = replace_srcs(n, tuple(new[s] for s in n.srcs))
    offsets = tuple(moved.get(p, 0) * itemsize.get(p, 0) for p in range(max(lowest) + 1))
    return new[ast], offsets
