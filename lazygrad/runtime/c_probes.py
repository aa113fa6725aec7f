"""The test programs the c device builds to choose its compiler flags (runtime/c.py probe),
and the check that what a compiler wrote is a loadable library."""
from __future__ import annotations

import os
import struct
import subprocess

# half-precision code as the renderer writes it: on some machines gcc's -march=native turns on
# AVX512-FP16 that the installed assembler cannot encode ("unsupported masking for vmovsh"; gcc
# 12.2 and binutils 2.40 of Debian 12 on an Intel Xeon with AVX512-FP16). Each form that was
# seen to fail: a select, and relu's max of a (4, 6) float16 tensor (the select alone built).
HALF_PROBE = """void f(_Float16* p0, const _Float16* p1) {
  for (long long i = 0; i < 24; i++) { _Float16 v = p1[i]; unsigned char c = (v < ((_Float16)0.0f));
    p0[i] = c ? ((_Float16)0.0f) : v; }
}
static inline _Float16 lg_max_float16(_Float16 a, _Float16 b) { return (a != a || a > b) ? a : b; }
void g(_Float16* p0, const _Float16* p1) {
  for (long long i0 = 0; i0 < 4; i0++) {
    for (long long i1 = 0; i1 < 6; i1++) {
      p0[((i0 * 6LL) + i1)] = lg_max_float16(((_Float16)0.0f), p1[((i0 * 6LL) + i1)]);
    }
  }
}
"""


# gcc tunes for 256-bit vectors on AVX-512 CPUs (a vectorized loop of ymm registers), as
# zmm once lowered some Intel cores' clocks; the register tiles use 64-byte vectors anyway
# (codegen/register_tiles.py). Where the CPU has AVX-512, loops gcc vectorizes itself take its
# full width too. Measured on 2 Intel AVX-512 cores (Xeon model 167, gcc 12.2), tools/bench.py,
# two runs each: softmax 4096x4096 17.3/15.6 -> 12.9/12.4 ms, gelu chain 16.9/17.0 ->
# 14.4/15.5 ms, an erf GELU of 524k floats 0.33 -> 0.22 ms; matmul, sums, conv, copy and the
# model steps within noise.
WIDE_VECTORS = "-mprefer-vector-width=512"
PLAIN_PROBE = ("float f(const float* p, long long n) { float s = 0; for (long long i = 0; i < n; i++) s += p[i];"
               " return s; }\n")


def build_library(cc: tuple[str, ...], flags: list[str], source: str, tmp: str) -> str:
    """'' when cc builds source into a loadable library, else what went wrong."""
    out = os.path.join(tmp, "t.so")
    try:
        proc = subprocess.run([*cc, *flags, "-x", "c", "-", "-o", out], input=source.encode(),
                              capture_output=True, check=False)
        said = (proc.stderr + proc.stdout).decode(errors="replace").strip()
        if proc.returncode != 0:
            return said or f"exit status {proc.returncode}"
        with open(out, "rb") as f:
            why = not_loadable(f.read())
        return why and f"{why}; it said: {said or '(nothing)'}"
    except OSError as e:
        return str(e)


def not_loadable(data: bytes) -> str:
    """'' when data can be a shared library (ELF with its headers and segments inside the file,
    Mach-O, PE), else why not: a compiler that exits 0 but writes garbage is caught here."""
    if data[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe") \
            or data[:2] == b"MZ":
        return ""
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] not in (1, 2) or data[5] not in (1, 2):
        return f"not a shared library ({len(data)} bytes starting {data[:8]!r})"
    end, wide = "<" if data[5] == 1 else ">", data[4] == 2
    head = struct.unpack_from(end + ("QQ6xHHHH" if wide else "II6xHHHH"), data, 32 if wide else 28)
    phoff, shoff, phsize, phnum, shsize, shnum = head
    if phoff + phsize * phnum > len(data) or shoff + shsize * shnum > len(data):
        return f"an ELF file cut short ({len(data)} bytes, its headers reach further)"
    for i in range(phnum):
        at = phoff + i * phsize
        kind, offset, filesz = struct.unpack_from(end + ("I4xQ16xQ" if wide else "II8xI"), data, at)
        if kind == 1 and offset + filesz > len(data):  # (PT_LOAD: mapped, SIGBUS past the end)
            return f"an ELF file cut short ({len(data)} bytes, a segment reaches {offset + filesz})"
    return ""
