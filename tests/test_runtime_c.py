"""The c runtime: compiler discovery, the on-disk cache, concurrent processes."""
import os
import subprocess
import sys

import numpy as np

import lazygrad as lg
from lazygrad.runtime import c as cruntime


def test_cache_key_depends_on_source(tmp_path, override):
    override(cache=str(tmp_path))
    p1 = cruntime.compile_c("void k(float* p0) { p0[0] = 1.0f; }\n", "k")
    p2 = cruntime.compile_c("void k(float* p0) { p0[0] = 2.0f; }\n", "k")
    assert p1 != p2 and os.path.exists(p1) and os.path.exists(p2)
    assert cruntime.compile_c("void k(float* p0) { p0[0] = 1.0f; }\n", "k") == p1
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]


def test_two_processes_compile_the_same_kernel(tmp_path):
    script = ("import numpy as np, lazygrad as lg\n"
              "x = lg.Tensor(np.arange(1000, dtype=np.float32), device='c')\n"
              "print(float(((x * 3.25).sin() + 7).sum().item()))\n")
    env = dict(os.environ, LAZYGRAD_CACHE=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE)
             for _ in range(2)]
    outs = [p.communicate()[0].decode().strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1]
    ref = float((np.sin(np.arange(1000, dtype=np.float32) * np.float32(3.25)) + 7).sum())
    assert abs(float(outs[0]) - ref) < 1e-2
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]


def test_c_and_python_devices_agree(rng):
    a = rng.standard_normal((17, 9)).astype(np.float32)
    outs = [((lg.Tensor(a, device=d) * 2).exp().sum(0)).numpy() for d in ("c", "python")]
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5)


def test_devices_lists_records():
    infos = {d.name: d for d in lg.devices()}
    assert infos["c"].available and infos["python"].available
    assert all(isinstance(d.reason, str) for d in infos.values())


def test_a_compiler_that_miscompiles_gated_loads_gets_the_first_workaround_that_is_right():
    """c_miscompiles.choose builds the test kernels, runs them and keeps the first flags that
    make them right; here `build` hands out a right library (the real kernels at -O0) or a wrong
    one (kernels that write nothing) by the flags it is given."""
    from lazygrad.runtime import c_miscompiles
    right = cruntime.compile_c(c_miscompiles.probe_source(), "lg_probe_right", ("-O0", "-fPIC", "-shared"))
    names = [name for name, *_ in c_miscompiles._cases()]
    wrong = cruntime.compile_c("".join(f"void {n}(void* p0, const void* p1) {{ }}\n" for n in names),
                               "lg_probe_wrong", ("-O0", "-fPIC", "-shared"))
    assert c_miscompiles.wrong_kernels(right) == [] and c_miscompiles.wrong_kernels(wrong) == names
    first, second = c_miscompiles.WORKAROUNDS

    def builds(right_with):
        return lambda flags: right if right_with(flags) else wrong
    assert c_miscompiles.choose(["-O3"], builds(lambda f: True)) == []
    assert c_miscompiles.choose(["-O3"], builds(lambda f: first in f)) == [first]
    assert c_miscompiles.choose(["-O3"], builds(lambda f: second in f)) == [second]
    assert c_miscompiles.choose(["-O3"], lambda flags: None) == []  # (does not build: no kernel will)


def test_the_compiler_flags_build_the_gated_load_kernels_right():
    """Whatever the probe chose for this machine's compiler, its flags get the test kernels right."""
    from lazygrad.runtime import c_miscompiles
    library = cruntime.compile_c(c_miscompiles.probe_source(), "lg_probe_check")
    assert c_miscompiles.wrong_kernels(library) == []


def test_the_compiler_flags_build_every_float16_kernel_form_that_failed_somewhere(tmp_path):
    """gcc's -march=native can turn on AVX512-FP16 forms the installed assembler cannot encode
    ('unsupported masking for vmovsh': relu of a (4, 6) float16 tensor on an Intel Xeon with
    Debian 12's toolchain); the probe then builds without them. Whatever it chose, the forms
    build, and so does the kernel that failed."""
    cc = cruntime.compiler_command()
    assert cruntime.build_library(cc, list(cruntime.compiler_flags()), cruntime.HALF_PROBE, str(tmp_path)) == ""
    x = lg.Tensor(np.linspace(-3, 3, 24, dtype=np.float16).reshape(4, 6), device="c")
    np.testing.assert_array_equal(x.relu().numpy(), np.maximum(x.numpy(), np.float16(0)))


def test_full_width_vectors_exactly_where_the_cpu_has_avx512(tmp_path):
    """gcc's vectorizer tunes to 256-bit registers on AVX-512 cores; the c device asks for the
    full width there (WIDE_VECTORS), and only there: on AVX2 the flag would ask for vectors the
    CPU cannot hold. The flags it chose build a program."""
    from lazygrad.config import cpu
    flags = cruntime.compiler_flags()
    cc = cruntime.compiler_command()
    assert (cruntime.WIDE_VECTORS in flags) == (cpu().has("avx512f") and cruntime.build_library(
        cc, [f for f in flags if f != cruntime.WIDE_VECTORS] + [cruntime.WIDE_VECTORS], cruntime.PLAIN_PROBE,
        str(tmp_path)) == "")
    assert cruntime.build_library(cc, list(flags), cruntime.PLAIN_PROBE, str(tmp_path)) == ""
    x = lg.Tensor(np.linspace(-3, 3, 4096, dtype=np.float32), device="c")
    np.testing.assert_allclose(x.softmax(0).numpy(), np.exp(x.numpy()) / np.exp(x.numpy()).sum(), rtol=1e-5)


def _probing_process(tmp_path, cc: str, **env) -> list[str]:
    """A new process that makes one tensor (which probes the compiler); the compiler runs that
    built a test program (into a t.so of their own; kernels go to the cache), as the wrapper cc
    logged them, without the output's path."""
    log = tmp_path / "runs.log"
    log.write_text("")
    script = "import numpy as np, lazygrad as lg; print((lg.Tensor(np.ones(3, np.float32)) + 1).numpy())"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                         env=dict(os.environ, LAZYGRAD_CACHE=str(tmp_path / "cache"), CC=cc, CC_LOG=str(log), **env))
    assert out.returncode == 0, out.stderr
    return [line.rsplit(" -o ", 1)[0] for line in log.read_text().splitlines() if line.endswith("/t.so")]


def test_a_new_process_takes_the_probed_flags_from_disk(tmp_path):
    """The second process of a toolchain and CPU builds no test program; a changed compiler
    file (its time), a damaged entry or the cache switched off probe again, to the same flags."""
    real = cruntime.compiler_command()
    cc = tmp_path / "cc"
    cc.write_text(f'#!/bin/sh\necho "$*" >> "$CC_LOG"\nexec {real[0]} "$@"\n')
    cc.chmod(0o755)
    first = _probing_process(tmp_path, str(cc))
    assert len(first) >= 2  # (the half-precision and OpenMP tests at least; more on AVX-512)
    assert _probing_process(tmp_path, str(cc)) == []
    assert _probing_process(tmp_path, str(cc), LAZYGRAD_NO_CACHE="c-probes") == first
    entries = list((tmp_path / "cache" / "probes").glob("*.json"))
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes()[:-3] + b"xx]")  # damaged: a miss, probed again
    assert _probing_process(tmp_path, str(cc)) == first
    assert _probing_process(tmp_path, str(cc)) == []
    os.utime(cc, ns=(cc.stat().st_atime_ns, cc.stat().st_mtime_ns + 10**9))  # the compiler changed
    assert _probing_process(tmp_path, str(cc)) == first
