"""Differential tests: random programs over the public API give torch's numbers, gradients and
error classes on every device, and identical bits when run again or with every cache off.

The programs are data (tests/differential): each runs on torch and on lazygrad through one
interpreter. A failure prints the program as a runnable script for either side.

    LAZYGRAD_DIFF_EXAMPLES=10   10 times as many programs (about 20 minutes on 2 cores)
    LAZYGRAD_DIFF_SEED=7        other programs than CI's (CI draws the same ones every run)
    LAZYGRAD_DIFF_SHRINK=1      shrink a failing program to a minimal one (slow)
"""
import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from differential import higher_order, programs, runner, training
from hypothesis import HealthCheck, Phase, given, seed, settings

import lazygrad
from lazygrad import config
from lazygrad.runtime.registry import get_device

SCALE = float(os.environ.get("LAZYGRAD_DIFF_EXAMPLES", "1"))
SEED = os.environ.get("LAZYGRAD_DIFF_SEED")
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("LAZYGRAD_DIFF_SHRINK") else [])
# Cold kernel compiles dominate (about 0.1-0.2 s a kernel for C, 0.4 s for PoCL; the python
# device compiles nothing and runs these small tensors fast, but schedules as the others do):
# OpenCL runs half as many programs, the python device twice as many, and 15 times as many op
# programs, its cheapest (most of what these find is above the devices). (Six and 45 times
# took the python device's share past ten minutes of one core on a 2-core Zen 3.)
DEVICE_SHARE = {"python": 2, "opencl": 0.5}
OP_SHARE = {"python": 15, "opencl": 0.5}

settings.register_profile(
    "differential", deadline=None, derandomize=SEED is None, database=None, phases=PHASES,
    print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                             HealthCheck.data_too_large, HealthCheck.differing_executors])


def examples(n: int, device: str, share: dict) -> settings:
    count = max(1, round(n * SCALE * share.get(device, 1.0)))
    return settings(settings.get_profile("differential"), max_examples=count)


def differential(strategy, n: int, device: str, share: dict = DEVICE_SHARE):
    """Decorate a check(program) so it runs on `n` drawn programs (scaled) for this device."""
    def wrap(check):
        fn = examples(n, device, share)(given(strategy)(check))
        return seed(int(SEED))(fn) if SEED is not None else fn
    return wrap


# Every cache but `realized` is a pure function of its key: off, it must not change a bit.
# `realized` holds values computed earlier; off, a value is computed again in the kernel that
# needs it, and a value computed in another kernel can round differently in the last place
# (fused multiply-adds, the order of a sum's lanes): off, it must agree to a few ulps.
# `programs` (compiled binaries, a pure function of the source text) is left on in these runs:
# off, every kernel is compiled again, which would take most of the suite's time; a test of
# its own switches it off for a few programs. `c-flags` too: off, every compile probes the
# compiler again (three more compiler runs a kernel). The lists are made when a test runs, not
# when this file is imported: a device's caches are registered when it is first used.
NOT_PURE = ("realized",)
COMPILED = ("programs", "c-flags")


def pure_caches() -> list[str]:
    return [c.name for c in config.caches() if c.name not in NOT_PURE + COMPILED]


def all_but_compiled() -> list[str]:
    return [c.name for c in config.caches() if c.name not in COMPILED]


ULPS = {"rtol": 4e-6, "atol": 1e-6}


def check_program(program: runner.Program, device: str, jit: bool = False) -> None:
    """lazygrad agrees with torch; a second run and a run with the pure caches off give the
    same bits, and a run with every cache off the same numbers to a few ulps."""
    reference = runner.run(program, torch)
    first = runner.run(program, lazygrad, device, jit=jit)
    again = runner.run(program, lazygrad, device, jit=jit)
    with config.caches_disabled(*pure_caches()):
        uncached = runner.run(program, lazygrad, device, jit=jit)
    with config.caches_disabled(*all_but_compiled()):
        recomputed = runner.run(program, lazygrad, device, jit=jit)
    versus_torch = runner.compare(reference, first, exact=False)
    if any("INTERNAL ASSERT FAILED" in text for _, text in reference.errors.values()):
        versus_torch = []  # torch's own bug (a float written into a bool tensor, then backward): no reference
    if versus_torch and not any(d.startswith("line ") for d in versus_torch):
        # the same errors, other numbers: let float64 say whose float32 rounding went astray
        exact = runner.run_in_float64(program, torch)
        nudged = runner.run(program, torch, perturb=0)
        versus_torch = runner.compare_to_exact(reference, exact, first, nudged)
    failures = [(what, diffs) for what, diffs in [
        ("lazygrad vs torch", versus_torch),
        ("second run vs first (bits)", runner.compare(first, again, exact=True)),
        ("pure caches off vs on (bits)", runner.compare(first, uncached, exact=True)),
        ("every cache off vs on (ulps)", runner.compare(first, recomputed, exact=False, **ULPS)),
    ] if diffs]
    if jit and failures and failures[0][0] == "lazygrad vs torch":
        eager = runner.compare(reference, runner.run(program, lazygrad, device), exact=False)
        failures.append(("(the same program without lg.jit vs torch)", eager or ["agrees"]))
    if failures:
        report = "\n".join(f"{what}:\n    " + "\n    ".join(diffs[:8]) for what, diffs in failures)
        pytest.fail(f"on device {device!r}:\n{report}\nprogram:\n{program.source('lazygrad', device)}",
                    pytrace=False)


def test_op_programs_match_torch(device):
    @differential(programs.op_programs(), 60, device, OP_SHARE)
    def check(program):
        check_program(program, device)
    check()


def test_functions_and_second_derivatives_match_torch(device):
    """Custom autograd.Functions and double backward (higher_order.py)."""
    @differential(higher_order.higher_order_programs(), 8, device)
    def check(program):
        check_program(program, device)
    check()


def test_optimizer_programs_match_torch(device):
    @differential(training.optim_programs(), 12, device)
    def check(program):
        check_program(program, device)
    check()


def test_jit_training_replays_match_eager_torch(device):
    @differential(training.jit_programs(), 6, device)
    def check(program):
        check_program(program, device, jit=True)
    check()


def test_jit_op_programs_match_torch(device):
    @differential(training.jit_op_programs(), 12, device)
    def check(program):
        check_program(program, device, jit=True)
    check()


def _drawn(strategy, n: int) -> list:
    """The first n programs a strategy draws (derandomized: the same every run)."""
    drawn = []

    @settings(settings.get_profile("differential"), max_examples=n, derandomize=True,
              phases=[Phase.generate])
    @given(strategy)
    def collect(program):
        drawn.append(program)
    collect()
    return drawn[:n]


def test_no_cache_environment_gives_the_same_bits(device, tmp_path):
    """LAZYGRAD_NO_CACHE naming every pure cache, in a fresh process, gives the bits this process
    gives with caches on (LAZYGRAD_NO_CACHE=all agrees to a few ulps: see pure_caches)."""
    progs = (_drawn(programs.op_programs(), 6) + _drawn(training.optim_programs(), 2)
             + _drawn(training.jit_programs(), 1))
    path = tmp_path / "programs.json"
    path.write_text(json.dumps([{"kind": p.kind, "lines": p.lines, "grads": p.grads} for p in progs]))
    get_device(device)  # (its caches are registered when it is first made)
    env = dict(os.environ, LAZYGRAD_NO_CACHE=",".join(pure_caches()),
               PYTHONPATH=os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-m", "differential.runner", str(path), device, str(tmp_path / "out.json")],
                   env=env, check=True, timeout=300)
    uncached = runner.load(json.loads((tmp_path / "out.json").read_text()))
    for program, other in zip(progs, uncached):
        here = runner.run(program, lazygrad, device, jit=program.kind == "jit")
        diffs = runner.compare(here, other, exact=True)
        assert not diffs, "\n".join(diffs[:8]) + "\nprogram:\n" + program.source("lazygrad", device)


def test_compiling_again_gives_the_same_bits(device):
    """The compiled-program cache off (every kernel built again) changes no bit."""
    for program in _drawn(programs.op_programs(), 2) + _drawn(training.optim_programs(), 1):
        first = runner.run(program, lazygrad, device)
        with config.caches_disabled("programs"):
            again = runner.run(program, lazygrad, device)
        diffs = runner.compare(first, again, exact=True)
        assert not diffs, "\n".join(diffs[:8]) + "\nprogram:\n" + program.source("lazygrad", device)


def test_a_remembered_schedule_caches_what_a_new_one_caches(device):
    """A second Adam step hits the schedule remembered from the first: the values cached on
    the way (the loss read between) must be those a schedule made anew caches, or the next
    schedule fuses differently and rounds differently (the schedules cache was not pure)."""
    lines = ("w0 = T.tensor([[1.125], [1.75]], dtype=T.float32, device=DEV, requires_grad=True)",
             "c0 = T.tensor([[0.875], [0.875]], dtype=T.float32, device=DEV)",
             "y0 = T.tensor([[-0.125], [2.0]], dtype=T.float32, device=DEV)",
             "w1 = T.tensor([1.875], dtype=T.float32, device=DEV, requires_grad=True)",
             "c1 = T.tensor([1.375], dtype=T.float32, device=DEV)",
             "y1 = T.tensor([0.5], dtype=T.float32, device=DEV)",
             "opt = optim.Adam([w0, w1], lr=0.1, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.1)")
    step = ("opt.zero_grad()",
            ("loss = (c0 * w0 * w0).sum() + (y0 * w0).sum() + (c1 * w1 * w1).sum() + (y1 * w1).sum()"
             " + 0.1 * w0.sum() * w1.mean()"),
            "R(loss)", "loss.backward()", "opt.step()", "R(opt.param_groups[0]['lr'])")
    program = runner.Program("optim", lines + step + step, ("w0", "w1"))
    first = runner.run(program, lazygrad, device)
    with config.caches_disabled("schedules"):
        again = runner.run(program, lazygrad, device)
    diffs = runner.compare(first, again, exact=True)
    assert not diffs, "\n".join(diffs)
