"""Running a schedule: allocate outputs, lower, compile (cached), launch, count, print.

Results are cached on graph nodes (`node.realized`), so a node computed once is not computed
again while it lives. That is sound because a node is a value: its leaves are buffer
*versions* (runtime/buffer.py), and an in-place write makes a new version rather than
changing what an old node means. The one way a cached value can go is that its own storage
is written later (a tensor bound to it did `x += 1`): `cached` drops such an entry.
Reading a replaced version's contents raises (`check_current`).

A host step (Op.HOST, ir/host_step.py: a collective's MPI call) runs among the kernels: it
starts when its turn in the schedule comes, kernels that do not need it run meanwhile, and it
completes before the first kernel that reads its result or writes memory it reads (or at the
schedule's end; a deferred step, isend/irecv's, when the program waits for it).
"""
from __future__ import annotations

import math
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.lower import lower
from lazygrad.config import settings, values_fresh
from lazygrad.engine.graph_lock import one_thread_at_a_time
from lazygrad.engine.search import beam_width
from lazygrad.engine.search import choose as beam_choose
from lazygrad.errors import InplaceModifiedError, LazygradError
from lazygrad.ir.node import Node, base_of, make
from lazygrad.ir.ops import Op
from lazygrad.runtime.buffer import Buffer
from lazygrad.runtime.meta import META, is_meta
from lazygrad.runtime.registry import get_device
from lazygrad.schedule.lifetimes import released_after
from lazygrad.schedule.realize_rules import labelled
from lazygrad.schedule.schedule import Schedule, ScheduledKernel, create_schedule

_local = threading.local()  # lg.jit captures are per thread: another thread's kernels are not ours


def captures() -> list:
    """This thread's active lg.jit captures; each gets record(kernel, program, out, inputs)."""
    if not hasattr(_local, "captures"):
        _local.captures = []
    return _local.captures

# Observers: the hook the `lazygrad-ir` debug tool and lg.profiler use to see what runs. Each is called
#   observer("schedule", schedule=s)                          before a schedule's kernels run
#   observer("kernel_start", kernel=k, inputs=[Buffer, ...])  before each kernel runs
#   observer("kernel_done", kernel=k, seconds=t, nbytes=n, output=Buffer)  after it ran
#   observer("range_start" / "range_end", name=s, span=obj)   around a lg.profiler.record_function
# While the list is empty nothing is timed or called; append and remove your own callable.
observers: list[Callable[..., None]] = []


@dataclass
class Stats:
    kernels: int = 0
    flops: int = 0
    bytes: int = 0


class _StatsCounter:
    """`lg.stats()` returns the counts since `lg.stats.reset()`."""

    def __init__(self) -> None:
        self._stats = Stats()

    def __call__(self) -> Stats:  # a copy
        return Stats(self._stats.kernels, self._stats.flops, self._stats.bytes)

    def reset(self) -> None:
        self._stats = Stats()

    def add(self, kernels: int, flops: int, nbytes: int) -> None:
        self._stats.kernels += kernels
        self._stats.flops += flops
        self._stats.bytes += nbytes


stats = _StatsCounter()


def buffer_node(buf: Buffer, shape: tuple[int, ...], loc: str | None = None) -> Node:
    node = make(Op.BUFFER, (), buf.id, buf.dtype, tuple(shape), buf.device, loc)
    node.buffer = buf
    return node


def _buffer_of(node: Node) -> Buffer:
    return node.buffer if node.op is Op.BUFFER else node.realized.buffer


class _HostCopy:
    """A copy made outside a schedule, as jit records it (a step with no program)."""
    name = "copy"
    output = None
    ast = None
    flops = 0


def copy_buffer(src: Buffer) -> Buffer:
    """A new storage holding src's contents (recorded by lg.jit, so a replay copies too)."""
    out = Buffer(src.device, src.size, src.dtype)
    if not is_meta(src.device):  # (a meta buffer has no contents to copy)
        out.copyin(src.numpy())
    active = captures()
    if active:
        active[-1].record(_HostCopy, None, out, [src])
    return out


def cached(node: Node) -> Node | None:
    """The BUFFER node holding node's value from an earlier realize, or None. A cached value
    whose storage a tensor has since written in place is gone: dropped here, never read."""
    r = node.realized
    if r is not None and r.buffer.stale:
        node.realized = r = None
    return r


def check_current(nodes, where: Node) -> None:
    """Refuse to read a buffer version that an in-place write has replaced (torch's version
    counter check): its contents are gone, and guessing them would be a silent wrong answer."""
    for n in nodes:
        if n.op is Op.BUFFER and n.buffer is not None and n.buffer.stale:
            raise InplaceModifiedError(stale_message(n, where))


def stale_message(n: Node, where: Node) -> str:
    b = n.buffer
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{b.dtype.name}{list(n.shape)}] (made at {n.loc}) is at version "
            f"{b.storage.version}; expected version {b.version} instead. It is read by "
            f"{where.op.value} at {where.loc}; compute what needs it before the in-place write "
            f"(or write into a clone)")


def _notify(event: str, **info) -> None:
    for observer in list(observers):
        observer(event, **info)


def _print_schedule(schedule: Schedule) -> None:
    print(f"schedule: {len(schedule.kernels)} kernels", file=sys.stderr)
    for k in schedule.kernels:
        reason = labelled(schedule.why.get(k.target, ""))
        print(f"  {k.name:<28} <- {k.target.op.value} at {k.target.loc}  ({reason})", file=sys.stderr)


def start_host_step(k: ScheduledKernel, level: int, computed: dict) -> tuple[Buffer, Callable[[], None]]:
    """Start a host step (an MPI call) on its inputs' buffers; returns its output buffer and the
    function that completes it (waits). lg.jit records the step itself, to run it again."""
    target = k.target
    inputs = [computed[n].buffer if n in computed else _buffer_of(n) for n in k.inputs]
    if observers:
        _notify("kernel_start", kernel=k, inputs=inputs)
    out = Buffer(target.device, target.size, target.dtype)
    began = time.perf_counter()
    wait = target.arg.start(out, inputs)
    active = captures()
    if active:
        active[-1].record(k, target.arg, out, inputs)

    def finish() -> None:
        wait()
        seconds = time.perf_counter() - began
        nbytes = out.nbytes + sum(b.nbytes for b in inputs)
        if observers:
            _notify("kernel_done", kernel=k, seconds=seconds, nbytes=nbytes, output=out)
        if level >= 1:
            print(f"*** host    {k.name:<28} {seconds * 1e3:9.3f} ms  ({target.loc})", file=sys.stderr)
    return out, finish


def _due(k: ScheduledKernel, in_flight: dict) -> list:
    """The host steps in flight that kernel k must wait for: it reads one's result, or writes
    in place into memory one reads."""
    written = k.output.buffer.storage if k.output is not None else None
    return [s for s, (_, reads) in in_flight.items() if s.target in k.inputs or written in reads]


def run_kernel(k: ScheduledKernel, level: int, computed: dict | None = None) -> Buffer:
    """computed: results of earlier kernels of this schedule (an in-place write may have
    dropped their node caches already)."""
    target = k.target
    computed = computed or {}
    inputs = [computed[n].buffer if n in computed else _buffer_of(n) for n in k.inputs]
    if observers:
        _notify("kernel_start", kernel=k, inputs=inputs)
    if k.ast is None:  # copy between devices
        out = Buffer(target.device, inputs[0].size, target.dtype)
        out.copyin(inputs[0].numpy())
        stats.add(1, 0, out.nbytes)
        if observers:
            _notify("kernel_done", kernel=k, seconds=0.0, nbytes=out.nbytes, output=out)
        active = captures()
        if active:
            active[-1].record(k, None, out, inputs)
        return out
    device = get_device(target.device)
    try:
        width = beam_width()
        if width:
            size = k.output.buffer.size if k.output is not None else target.size
            loop_kernel, launch = beam_choose(k.ast, k.name, device, inputs, size, target.dtype, width)
            program, source = device.get_program(loop_kernel, launch)
        else:  # the source may come from memory or disk, with no lowering (see source_cache)
            source, loop_kernel = device.source_for(k.ast, k.name)
            program = device.program_for(k.name, source)
    except LazygradError as e:  # say which of the user's lines the failing kernel computes
        raise type(e)(f"{e}\n(while compiling kernel {k.name} for {target.op.value} at {target.loc})") from e
    program = device.at_offsets(program, k.offsets) if k.offsets else program
    if k.output is not None:
        out = k.output.buffer
    else:
        out = Buffer(target.device, target.size, target.dtype)
    seconds = program(out.handle, *(b.handle for b in inputs), timing=level >= 1 or bool(observers))
    active = captures()
    if active:
        active[-1].record(k, program, out, inputs)
    nbytes = out.nbytes + sum(b.nbytes for b in inputs)
    stats.add(1, k.flops, nbytes)
    if observers:
        _notify("kernel_done", kernel=k, seconds=seconds or 0.0, nbytes=nbytes, output=out)
    if level >= 1:
        loop_kernel = get_device(k.target.device).loop_ir(loop_kernel or lower(k.ast, k.name))
        _print_kernel(k, loop_kernel, source, seconds or 0.0, nbytes, level)
    return out


def _print_kernel(k, loop_kernel, source: str, seconds: float, nbytes: int, level: int) -> None:
    ms = seconds * 1e3
    gflops = k.flops / seconds / 1e9 if seconds > 0 else 0.0
    gbs = nbytes / seconds / 1e9 if seconds > 0 else 0.0
    print(f"*** {k.target.device:<7} {k.name:<28} {ms:9.3f} ms {gflops:8.2f} GFLOP/s "
          f"{gbs:8.2f} GB/s  ({k.target.loc})" + (f"  launched at byte offsets {list(k.offsets)}" if k.offsets else ""),
          file=sys.stderr)
    if level >= 3:
        print(print_loop_ir(loop_kernel), file=sys.stderr)
    if level >= 4:
        print(source, file=sys.stderr)


def _prepare(schedule: Schedule) -> list:
    """Let each device compile the schedule's new kernels together (in parallel for c), the
    first ones while the rest are still rendered; the devices that did (to unpin once the
    schedule has run)."""
    if len(schedule.kernels) <= 1 or beam_width():
        return []  # nothing to overlap, or the search compiles its own variants
    by_device: dict[str, list] = {}
    for k in schedule.kernels:
        if k.ast is not None:
            by_device.setdefault(k.target.device, []).append(k)
    prepared = []
    for name, ks in by_device.items():
        device = get_device(name)
        if (device.compile_threads > 1 or device.compile_together is not None) and len(ks) > 1:
            prepared.append(device)
            device.prepare_sources(_rendered(device, ks), pin=True)
    return prepared


def _rendered(device, kernels) -> Iterator[tuple[str, str]]:
    """(name, source) of each kernel, rendered one by one; a kernel that fails to render is
    left out (it is reported with the user's line when it runs)."""
    for k in kernels:
        try:
            yield k.name, device.source_for(k.ast, k.name)[0]
        except LazygradError:
            continue


@one_thread_at_a_time
def realize_nodes(nodes: list[Node], written: dict | None = None,
                  held: Callable[[], set] | None = None) -> list[Node]:
    """Compute nodes; returns for each the BUFFER node (of the node's shape) holding it (for
    an ASSIGN, the buffer version it wrote over). written, when given, receives for every
    storage written in place its Buffer of the new contents.
    Results are taken as each kernel finishes: values a schedule computes before one of its
    in-place writes stay the values from before the write.
    held, when given, names the nodes whose values a program can still ask for (see
    schedule/lifetimes.py): every other value this schedule computes is let go after its last
    reader, so its memory serves the kernels after it."""
    fresh = values_fresh()  # lg.jit records: every value is computed again by a kernel
    todo = [n for n in nodes if n.op is not Op.BUFFER and (fresh or cached(n) is None)]
    results: dict[Node, Node] = {}
    if written is None:
        written = {}
    if todo and any(is_meta(n.device) for n in todo):  # shapes only: no schedule (runtime/meta.py)
        _realize_meta([n for n in todo if is_meta(n.device)], results, written)
        todo = [n for n in todo if not is_meta(n.device)]
    if todo:
        schedule = create_schedule(todo, as_simplified=bool(observers))  # tools show that graph
        for k in schedule.kernels:
            check_current(k.inputs, k.target)
            if k.output is not None:
                check_current((k.output,), k.target)
        for user, node in schedule.targets.items():  # a root may simplify to a buffer itself
            check_current((base_of(node),), user)
        level = settings.debug
        if level >= 2:
            _print_schedule(schedule)
        prepared = _prepare(schedule)
        if observers:
            _notify("schedule", schedule=schedule)
        # host steps in flight (started, not yet waited for): kernels that need none of them
        # run meanwhile; the step's finish before the first that does, and all at the end
        in_flight: dict[ScheduledKernel, tuple] = {}
        release = released_after(schedule, held) if held is not None and len(schedule.kernels) > 1 else {}
        try:
            for i, k in enumerate(schedule.kernels):
                check_current(k.inputs, k.target)  # an earlier kernel's write must not precede a read
                for step in _due(k, in_flight):
                    in_flight.pop(step)[0]()
                if k.target.op is Op.HOST:
                    out, finish = start_host_step(k, level, results)
                    in_flight[k] = (finish, {n.buffer.storage for n in k.inputs if n.op is Op.BUFFER}
                                    | {results[n].buffer.storage for n in k.inputs if n in results})
                else:
                    out = run_kernel(k, level, results)
                    for step in in_flight:
                        step.target.arg.poll()
                if k.output is not None:  # in place: the storage holds a new version now
                    written[out.storage] = new = out.next_version()
                    results[k.target] = buffer_node(new, k.output.shape, k.target.loc)
                    continue
                results[k.target] = value = buffer_node(out, k.target.shape, k.target.loc)
                for node in (k.target, schedule.stand_ins.get(k.target)):  # (computed again: keeps its own)
                    if node is not None and cached(node) is None:
                        node.realized = value
                for n in release.get(i, ()):
                    _let_go(n, results, schedule.stand_ins.get(n))
            while in_flight:  # (a deferred step stays in flight: the program completes it)
                step = next(iter(in_flight))
                finish = in_flight.pop(step)[0]
                if step.target.arg.deferred:
                    step.target.arg.defer(finish)
                else:
                    finish()
        except BaseException:  # MPI must not write into memory freed meanwhile: complete the
            for finish, _ in list(in_flight.values()):  # steps in flight, but report the first error
                try:
                    finish()
                except Exception:  # noqa: BLE001, S110 (a failed job: the first error is the one to read)
                    pass
            raise
        finally:
            for device in prepared:
                device.unpin()
        for user, node in schedule.targets.items():
            if user.op is Op.ASSIGN:
                continue
            result = results.get(node) or _result_node(node, user)
            if result.shape != user.shape:
                result = buffer_node(result.buffer, user.shape, user.loc)
            results[user] = result
            if node.realized is not None:
                user.realized = result
    return [n if n.op is Op.BUFFER else base_buffer(n) if n.op is Op.ASSIGN else results.get(n) or cached(n)
            for n in nodes]


def _realize_meta(nodes: list[Node], results: dict, written: dict) -> None:
    """Meta nodes "computed": each gets a new meta buffer of its shape (no data, no kernel);
    an in-place write gives its storage a new version, as a kernel's write does."""
    for n in nodes:
        if n.op is Op.ASSIGN:
            old = base_buffer(n.srcs[0]).buffer
            written[old.storage] = (written.get(old.storage) or old).next_version()
            continue
        n.realized = results[n] = buffer_node(Buffer(META, math.prod(n.shape), n.dtype), n.shape, n.loc)


def base_buffer(node: Node) -> Node:
    while node.op is not Op.BUFFER:
        node = node.srcs[0]
    return node


def _let_go(n: Node, results: dict, given: Node | None) -> None:
    value = results.pop(n)
    if n.realized is value:
        n.realized = None
    if given is not None and given.realized is value:
        given.realized = None


def _result_node(node: Node, user: Node) -> Node:
    if node.op is Op.BUFFER:
        return node if node.shape == user.shape else buffer_node(node.buffer, user.shape, user.loc)
    base = node
    while base.op is Op.RESHAPE:  # reshapes of a buffer are the buffer (a remembered schedule
        base = base.srcs[0]       # names the root as given: [None, None] is two of them)
    if base.op is Op.BUFFER:
        return buffer_node(base.buffer, user.shape, user.loc)
    return cached(node)
