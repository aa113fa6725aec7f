"""The other implementations of every benchmark workload, each timed in a child process.

    python tools/bench_others.py IMPL REPEAT NAME...    (what tools/bench.py runs)

IMPL is one of OTHERS: `torch` (eager), `torch.compile` (inductor) or `tinygrad` (the first of
its CPU backends that works here; every one of them needs `clang` on PATH; $DEV picks one, $BEAM
turns on its kernel search). A child builds the inputs of tools/bench_workloads.py from the same
seed, realizes them, warms each workload up (compiles it) outside the timing, checks kernel
outputs against numpy, and prints one `BENCH {json}` line a workload. Children run one at a
time and never beside lazygrad: their thread pools and ours would spin on the same cores.
Nothing here is a dependency of lazygrad; a missing library only drops its column.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_workloads as bw

OTHERS = ("torch", "torch.compile", "tinygrad")
TINYGRAD_BACKENDS = ("CPU:CLANG", "CPU:LLVM", "CPU:X86")  # tinygrad's default first; see TinygradRunner
MARK = "BENCH "


def missing(impl: str) -> str | None:
    """Why `impl` cannot run in this environment, or None when it can."""
    module = "torch" if impl.startswith("torch") else impl
    return None if importlib.util.find_spec(module) else f"{module} is not installed"


# ---- parent side ---------------------------------------------------------------------------------

def time_in_child(impl: str, names: list[str], repeat: int, timeout: float = 1800) -> tuple[dict, dict]:
    """Times `names` under `impl` in child processes: ({name: result}, {"about": ...}).

    A result holds `seconds` (median), `first_call_s` and `correct` (None where there is no
    numpy reference), or `error`. A child that dies mid-run takes only the workload it was on
    with it: the rest run in a new child. One that dies before it starts fails them all."""
    results: dict[str, dict] = {}
    header: dict = {}
    todo = list(names)
    while todo:
        started = False
        try:
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), impl, str(repeat), *todo],
                                  capture_output=True, text=True, timeout=timeout, check=False)
            stdout, stderr, died = proc.stdout, proc.stderr, proc.returncode != 0
        except subprocess.TimeoutExpired as e:
            stdout, stderr, died = _text(e.stdout), f"timed out after {timeout:.0f} s", True
        for line in stdout.splitlines():
            if line.startswith(MARK):
                record = json.loads(line[len(MARK):])
                if "workload" in record:
                    results[record.pop("workload")] = record
                else:
                    header, started = record, True
        todo = [n for n in todo if n not in results]
        if todo and died and started:
            results[todo.pop(0)] = {"error": f"child died: {_last_line(stderr)}"}
        elif todo:  # it could not start (or printed nothing): no point in trying again
            why = f"could not start: {_last_line(stderr)}" if died else "the child printed no result"
            results.update({name: {"error": why} for name in todo})
            todo = []
    return results, header


def _last_line(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()] or ["exited without a message"]
    return lines[-1][:300]


def _text(out: bytes | str | None) -> str:
    return out.decode(errors="replace") if isinstance(out, bytes) else out or ""


# ---- child side: the implementations ----------------------------------------------------------------

class TorchRunner:
    """torch eager, or with `compiled` every workload function under torch.compile."""

    def __init__(self, compiled: bool):
        if compiled:
            # inductor's pool of compile workers would linger beside the timed calls
            os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
        import torch
        self.torch, self.compiled = torch, compiled
        torch.manual_seed(0)
        mode = "torch.compile (inductor)" if compiled else "eager"
        self.about = {"about": f"torch {torch.__version__} {mode}, {torch.get_num_threads()} threads"}

    def wrap(self, fn: Callable) -> Callable:
        return self.torch.compile(fn) if self.compiled else fn

    def kernel(self, name: str, inputs: list[np.ndarray]) -> tuple[Callable, Callable]:
        torch = self.torch
        fns = {"gelu chain 16M": bw.gelu_chain_tensor,
               "softmax 4096x4096 rows": lambda x: torch.softmax(x, 1),
               "sum 4096x4096 axis 1": lambda x: x.sum(1),
               "sum 4096x4096 axis 0": lambda x: x.sum(0),
               bw.COPY: lambda x: x.clone(),
               "matmul 1024": lambda a, b: a @ b,
               "matmul 2048": lambda a, b: a @ b,
               "conv2d 32x16x32x32 * 32x16x3x3": lambda x, w: torch.nn.functional.conv2d(x, w, padding=1)}
        fn, tensors = self.wrap(fns[name]), [torch.from_numpy(a) for a in inputs]
        return lambda: fn(*tensors), lambda out: out.numpy()

    def model(self, key: str) -> tuple[Callable, int]:
        import bench_others_models as m
        return m.torch_model(self.torch, key, self.wrap)


class TinygradRunner:
    """tinygrad on the first backend of TINYGRAD_BACKENDS that runs here ($DEV overrides)."""

    def __init__(self):
        backends = [os.environ["DEV"]] if os.environ.get("DEV") else list(TINYGRAD_BACKENDS)
        import tinygrad
        from tinygrad import Device, Tensor
        from tinygrad.helpers import Context
        failures = []
        for backend in backends:
            try:
                self.context = Context(DEV=backend)
                self.context.__enter__()
                if _tinygrad_probe(Tensor):
                    break
                failures.append(f"{backend}: wrong results")
            except Exception as e:  # noqa: BLE001  a missing compiler or library: try the next backend
                failures.append(f"{backend}: {type(e).__name__}: {str(e).strip()[:120]}")
            self.context.__exit__(None, None, None)
        else:
            raise RuntimeError("no tinygrad CPU backend runs here (" + "; ".join(failures) + ")")
        self.tensor, self.device = Tensor, Device[Device.DEFAULT]
        version = getattr(tinygrad, "__version__", None) or _dist_version("tinygrad")
        beam = f"BEAM={os.environ['BEAM']}" if os.environ.get("BEAM") else "no BEAM search"
        self.about = {"about": f"tinygrad {version} {backend}, {beam}", "backend": backend}

    def kernel(self, name: str, inputs: list[np.ndarray]) -> tuple[Callable, Callable]:
        fns = {"gelu chain 16M": bw.gelu_chain_tensor,
               "softmax 4096x4096 rows": lambda x: x.softmax(1),
               "sum 4096x4096 axis 1": lambda x: x.sum(1),
               "sum 4096x4096 axis 0": lambda x: x.sum(0),
               bw.COPY: lambda x: x.clone(),  # (a realized tensor's contiguous() copies nothing)
               "matmul 1024": lambda a, b: a @ b,
               "matmul 2048": lambda a, b: a @ b,
               "conv2d 32x16x32x32 * 32x16x3x3": lambda x, w: x.conv2d(w, padding=1)}
        fn, tensors = fns[name], [self.tensor(a).realize() for a in inputs]

        def call():
            out = fn(*tensors).realize()
            self.device.synchronize()  # realize only queues the work on the CPU workers
            return out
        return call, lambda out: out.numpy()

    def model(self, key: str) -> tuple[Callable, int]:
        import bench_others_models as m
        return m.tinygrad_model(self.tensor, self.device, key)


def _tinygrad_probe(Tensor) -> bool:
    """A small matmul, reduce and vectorizable elementwise op: a backend whose compiler does not
    fit this machine (tinygrad's LLVM IR against an older libLLVM) fails here, not mid-table."""
    a = np.arange(256, dtype=np.float32).reshape(16, 16) / 256
    t = Tensor(a)
    out = ((t @ t).sum(1) + (t * 0.5).tanh().sum(0)).numpy()
    return bool(np.allclose(out, (a @ a).sum(1) + np.tanh(a * 0.5).sum(0), rtol=1e-4, atol=1e-4))


def _dist_version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


TINY_OP_REPEAT = {"tiny op": 200, "tiny op jit": 100}  # as many calls as bench_models.tiny_op_lazygrad


def time_workload(runner: TorchRunner | TinygradRunner, name: str, repeat: int) -> dict:
    """One workload's median seconds (per op for the jit tiny-op row), first call and check."""
    kernels = {w.name: w for w in bw.KERNELS}
    models = {w.name: w for w in bw.MODELS}
    start = time.perf_counter()
    if name in kernels:
        w = kernels[name]
        inputs = w.make_inputs(np.random.default_rng(0))
        call, to_numpy = runner.kernel(name, inputs)
        out = to_numpy(call())  # the first call compiles
        first = time.perf_counter() - start
        correct = bw.matches(out, w.numpy_fn(*inputs))
        return {"seconds": bw.median_time(call, repeat), "first_call_s": first, "correct": correct}
    key = models[name].key
    call, ops = runner.model(key)
    call()
    first = time.perf_counter() - start
    repeat = max(repeat, TINY_OP_REPEAT.get(key, 0))
    with bw.busy_core() if key in bw.BUSY_STEPS else contextlib.nullcontext():
        return {"seconds": bw.median_time(call, repeat) / ops, "first_call_s": first, "correct": None}


def child_main(impl: str, repeat: int, names: list[str]) -> None:
    runners = {"torch": lambda: TorchRunner(compiled=False),
               "torch.compile": lambda: TorchRunner(compiled=True),
               "tinygrad": TinygradRunner}
    if impl not in runners:
        raise SystemExit(f"unknown implementation {impl!r}; choose from {', '.join(OTHERS)}")
    runner = runners[impl]()
    print(MARK + json.dumps(runner.about), flush=True)
    for name in names:
        try:
            result = time_workload(runner, name, repeat)
        except Exception as e:  # noqa: BLE001  reported in the table's notes; the others go on
            lines = [ln for ln in str(e).strip().splitlines() if ln.strip()] or [""]
            result = {"error": f"{type(e).__name__}: {lines[0][:300]}"}
        print(MARK + json.dumps({"workload": name, **result}), flush=True)


if __name__ == "__main__":
    child_main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
