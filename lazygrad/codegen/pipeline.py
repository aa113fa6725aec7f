"""The stages a kernel goes through on its way to a device, in order, by name.

    schedule        Graph IR -> Kernel IR, one kernel a fusion group (schedule/schedule.py)
    lower           Kernel IR -> Loop IR: loops, accumulators, upcasts chosen by
                    codegen/heuristics.py, loops marked parallel or simd (codegen/optimize.py)
    split-guards    Loop IR -> Loop IR, on c: an innermost loop whose guards flip at fixed
                    iterations runs as one loop a stretch (codegen/split_guards.py)
    stream-lanes    Loop IR -> Loop IR, on c: a float32 sum that only streams keeps 16
                    partial sums (codegen/stream_lanes.py)
    wide-sums       Loop IR -> Loop IR, on c and an OpenCL CPU: a float32 sum of cheap
                    terms, outside a tile of products, adds in float64 (codegen/wide_sums.py)
    register-tiles  Loop IR -> Loop IR, on c: a tile of accumulators as vectors
                    (codegen/register_tiles.py)
    prefetch        Loop IR -> Loop IR, on c: an innermost loop whose loads jump a cache
                    line a step asks for them ahead (codegen/prefetch.py)
    work-groups     Loop IR -> Loop IR, on opencl: the NDRange and its work groups, a
                    reduce a work group shares, values staged in local memory, as a Grid
                    (codegen/work_groups.py); a search's launch options steer it
    max-lanes       Loop IR -> Loop IR, on an OpenCL CPU: a float max loop keeps partial
                    maxima that LLVM vectorizes (codegen/max_lanes.py)
    render          Loop IR -> source: the device's renderer, which only prints
    compile         source -> program (runtime/)

Every optimization of a kernel's loops is a Loop IR -> Loop IR pass in LOOP_PASSES, run on
the devices it names, so its result is Loop IR text that prints, parses back and runs on every
device (the python device interprets vectors too). Device.render runs a device's passes
before its renderer; `lazygrad-ir dump --stage loop` shows the Loop IR after them, and
`lazygrad-ir opt --list-passes` lists them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lazygrad.codegen.loop_ir import LoopKernel
from lazygrad.codegen.max_lanes import max_lanes
from lazygrad.codegen.prefetch import prefetch_streams
from lazygrad.codegen.register_tiles import register_tiles
from lazygrad.codegen.split_guards import split_guards
from lazygrad.codegen.stream_lanes import stream_lanes
from lazygrad.codegen.wide_sums import wide_sums
from lazygrad.codegen.work_groups import work_groups


@dataclass(frozen=True)
class LoopPass:
    name: str
    run: Callable[..., LoopKernel]  # run(kernel), or run(kernel, **launch) where takes_launch
    devices: tuple[str, ...]  # the built-in devices that run it
    help: str
    takes_launch: bool = False  # steered by a search's launch options (Device.launch_options)


LOOP_PASSES: tuple[LoopPass, ...] = (
    LoopPass("split-guards", split_guards, ("c",),
             "an innermost loop whose guards compare its variable alone with constants splits where "
             "they flip, one loop a stretch with the guards folded: a pad's middle is a plain copy "
             "(codegen/split_guards.py)"),
    LoopPass("stream-lanes", stream_lanes, ("c",),
             "a simd loop that only streams into one float32 sum keeps 16 partial sums, a 64-byte "
             "vector (codegen/stream_lanes.py)"),
    LoopPass("wide-sums", wide_sums, ("c", "opencl"),
             "a float32 sum of cheaply computed terms, outside a tile of products, adds in float64 and "
             "rounds to float32 once, where it is read; on OpenCL, CPU devices with float64 only "
             "(codegen/wide_sums.py)"),
    LoopPass("register-tiles", register_tiles, ("c",),
             "a tile of float32 sum accumulators as vectors of 16 (VecAcc, VecLoad, VecStore), where its "
             "updates line up lane by lane (codegen/register_tiles.py)"),
    LoopPass("prefetch", prefetch_streams, ("c",),
             "an innermost serial loop whose loads jump a cache line or more a step prefetches the lines "
             "it reads 16 steps later (codegen/prefetch.py; a hint: no value changes)"),
    LoopPass("work-groups", work_groups, ("opencl",),
             "the OpenCL NDRange as a Grid: work groups, a reduce a work group shares, values "
             "staged in local memory (codegen/work_groups.py; the opencl device plans for its "
             "own device's traits)", takes_launch=True),
    LoopPass("max-lanes", max_lanes, ("opencl",),
             "on a CPU, an innermost float max loop keeps 16 partial maxima of neighbouring "
             "iterations, which LLVM vectorizes (codegen/max_lanes.py; needs the device's traits)"),
)


def loop_pass(name: str) -> LoopPass:
    """A pass by its name, for a backend of one's own (Device(..., loop_passes=(...)))."""
    for p in LOOP_PASSES:
        if p.name == name:
            return p
    raise KeyError(f"no Loop IR pass named {name!r}; there are {', '.join(p.name for p in LOOP_PASSES)}")


def loop_passes_for(device: str) -> tuple[LoopPass, ...]:
    """The Loop IR passes a built-in device runs, in order."""
    return tuple(p for p in LOOP_PASSES if device in p.devices)


def run_loop_passes(kernel: LoopKernel, passes: tuple[LoopPass, ...], launch: dict | None = None) -> LoopKernel:
    """kernel after each pass in order; launch (one of Device.launch_options) goes to the
    passes it steers."""
    for p in passes:
        kernel = p.run(kernel, **launch) if p.takes_launch and launch else p.run(kernel)
    return kernel
