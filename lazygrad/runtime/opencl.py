"""The `opencl` runtime: OpenCL C through pyopencl (PoCL on the CPU out of the box, any GPU
driver's platform when there is one).

Which OpenCL device: $LAZYGRAD_OPENCL=platform:device, each part an index or a
case-insensitive name substring ("0:1", "nvidia", "pocl:", ":gfx"); else the first GPU of
any platform, else the first CPU. Nothing touches OpenCL until the device is first used, so
importing this module and calling `check()` is cheap and never fails.

$LAZYGRAD_OPENCL_AS=gpu renders every kernel as for a GPU (local-memory tiles, shared
reduces, small register tiles) whatever the device is: a CPU's OpenCL runs them too, so GPU
kernels can be checked on a machine without a GPU.

Binaries are cached on disk (program BINARIES), keyed by the source (which carries the
launch geometry), the platform, the device and its driver version; checked before the driver
sees them and kept under a size cap (runtime/cache_entry.py), as the `c` runtime's are --
except on a driver that caches compiled kernels itself (DRIVERS_WITH_A_KERNEL_CACHE): PoCL
compiles a kernel lazily, at its first launch, and asking it for BINARIES compiles every
kernel of the program a second time (about 100 ms a kernel on a 2-core Xeon, doubling the
cost of a cold start), while its own cache (~/.cache/pocl/kcache) already makes the next
process's build and first launch take milliseconds.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from lazygrad.codegen.loop_ir import LoopKernel
from lazygrad.codegen.max_lanes import max_lanes
from lazygrad.codegen.pipeline import loop_pass
from lazygrad.codegen.render_opencl import OpenCLRenderer, launch_geometry, launch_options
from lazygrad.codegen.wide_sums import wide_sums
from lazygrad.codegen.work_groups import work_groups
from lazygrad.config import settings
from lazygrad.errors import CompileError, DeviceError
from lazygrad.runtime import cache_entry
from lazygrad.runtime.combine import combined_source
from lazygrad.runtime.device import PROGRAMS, Device
from lazygrad.runtime.free_list import FreeList
from lazygrad.runtime.opencl_context import (  # noqa: F401  (the runtime's names, as before)
    ENV_AS,
    ENV_SELECT,
    CLContext,
    candidate_devices,
    check,
    choose_device,
    context,
    parse_selector,
)

# platform name substring -> the setting (lazygrad.config) that switches the driver's own kernel
# cache off ("0"); on these drivers lazygrad keeps no binaries of its own
DRIVERS_WITH_A_KERNEL_CACHE = {"Portable Computing Language": "pocl_kernel_cache"}


# ---- allocator --------------------------------------------------------------------------------

class CLAllocator:
    """cl.Buffer objects on the chosen device. Copies are blocking, on the one in-order queue.

    Freed buffers are kept (up to CACHE_BYTES in all) and handed out again for the same
    size: a fresh buffer costs a driver call and, on CPU devices, a page fault for every
    page it touches, which for a 64 MB result is more than the kernel that fills it. When
    an allocation fails, the kept buffers are released and it is tried once more."""

    CACHE_BYTES = 1 << 30

    def __init__(self) -> None:
        self._kept = FreeList(self.CACHE_BYTES)

    def alloc(self, nbytes: int):
        kept = self._kept.take(nbytes)
        if kept is not None:
            return kept
        ctx = context()
        limit = int(ctx.device.max_mem_alloc_size)
        if nbytes > limit:
            raise DeviceError(f"out of memory on OpenCL device {ctx.label}: asked for {nbytes} bytes, "
                              f"the largest single buffer it allows is {limit} bytes")
        try:
            return self._new(ctx, nbytes)
        except ctx.cl.Error:
            self.release_kept()
        try:
            return self._new(ctx, nbytes)
        except ctx.cl.Error as e:
            raise DeviceError(f"out of memory on OpenCL device {ctx.label}: could not allocate "
                              f"{nbytes} bytes ({e})") from None

    @staticmethod
    def _new(ctx: CLContext, nbytes: int):
        cl = ctx.cl
        buf = cl.Buffer(ctx.context, cl.mem_flags.READ_WRITE, nbytes)
        # drivers may allocate lazily: touching one byte makes a failure show here
        cl.enqueue_fill_buffer(ctx.queue, buf, np.zeros(1, np.uint8), 0, 1).wait()
        return buf

    def free(self, handle) -> None:
        if self._kept.keep(handle, handle.size):
            return
        try:
            handle.release()
        except Exception:  # noqa: BLE001, S110  at interpreter exit the context may already be gone
            pass

    def release_kept(self) -> None:
        for buf in self._kept.drain():
            buf.release()

    def copyin(self, handle, data: memoryview) -> None:
        if len(data) == 0:
            return
        ctx = context()
        ctx.cl.enqueue_copy(ctx.queue, handle, np.frombuffer(data, dtype=np.uint8), is_blocking=True)

    def copyout(self, handle, nbytes: int) -> np.ndarray:
        out = np.empty(nbytes, dtype=np.uint8)
        if nbytes:
            ctx = context()
            ctx.cl.enqueue_copy(ctx.queue, out, handle, is_blocking=True)
        return out


# ---- compiler ---------------------------------------------------------------------------------

BUILD_OPTIONS: tuple[str, ...] = ()
# OpenCL lets float `/` and sqrt be off by 2.5 and 3 ulps; torch's are correctly rounded, so
# ask for that wherever the device can do it (CPUs do it anyway)
_CORRECT_DIVIDE = "-cl-fp32-correctly-rounded-divide-sqrt"


def build_options(ctx: CLContext) -> list[str]:
    config = ctx.device.single_fp_config
    exact = config & ctx.cl.device_fp_config.CORRECTLY_ROUNDED_DIVIDE_SQRT
    return list(BUILD_OPTIONS) + ([_CORRECT_DIVIDE] if exact else [])


def _numbered(source: str) -> str:
    return "\n".join(f"{i:4d} | {line}" for i, line in enumerate(source.splitlines(), 1))


@dataclass
class CLBinary:
    program: Any  # a built cl.Program
    source: str  # the kernel's own source (its launch geometry), even in a combined program
    symbol: str | None = None  # the kernel's name in a combined program (None: its own name)


def _cache_key(ctx: CLContext, source: str) -> str:
    dev = ctx.device
    ident = [cache_entry.FORMAT, source, dev.platform.name, dev.platform.version, dev.name,
             dev.driver_version, " ".join(build_options(ctx))]
    return hashlib.sha256("\0".join(ident).encode()).hexdigest()[:24]


def driver_caches_kernels(ctx: CLContext) -> bool:
    """Whether the driver keeps compiled kernels across processes itself (and its cache is on)."""
    platform = ctx.device.platform.name
    return any(name in platform and str(getattr(settings, switch)).strip() != "0"
               for name, switch in DRIVERS_WITH_A_KERNEL_CACHE.items())


def compile_opencl(source: str, name: str = "kernel") -> CLBinary:
    """A built program for source; the binary comes from the disk cache when it is there."""
    ctx = context()
    cl = ctx.cl
    if driver_caches_kernels(ctx):
        return CLBinary(_build_source(ctx, source, name), source)
    key = _cache_key(ctx, source)
    hit = cache_entry.load(f"{name}-{key}.bin", key, "OpenCL binary", "opencl") if PROGRAMS.enabled else None
    if hit is not None:
        try:
            prg = cl.Program(ctx.context, [ctx.device], [hit[1]]).build(options=build_options(ctx))
            return CLBinary(prg, source)
        except Exception:  # noqa: BLE001, S110  a binary this driver refuses: rebuild from source below
            pass
    prg = _build_source(ctx, source, name)
    binary = prg.get_info(cl.program_info.BINARIES)[0]
    try:  # durable: the driver loads a cached binary as it is
        if binary:
            cache_entry.store(f"{name}-{key}.bin", key, binary, "opencl")
    except OSError:
        pass  # (nor a temporary folder: the program is built, only not kept)
    return CLBinary(prg, source)


def compile_opencl_together(named: list[tuple[str, str]]) -> list[CLBinary]:
    """A schedule's new kernels built as one program where the driver keeps compiled kernels
    itself (PoCL): its front end then runs once, not once a kernel (~180 ms a program on a
    2-core Zen 3; each kernel is still compiled at its first launch, 50-100 ms). Elsewhere
    each kernel is built and cached on its own (compile_opencl)."""
    ctx = context()
    if len(named) == 1 or not driver_caches_kernels(ctx):
        return [compile_opencl(source, name) for name, source in named]
    source, symbols = combined_source(named)
    program = _build_source(ctx, source, f"{named[0][0]} and {len(named) - 1} more")
    return [CLBinary(program, own, symbol) for (_, own), symbol in zip(named, symbols)]


def _build_source(ctx: CLContext, source: str, name: str):
    cl = ctx.cl
    try:
        prg = cl.Program(ctx.context, source).build(options=build_options(ctx))
    except cl.Error as e:
        raise CompileError(f"the OpenCL compiler of {ctx.label} failed on kernel {name}:\n"
                           f"--- build log ---\n{_build_log(e)}\n--- source ---\n{_numbered(source)}"
                           ) from None
    if "__kernel" in source and not prg.get_info(cl.program_info.KERNEL_NAMES):
        # (PoCL on a CPU without AVX-512 builds a float16 vector kernel into nothing, saying
        # only that the vector ABI changes)
        log = prg.get_build_info(ctx.device, cl.program_build_info.LOG).strip()
        raise CompileError(f"the OpenCL compiler of {ctx.label} built no kernel out of kernel {name}:\n"
                           f"--- build log ---\n{log}\n--- source ---\n{_numbered(source)}")
    return prg


def _build_log(error: Exception) -> str:
    """The compiler's own messages out of pyopencl's error text (which repeats the failing
    call and adds notes on build options)."""
    text = str(error)
    start = text.find("Build on ")
    if start >= 0:
        text = text[text.find("\n", start) + 1:]
    text = text.split("\n(options:")[0]
    return text.strip() or str(error).strip() or type(error).__name__


# ---- program ----------------------------------------------------------------------------------

class CLProgram:
    """One kernel of a built program, launched with the geometry its source declares."""

    def __init__(self, name: str, binary: CLBinary):
        self.name = name
        self.kernel = getattr(binary.program, binary.symbol or name)
        self.global_size, self.local_size = launch_geometry(binary.source)

    def __call__(self, *handles, timing: bool = False) -> float | None:
        ctx = context()
        cl = ctx.cl
        try:
            self.kernel.set_args(*handles)
            event = cl.enqueue_nd_range_kernel(ctx.queue, self.kernel, self.global_size, self.local_size)
            if not timing:
                return None
            event.wait()
        except cl.MemoryError as e:
            raise DeviceError(f"out of memory on OpenCL device {ctx.label} running {self.name}: "
                              f"{e}") from None
        return (event.profile.end - event.profile.start) * 1e-9


# ---- the device -------------------------------------------------------------------------------

class OpenCLDevice(Device):
    def synchronize(self) -> None:
        context().queue.finish()

    def supports(self, dtype) -> bool:
        traits = context().traits
        return not ((dtype.name == "float16" and not traits.fp16) or dtype.name == "bfloat16" or
                    (dtype.name == "float64" and not traits.fp64))


def _render(kernel: LoopKernel, **launch) -> str:
    """The kernel's source (a kernel without its Grid is planned first)."""
    return OpenCLRenderer(context().traits).render(kernel, **launch)


def _work_groups(kernel: LoopKernel, **launch) -> LoopKernel:
    return work_groups(kernel, context().traits, **launch)


def _wide_sums(kernel: LoopKernel) -> LoopKernel:
    """On a CPU with float64 only: a GPU's float64 adds run at 1/32-1/64 of its float32 rate
    on most consumer parts, and its work groups already add a sum as a tree."""
    traits = context().traits
    return wide_sums(kernel) if traits.cpu and traits.fp64 else kernel


def _launch_options(kernel: LoopKernel) -> list[dict]:
    return launch_options(kernel, context().traits)


def make_device() -> Device:
    passes = (dataclasses.replace(loop_pass("wide-sums"), run=_wide_sums),  # this device's traits
              dataclasses.replace(loop_pass("work-groups"), run=_work_groups),
              dataclasses.replace(loop_pass("max-lanes"), run=lambda k: max_lanes(k, context().traits)))
    return OpenCLDevice("opencl", CLAllocator(), _render, compile_opencl, CLProgram, check,
                        compile_together=compile_opencl_together, launch_options=_launch_options,
                        render_key=lambda: repr(context().traits), loop_passes=passes)
