"""The backend interface: a device is an allocator, a renderer, a compiler and a program.

    allocator.alloc(nbytes) -> handle     allocator.free(handle)
    allocator.copyin(handle, bytes)       allocator.copyout(handle, nbytes) -> numpy uint8
    renderer(loop_kernel) -> source       compiler(source, name) -> binary
    program(name, binary); program(*handles) -> seconds (when timing is asked for)

Optionally, launch_options(loop_kernel) -> [dict, ...]: launch settings a search
(LAZYGRAD_BEAM) may try; the device's Loop IR passes that take launch options then get one
as keyword arguments, and the renderer prints what they made (OpenCL's Grid). Optionally,
program_setup(program, source): what a new program reads from its source (c: its OpenMP team).

A backend writes these four for its hardware and registers a Device; nothing else in
lazygrad changes. See docs/backends.md.

The source is everything a program needs: a backend whose launch depends on the kernel
(OpenCL's global and local sizes) decides it in a Loop IR pass and prints it into the source,
e.g. as a first-line comment `// lazygrad launch: global=1024 local=256`, which its compiler
or program reads back. So the disk cache, keyed by source, also keys the launch geometry.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Protocol

import numpy as np

from lazygrad.codegen.loop_ir import LoopKernel
from lazygrad.codegen.lower import lower
from lazygrad.codegen.pipeline import run_loop_passes
from lazygrad.config import register_cache
from lazygrad.ir.node import Node
from lazygrad.runtime import source_cache

_DEVICES: "weakref.WeakSet[Device]" = weakref.WeakSet()


def _clear_sources() -> None:
    for d in list(_DEVICES):
        d._sources.clear()
        d._rendered.clear()


def _clear_programs() -> None:
    for d in list(_DEVICES):
        d._programs.clear()
        d._by_kernel.clear()
        d._pinned.clear()


# Switched off, these read nothing from disk (a process lowers, renders and compiles every
# kernel itself, once: its in-memory tables are keyed by the exact Kernel IR node and source).
SOURCES = register_cache(
    "sources", "rendered kernel sources, in memory by Kernel IR node and on disk by a hash of the Kernel "
    "IR text, name, device render key, lane profile and lazygrad's code generator",
    "in memory: while the Kernel IR lives; on disk: unbounded", _clear_sources,
    size=lambda: sum(len(d._sources) for d in list(_DEVICES)))
MAX_PROGRAMS = 2048  # a device's programs in memory (by source, and by Loop IR kernel), then cleared
MAX_PINNED = 16 * MAX_PROGRAMS  # programs of one schedule held until it has run (compiled together)
# (a loaded C library takes about 5 of the process's 65530 memory maps: two C devices' tables of 2048 each fit)
PROGRAMS = register_cache(
    "programs", "compiled programs, in memory by (name, source) and on disk (c) by a hash of source, "
    "compiler, flags and CPU", f"in memory: {MAX_PROGRAMS} a device, then cleared; on disk: unbounded",
    _clear_programs, size=lambda: sum(len(d._programs) for d in list(_DEVICES)))


class Allocator(Protocol):
    def alloc(self, nbytes: int) -> Any: ...
    def free(self, handle: Any) -> None: ...
    def copyin(self, handle: Any, data: memoryview) -> None: ...
    def copyout(self, handle: Any, nbytes: int) -> np.ndarray: ...


class Program(Protocol):
    def __call__(self, *handles: Any, timing: bool = False) -> float | None: ...


class ProgramAtOffsets:
    """A program whose buffers are passed from byte offsets on (one compiled kernel serves a
    read at every offset); lg.jit records and replays it like any program."""

    def __init__(self, program: Program, offsets: tuple[int, ...], at_offset: Callable[[Any, int], Any]):
        self.program, self.offsets, self.at_offset = program, offsets, at_offset

    def __call__(self, *handles: Any, timing: bool = False) -> float | None:
        at, offsets = self.at_offset, self.offsets
        moved = [at(h, offsets[i]) if i < len(offsets) and offsets[i] else h for i, h in enumerate(handles)]
        return self.program(*moved, timing=timing)


# A group compiled together closes at this much source (or this many kernels): big enough that
# a compiler process's start (50-100 ms) is a small part of it, small enough that the first
# group compiles while the rest of the schedule is still being rendered
GROUP_CHARS = 200_000
GROUP_KERNELS = 48


def source_groups(named: Iterable[tuple[str, str]], together: bool) -> Iterator[list[tuple[str, str]]]:
    """The pairs in groups, each yielded as soon as it is full, in the pairs' order: one pair a
    group unless the device compiles together. Deterministic: the same schedule gives the same
    groups, and so the same cache keys."""
    group: list[tuple[str, str]] = []
    chars = 0
    for item in named:
        group.append(item)
        chars += len(item[1])
        if not together or chars >= GROUP_CHARS or len(group) >= GROUP_KERNELS:
            yield group
            group, chars = [], 0
    if group:
        yield group


@dataclass
class Device:
    """A compiled-kernel runtime. `check()` says whether it works on this machine, and why not."""
    name: str
    allocator: Allocator
    renderer: Callable[[LoopKernel], str]
    compiler: Callable[[str, str], Any]
    program: Callable[[str, Any], Program]
    check: Callable[[], tuple[bool, str]] = lambda: (True, "")
    compile_threads: int = 1  # >1: compile a schedule's new kernels concurrently (see prepare)
    # [(name, source)] -> a binary for each, from one compiler run (see prepare_sources); None:
    # the compiler runs once a kernel
    compile_together: Callable[[list[tuple[str, str]]], list] | None = None
    launch_options: Callable[[LoopKernel], list[dict]] = lambda kernel: []
    # what, besides the Loop IR, the renderer's output depends on (OpenCL device traits); None:
    # rendered sources are not kept on disk (see runtime/source_cache.py)
    render_key: Callable[[], str | None] = lambda: None
    # Loop IR -> Loop IR passes run before the renderer (codegen/pipeline.py)
    loop_passes: tuple = ()
    # (program, source) -> None: what a new program reads from its source besides its binary
    # (c: whether its OpenMP team may shrink, runtime/threads.py); None: nothing
    program_setup: Callable[[Any, str], None] | None = None
    _programs: dict[tuple[str, str], Program] = field(default_factory=dict)
    _by_kernel: dict[int, tuple[LoopKernel, Program, str, dict | None]] = field(default_factory=dict)
    _rendered: dict[int, tuple[LoopKernel, str]] = field(default_factory=dict)
    # Kernel IR -> {(name, renderer): source}; held weakly, as kernels are hash-consed
    _sources: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)
    # what prepare_sources compiled for the schedule about to run, held until it has run (unpin):
    # a schedule of more new kernels than MAX_PROGRAMS (an RNN unrolled over hundreds of steps)
    # would otherwise clear its first programs out of _programs before they run, and each would
    # be compiled again, alone. Compiled together, thousands of programs share a few libraries.
    _pinned: dict[tuple[str, str], Program] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._own_renderer = self.renderer
        self._own_compiler = self.compiler
        _DEVICES.add(self)

    __hash__ = object.__hash__  # (a dataclass with eq: devices are kept in a WeakSet by identity)

    def supports(self, dtype) -> bool:
        """Whether kernels on this device can use dtype (OpenCL float16 needs cl_khr_fp16)."""
        return True

    @property
    def launches_at_offsets(self) -> bool:
        """Whether a kernel can be given a buffer from a byte offset on (the allocator's
        at_offset): then fixed offsets move out of kernels (schedule/launch_offsets.py)."""
        return hasattr(self.allocator, "at_offset")

    def at_offsets(self, program: Program, offsets: tuple[int, ...]) -> Program:
        """program launched with its i-th buffer from offsets[i] bytes on."""
        return ProgramAtOffsets(program, offsets, self.allocator.at_offset)

    def loop_ir(self, kernel: LoopKernel, launch: dict | None = None) -> LoopKernel:
        """The Loop IR this device renders for a lowered kernel: after its Loop IR passes
        (launch: one of launch_options(kernel), for the passes it steers)."""
        return run_loop_passes(kernel, self.loop_passes, launch)

    def render(self, kernel: LoopKernel, launch: dict | None = None) -> str:
        if launch and not any(getattr(p, "takes_launch", False) for p in self.loop_passes):
            return self.renderer(self.loop_ir(kernel), **launch)  # (a backend's own renderer)
        return self.renderer(self.loop_ir(kernel, launch))

    def get_program(self, kernel: LoopKernel, launch: dict | None = None) -> tuple[Program, str]:
        """The compiled program for a Loop IR kernel (cached in memory, and on disk by the
        compiler where it has a disk cache); launch: one of launch_options(kernel)."""
        hit = self._by_kernel.get(id(kernel))
        if hit is not None and hit[0] is kernel and hit[3] == launch:  # lowered kernels are cached: hot
            return hit[1], hit[2]
        rendered = self._rendered.pop(id(kernel), None) if not launch else None
        source = rendered[1] if rendered is not None and rendered[0] is kernel else self.render(kernel, launch)
        prog = self.program_for(kernel.name, source)
        if len(self._by_kernel) >= MAX_PROGRAMS:  # its keys hold Loop IR kernels alive
            self._by_kernel.clear()
        self._by_kernel[id(kernel)] = (kernel, prog, source, launch)
        return prog, source

    def source_for(self, ast: Node, name: str) -> tuple[str, LoopKernel | None]:
        """The source of a kernel with the default lowering, and its Loop IR when it had to
        be lowered (None when the source came from memory or from the disk cache)."""
        renderer = self.renderer
        memo = self._sources.get(ast)
        if memo is not None:
            hit = memo.get((name, renderer))
            if hit is not None:
                return hit, None
        key = None
        if renderer == self._own_renderer and SOURCES.enabled:  # a replaced renderer's: in memory only
            extra = self.render_key()
            key = source_cache.source_key(f"{self.name}\0{extra}", ast, name) if extra is not None else None
        source = source_cache.load(key) if key else None
        loop_kernel = None
        if source is None:
            loop_kernel = lower(ast, name)
            source = self.render(loop_kernel)
            if key:
                source_cache.store(key, source)
        self._sources.setdefault(ast, {})[(name, renderer)] = source
        return source, loop_kernel

    def program_for(self, name: str, source: str) -> Program:
        """The compiled program of a source (cached in memory, and on disk by the compiler)."""
        prog = self._programs.get((name, source)) or self._pinned.get((name, source))
        if prog is None:
            prog = self._keep((name, source), self._program(name, source, self.compiler(source, name)))
        return prog

    def _program(self, name: str, source: str, binary: Any) -> Program:
        prog = self.program(name, binary)
        if self.program_setup is not None:
            self.program_setup(prog, source)
        return prog

    def _keep(self, key: tuple[str, str], prog: Program) -> Program:
        if len(self._programs) >= MAX_PROGRAMS:  # (a program a plan holds stays alive with it)
            self._programs.clear()
        self._programs[key] = prog
        return prog

    def prepare_sources(self, named: Iterable[tuple[str, str]], pin: bool = False) -> None:
        """Compile the (name, source) pairs not compiled yet, compile_threads at a time: in one
        compiler run a group where the device can (compile_together, with its own renderer and
        compiler), else one run a kernel. named may be a generator that renders as it goes: a
        group starts compiling as soon as it is full, while the next ones are rendered (on 2
        cores the transformer's 106 kernels render in 2.4 s). Errors surface later, from
        program_for (a group that fails is compiled again a kernel at a time there)."""
        together = (self.compile_together is not None and self.renderer == self._own_renderer
                    and self.compiler == self._own_compiler)
        if self.compile_threads <= 1 and not together:
            return
        from concurrent.futures import ThreadPoolExecutor
        seen: set[tuple[str, str]] = set()

        def new(item) -> bool:
            fresh = item not in self._programs and item not in seen
            seen.add(item)
            return fresh

        def build(group):
            try:
                binaries = self.compile_together(group) if together else [self.compiler(group[0][1], group[0][0])]
                return [(item, self._program(item[0], item[1], b)) for item, b in zip(group, binaries)]
            except Exception:  # noqa: BLE001  (program_for compiles it alone and says why)
                # a group that fails is one kernel that fails (or one the combiner cannot
                # take): the others each alone, here, still in parallel (left to program_for,
                # the 48 kernels of a failed group were compiled one after another: 3 s)
                return [built for item in group for built in build([item])] if len(group) > 1 else []
        # pin: hold them until unpin (realize does, after the schedule has run)
        limit = (MAX_PINNED if together else MAX_PROGRAMS) if pin else 0  # (a library a program: maps are few)
        with ThreadPoolExecutor(max(1, self.compile_threads)) as pool:
            running = [pool.submit(build, g) for g in source_groups(filter(new, named), together)]
            for future in running:
                for item, prog in future.result():
                    self._keep(item, prog)
                    if len(self._pinned) < limit:
                        self._pinned[item] = prog

    def unpin(self) -> None:
        """The schedule prepare_sources compiled for has run: its programs are held as any."""
        self._pinned.clear()

    def prepare(self, kernels: list[LoopKernel]) -> None:
        """Compile the Loop IR kernels not compiled yet, several at once when the compiler is
        an outside process (the cold start of a search is mostly compiler time)."""
        sources: dict[int, tuple[LoopKernel, str]] = {}
        for k in kernels:
            hit = self._by_kernel.get(id(k))
            if hit is None or hit[0] is not k:
                sources[id(k)] = (k, self.render(k))
        self._rendered.update(sources)  # get_program does not render them again
        self.prepare_sources([(k.name, source) for k, source in sources.values()])

    def synchronize(self) -> None:
        pass
