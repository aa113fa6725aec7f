"""The `cstub` device: lazygrad's Loop IR as C, built at -O1 without OpenMP, each kernel
called through one array of pointers (`void kernel(void **args)`).

The four pieces of a backend, in the order lazygrad uses them:

    renderer   Loop IR -> C source         (CStubRenderer, on lazygrad's CStyleRenderer,
                                            after lazygrad's register-tiles Loop IR pass)
    compiler   C source -> shared library  (compile_cstub, cached on disk)
    program    shared library -> callable  (CStubProgram)
    allocator  host memory owned by numpy  (HostMemory)

make_device() puts them together; pyproject.toml registers it with lazygrad.
"""
from __future__ import annotations

import ctypes
import time

import numpy as np

from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.pipeline import loop_pass
from lazygrad.codegen.loop_ir import LoopKernel
from lazygrad.errors import DTypeError
from lazygrad.runtime.c import close_library, compile_c, find_compiler
from lazygrad.runtime.device import Device

FLAGS = ("-O1", "-fPIC", "-shared", "-std=gnu11", "-fno-math-errno", "-lm")


# ---- allocator --------------------------------------------------------------------------------

class HostMemory:
    """Buffers are numpy byte arrays; a handle is the array itself."""

    def alloc(self, nbytes: int) -> np.ndarray:
        return np.zeros(nbytes, dtype=np.uint8)

    def free(self, handle: np.ndarray) -> None:
        pass  # numpy frees the memory when the last reference goes

    def copyin(self, handle: np.ndarray, data: memoryview) -> None:
        handle[: len(data)] = np.frombuffer(data, dtype=np.uint8)

    def copyout(self, handle: np.ndarray, nbytes: int) -> np.ndarray:
        return handle[:nbytes].copy()


# ---- renderer ---------------------------------------------------------------------------------

class CStubRenderer(CStyleRenderer):
    """Statements and expressions come from CStyleRenderer; this class only says how a
    kernel begins: one `void **` parameter, unpacked into typed pointers."""
    language = "c"

    def prelude(self, kernel: LoopKernel) -> list[str]:
        return ["#include <math.h>", "#include <stdint.h>"]

    def signature(self, kernel: LoopKernel) -> str:
        return f"void {kernel.name}(void **args)"

    def entry(self, kernel: LoopKernel) -> list[str]:
        """The pointer array unpacked into typed pointers, first thing in the body."""
        lines = []
        for i, p in enumerate(kernel.params):
            t = ("" if p.is_output else "const ") + self.type_name(p.dtype)
            lines.append(f"{t}* {p.name} = ({t}*)args[{i}];")
        return lines

    def render(self, kernel: LoopKernel) -> str:
        if any(p.dtype.name == "bfloat16" for p in kernel.params):
            raise DTypeError(f"kernel {kernel.name}: the cstub backend has no bfloat16 "
                             "(lazygrad's own c device has); use float32")
        return super().render(kernel)


def render_cstub(kernel: LoopKernel) -> str:
    return CStubRenderer().render(kernel)


# ---- compiler ---------------------------------------------------------------------------------

def find_cc() -> str | None:
    return find_compiler()


def compile_cstub(source: str, name: str) -> str:
    """Path of a shared library built from source with our own flags. lazygrad's C compiler
    driver does the rest: the disk cache keyed by source, compiler and flags, the atomic
    rename, and the error that shows the numbered source."""
    return compile_c(source, name, flags=FLAGS)


# ---- program ----------------------------------------------------------------------------------

class CStubProgram:
    def __init__(self, name: str, library: str):
        self.lib = ctypes.CDLL(library)
        self.fn = getattr(self.lib, name)
        self.fn.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        self.fn.restype = None

    def __del__(self, _close=close_library):
        """Close the library once the program is dropped: each open library costs a process
        about five memory maps, and Linux allows 65530, which a long test run reaches. (_close
        is bound here: at interpreter exit the module's names may be gone first.)"""
        lib = self.__dict__.pop("lib", None)
        self.fn = None
        _close(lib)

    def __call__(self, *handles: np.ndarray, timing: bool = False) -> float | None:
        args = (ctypes.c_void_p * len(handles))(*(h.ctypes.data for h in handles))
        start = time.perf_counter()
        self.fn(args)
        return time.perf_counter() - start if timing else None


# ---- the device -------------------------------------------------------------------------------

def check() -> tuple[bool, str]:
    cc = find_cc()
    if cc is None:
        return False, "no C compiler found (set CC, or install gcc or clang)"
    return True, f"{cc} {' '.join(FLAGS)}, void **args calls"


class CStubDevice(Device):
    def supports(self, dtype) -> bool:
        return dtype.name != "bfloat16"  # its renderer declares no 16-bit storage for it


def make_device() -> Device:
    # lazygrad's float64 sums and register tiles, which CStyleRenderer prints as GCC vectors
    return CStubDevice("cstub", HostMemory(), render_cstub, compile_cstub, CStubProgram, check,
                       loop_passes=(loop_pass("wide-sums"), loop_pass("register-tiles")))
