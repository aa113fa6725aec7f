"""The vectorizable float32 exp2/log2/sin of the C renderer against numpy, specials included."""
import platform
import re
import subprocess

import numpy as np
import pytest

import lazygrad as lg

SPECIALS = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-45, 1e-38, 3e38, -3e38,
                     127.9, 128.0, -149.5, -150.0, -200.0, 0.5, 2.0], dtype=np.float32)


def _inputs(lo, hi, rng):
    return np.concatenate([SPECIALS, rng.uniform(lo, hi, 20000).astype(np.float32)])


@pytest.mark.parametrize("name,lo,hi", [("exp2", -160, 130), ("log2", 0, 1e6), ("sin", -1e4, 1e4)])
def test_float32_math_matches_numpy(rng, name, lo, hi):
    xs = _inputs(lo, hi, rng)
    if name == "log2":
        xs = np.concatenate([xs, np.exp(rng.uniform(-100, 88, 20000)).astype(np.float32)])
    if name == "sin":
        xs = xs[~(np.abs(xs) >= 1e9)]  # huge arguments: see the last test
    got = getattr(lg.Tensor(xs, device="c"), name)().numpy()
    with np.errstate(all="ignore"):
        ref = getattr(np, name)(xs.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)])
    np.testing.assert_allclose(got[finite], ref[finite], rtol=3e-7, atol=2e-7 if name != "exp2" else 1e-44)


def test_float16_uses_the_float32_path(rng):
    xs = rng.uniform(-4, 4, 1000).astype(np.float16)
    got = lg.Tensor(xs, device="c").exp2().numpy()
    np.testing.assert_allclose(got.astype(np.float32), np.exp2(xs.astype(np.float32)), rtol=2e-3)


def test_huge_sin_argument_gives_nan_not_garbage():
    got = lg.Tensor(np.array([1e20, -3e38], np.float32), device="c").sin().numpy()
    assert np.isnan(got).all()


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="reads x86 assembly")
@pytest.mark.parametrize("name", ["exp", "log", "sigmoid"])
def test_math_kernels_compile_to_vector_code(name, tmp_path):
    """The c device's flags let gcc vectorize exp2/log2's selects: without -fno-trapping-math
    a select whose arm may raise a floating-point flag stays a branch, and on a CPU without
    masked vector ops (AVX2) the whole loop stayed scalar (softmax 4.6x slower). Packed
    single-precision multiplies (mulps) in the kernel's assembly say it was vectorized."""
    from lazygrad.runtime.c import compiler_command, compiler_flags
    if not compiler_command():
        pytest.skip("no C compiler")
    x = lg.Tensor(np.linspace(-3, 3, 4096, dtype=np.float32), device="c")
    kernel = getattr(x, name)().schedule()[-1]
    flags = [f for f in compiler_flags() if f not in ("-shared", "-fPIC")]
    asm = tmp_path / "k.s"
    subprocess.run([*compiler_command(), *flags, "-S", "-x", "c", "-", "-o", str(asm)],
                   input=kernel.source("c").encode(), check=True, capture_output=True)
    assert re.search(r"\bv?mulps\b", asm.read_text()), "the kernel's loop was not vectorized"
