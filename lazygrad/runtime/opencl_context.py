"""The OpenCL device the `opencl` runtime uses: which platform and device
($LAZYGRAD_OPENCL=platform:device, each part an index or a case-insensitive name substring;
else the first GPU of any platform, else the first CPU), probed by building a tiny kernel,
and the one context and queue a process makes on first use (runtime/opencl.py has the rest).
Importing this module and calling `check()` is cheap and never fails.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import threading
from dataclasses import dataclass
from typing import Any

from lazygrad.codegen import heuristics
from lazygrad.codegen.render_opencl import DeviceTraits
from lazygrad.config import settings
from lazygrad.errors import DeviceError

ENV_SELECT = "LAZYGRAD_OPENCL"  # (config.settings.opencl: named in messages)
ENV_AS = "LAZYGRAD_OPENCL_AS"  # (config.settings.opencl_as)


# ---- choosing a platform and device -----------------------------------------------------------

def parse_selector(text: str | None) -> tuple[int | str | None, int | str | None]:
    """'1:0' -> (1, 0); 'nvidia' -> ('nvidia', None); ':gfx' -> (None, 'gfx'); '' -> (None, None).
    Integers are indices, other text a case-insensitive name substring."""
    if not text or not text.strip():
        return None, None
    plat, _, dev = text.strip().partition(":")

    def part(s: str) -> int | str | None:
        s = s.strip()
        if not s:
            return None
        return int(s) if s.isdigit() else s.lower()
    return part(plat), part(dev)


def _pick(items: list, sel: int | str | None, what: str, names: list[str]):
    if sel is None:
        return items
    if isinstance(sel, int):
        if sel >= len(items):
            raise DeviceError(f"{ENV_SELECT}: {what} index {sel} out of range; there are "
                              f"{len(items)}: {', '.join(f'{i}={n}' for i, n in enumerate(names))}")
        return [items[sel]]
    found = [it for it, n in zip(items, names) if sel in n.lower()]
    if not found:
        raise DeviceError(f"{ENV_SELECT}: no {what} name contains {sel!r}; there are: "
                          f"{', '.join(f'{i}={n}' for i, n in enumerate(names))}")
    return found


def candidate_devices(platforms: list, selector: str | None, gpu_type: int = 4, cpu_type: int = 2) -> list:
    """The OpenCL devices to try, best first, among platforms (objects with .name and
    .get_devices(), whose devices have .name and .type): the devices $LAZYGRAD_OPENCL names,
    in platform order; without a selector every GPU, then every CPU, then the rest.
    gpu_type/cpu_type are the cl.device_type bits."""
    if not platforms:
        raise DeviceError("no OpenCL platform found (pip install 'pyopencl[pocl]' gives a CPU one)")
    psel, dsel = parse_selector(selector)
    chosen_platforms = _pick(platforms, psel, "platform", [p.name for p in platforms])
    candidates = []
    for p in chosen_platforms:
        devs = list(p.get_devices())
        if dsel is not None:
            try:
                devs = _pick(devs, dsel, f"device of platform {p.name!r}", [d.name for d in devs])
            except DeviceError:
                if len(chosen_platforms) == 1:
                    raise
                continue
        candidates.extend(devs)
    if not candidates:
        raise DeviceError(f"no OpenCL device matches {ENV_SELECT}={selector!r}" if selector
                          else "the OpenCL platforms have no devices")
    if dsel is not None:
        return candidates

    def rank(d) -> int:
        return 0 if d.type & gpu_type else 1 if d.type & cpu_type else 2
    return sorted(candidates, key=rank)  # stable: platform order within a rank


def choose_device(platforms: list, selector: str | None, gpu_type: int = 4, cpu_type: int = 2):
    """The first of candidate_devices (without trying to compile on it)."""
    return candidate_devices(platforms, selector, gpu_type, cpu_type)[0]


# ---- the context, created on first use --------------------------------------------------------

@dataclass
class CLContext:
    cl: Any
    device: Any
    context: Any
    queue: Any
    traits: DeviceTraits

    @property
    def label(self) -> str:
        return f"{self.device.platform.name.strip()} / {self.device.name.strip()}"


_PROBE = "__kernel void lg_probe(__global float* a) { a[get_global_id(0)] = 1.0f; }"


def _probe(cl, dev) -> str | None:
    """None when dev can build and run a tiny kernel, else why not. Some OpenCL compilers
    fail on every kernel (PoCL's LLVM 14 does not know AMD Zen 5: "unknown target CPU
    'generic'"), and the error should show here, not at the first tensor op."""
    try:
        ctx = cl.Context([dev])
        queue = cl.CommandQueue(ctx, dev)
        prg = cl.Program(ctx, _PROBE).build()
        buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, 4)
        prg.lg_probe(queue, (1,), None, buf).wait()
        return None
    except Exception as e:  # noqa: BLE001  (any failure means: not usable)
        lines = [ln.strip() for ln in str(e).splitlines() if "error" in ln.lower()]
        return f"{dev.name.strip()} cannot build kernels: {lines[0] if lines else e}"


# A process forked after its parent made the context inherits it, unusable (PoCL's threads do
# not cross a fork: the child's first call on it hangs); the child refuses it instead.
_INHERITED = [False]
os.register_at_fork(after_in_child=lambda: _INHERITED.__setitem__(0, _made.cache_info().currsize > 0))


_MAKING = threading.RLock()


def context() -> CLContext:
    """This process's OpenCL context (see _made)."""
    if _INHERITED[0]:
        raise DeviceError("the OpenCL device was opened before this process was forked from its parent, and an "
                          "OpenCL context does not survive a fork: start worker processes with the 'spawn' method "
                          "(torch.multiprocessing.spawn, mp.get_context('spawn'), DataLoader(..., "
                          "multiprocessing_context='spawn')), or use the OpenCL device only after forking")
    with _MAKING:  # two threads' first uses must not open two contexts (a buffer of one
        return _made()  # enqueued on the other's queue is INVALID_CONTEXT)


# One context a process, made on first use: the device's connection, not a cache (every buffer
# and program belongs to it, so it is never cleared or switched off; LAZYGRAD_OPENCL and
# LAZYGRAD_OPENCL_AS are read once, when it is made)
@functools.lru_cache(None)
def _made() -> CLContext:
    import pyopencl as cl
    render_as = settings.opencl_as
    if render_as not in ("", "gpu"):
        raise DeviceError(f"{ENV_AS}={render_as!r} is not understood: set it to 'gpu' (render every "
                          f"kernel as for a GPU) or leave it unset")
    selector = settings.opencl
    failures = []
    for dev in candidate_devices(cl.get_platforms(), selector, cl.device_type.GPU, cl.device_type.CPU):
        why = _probe(cl, dev)
        if why is None:
            break
        failures.append(f"{dev.platform.name.strip()}: {why}")
        if selector:  # the user named this device: no silent fallback
            break
    else:
        dev = None
    if failures and (dev is None or selector):
        raise DeviceError("no usable OpenCL device: " + "; ".join(failures))
    ctx = cl.Context([dev])
    queue = cl.CommandQueue(ctx, dev, properties=cl.command_queue_properties.PROFILING_ENABLE)
    ext = dev.extensions.split()
    traits = DeviceTraits(name=dev.name.strip(), fp16="cl_khr_fp16" in ext, fp64="cl_khr_fp64" in ext,
                          max_work_group_size=int(dev.max_work_group_size),
                          local_mem_size=int(dev.local_mem_size),
                          cpu=bool(dev.type & cl.device_type.CPU),
                          compute_units=int(dev.max_compute_units))
    if render_as == "gpu":  # GPU kernels checked on a CPU's OpenCL (PoCL)
        traits = dataclasses.replace(traits, cpu=False)
    if not traits.cpu:  # small register tiles, shared through local memory
        heuristics.set_lane_profile("opencl", heuristics.GPU_PROFILE)
    return CLContext(cl, dev, ctx, queue, traits)


def check() -> tuple[bool, str]:
    try:
        import pyopencl as cl
    except ImportError as e:
        return False, f"pyopencl is not installed ({e}); pip install 'pyopencl[pocl]'"
    try:
        platforms = cl.get_platforms()
    except Exception as e:  # noqa: BLE001  pyopencl raises LogicError(PLATFORM_NOT_FOUND_KHR) when none
        return False, f"no OpenCL platform found ({e})"
    try:
        if not platforms:
            raise DeviceError("no OpenCL platform found")
        ctx = context()
    except Exception as e:  # noqa: BLE001  (check() never raises)
        return False, str(e)
    return True, ctx.label
