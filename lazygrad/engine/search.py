"""LAZYGRAD_BEAM=n: choose how a kernel is lowered by timing candidates on its device.

The hand heuristics (heuristics.choose_upcasts, optimize) are a good default, but which
register tile is fastest depends on the machine. With LAZYGRAD_BEAM=n set, the first time a
kernel runs it is compiled in several variants and each is timed on the real inputs:

  - start from the heuristics' choice and from no upcast at all;
  - each round, every one of the n fastest so far grows a neighbour per output dim (the
    dim's upcast doubled, halved or dropped; a small dim fully unrolled) and each neighbour
    is timed; stop when a round finds nothing faster;
  - then the n best are tried with and without parallel outer loops, and with each launch
    setting the device offers (Device.launch_options, e.g. OpenCL work-group sizes).

Every variant must compute the same values as the default one (compared on the real
inputs); one that does not is dropped and reported, since it means a lowering bug.

The winner is cached on disk per kernel and device (`<cache dir>/beam/<hash>.json`, written
atomically), keyed by the kernel's Kernel IR text, the device, its compiler or driver, the
CPU and n, so a second process, or a later run, skips the search.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from lazygrad.codegen.heuristics import choose_upcasts
from lazygrad.codegen.loop_ir import LoopKernel
from lazygrad.codegen.lower import lower
from lazygrad.config import Table, cpu, settings
from lazygrad.ir.node import Node
from lazygrad.ir.printer import print_graph
from lazygrad.runtime.buffer import Buffer
from lazygrad.runtime.disk_cache import atomic_write, cache_dir

SEARCH_VERSION = 1  # bump when the candidates or the cache format change
MAX_LANES = 256  # register lanes a candidate may hold (8x32 float32: 16 AVX-512 registers)
MAX_ROUNDS = 5
REPEATS = 3  # timed runs of a variant at least; more for short kernels, up to MAX_REPEATS
MAX_REPEATS = 20
MIN_TIMED = 2e-3  # seconds of runs per variant (a few microseconds alone are mostly noise)
MIN_GAIN = 0.02  # a round must beat the best by 2% to go on


def beam_width() -> int:
    """n of LAZYGRAD_BEAM=n (0: no search)."""
    return settings.beam


@dataclass(frozen=True)
class Choice:
    """How one kernel is lowered and launched."""
    upcasts: tuple[tuple[int, int], ...] = ()
    parallel: bool | None = None  # None: decided by the kernel's work
    launch: tuple[tuple[str, object], ...] = ()  # one of Device.launch_options, as items

    def lower(self, ast: Node, name: str) -> LoopKernel:
        return lower(ast, name, dict(self.upcasts), self.parallel)

    @property
    def launch_dict(self) -> dict | None:
        return dict(self.launch) or None

    def to_json(self) -> dict:
        return {"upcasts": [list(u) for u in self.upcasts], "parallel": self.parallel,
                "launch": dict(self.launch)}

    @staticmethod
    def from_json(d: dict) -> "Choice":
        return Choice(tuple((int(a), int(b)) for a, b in d["upcasts"]), d.get("parallel"),
                      tuple(sorted(d.get("launch", {}).items())))

    def __str__(self) -> str:
        ups = ",".join(f"d{d}x{f}" for d, f in self.upcasts) or "none"
        par = {None: "", True: " parallel", False: " serial"}[self.parallel]
        launch = "".join(f" {k}={v}" for k, v in self.launch)
        return f"upcast {ups}{par}{launch}"


@dataclass
class SearchResult:
    choice: Choice
    seconds: float
    default_seconds: float
    timed: dict[Choice, float] = field(default_factory=dict)
    rejected: list[Choice] = field(default_factory=list)
    from_cache: bool = False


WINNERS = Table("beam-winners", "the lowering and launch a search chose (or read from disk), keyed by "
                "(Kernel IR node, kernel name, device name, beam width)", 4096)
stats = {"searches": 0, "candidates": 0, "cache_hits": 0}


def _lanes(upcasts: dict[int, int]) -> int:
    n = 1
    for f in upcasts.values():
        n *= f
    return n


def neighbours(shape: tuple[int, ...], upcasts: dict[int, int]) -> list[dict[int, int]]:
    """Upcast choices one step away: one dim's factor doubled, halved or dropped, or a small
    dim (up to 16) unrolled whole. At most two dims are upcast and MAX_LANES lanes held."""
    out = []
    for d, extent in enumerate(shape):
        if extent == 1:
            continue
        f = upcasts.get(d, 1)
        options = {f * 2, f // 2, 1}
        if extent <= 16:
            options.add(extent)
        for g in sorted(options):
            if g == f or g < 1 or extent % g:
                continue
            new = dict(upcasts)
            if g == 1:
                new.pop(d, None)
            else:
                new[d] = g
            if len(new) <= 2 and _lanes(new) <= MAX_LANES:
                out.append(new)
    return out


def _choice(upcasts: dict[int, int], parallel=None, launch: dict | None = None) -> Choice:
    return Choice(tuple(sorted(upcasts.items())), parallel, tuple(sorted((launch or {}).items())))


class _Timer:
    """Compiles and times candidates of one kernel on one device with the real inputs."""

    def __init__(self, ast: Node, name: str, device, inputs: list, out_size: int, out_dtype):
        self.ast, self.name, self.device, self.inputs = ast, name, device, inputs
        self.out = Buffer(device.name, out_size, out_dtype)
        self.reference: np.ndarray | None = None
        self.best = float("inf")

    def compile_all(self, choices: list[Choice]) -> None:
        kernels = [c.lower(self.ast, self.name) for c in choices if not c.launch]
        if len(kernels) > 1:
            self.device.prepare(kernels)  # concurrently where the device compiles in threads

    def time(self, choice: Choice) -> float | None:
        """Seconds per run (the fastest of REPEATS), or None when the variant's values differ."""
        kernel = choice.lower(self.ast, self.name)
        program, _ = self.device.get_program(kernel, choice.launch_dict)
        handles = [self.out.handle] + [b.handle for b in self.inputs]
        program(*handles)  # warm: page faults, thread pool start
        self.device.synchronize()
        if not self._same_values():
            return None
        best, total = float("inf"), 0.0
        for i in range(MAX_REPEATS):
            seconds = program(*handles, timing=True) or 0.0
            best, total = min(best, seconds), total + seconds
            if best > 3 * self.best or (i + 1 >= REPEATS and total >= MIN_TIMED):
                break  # clearly worse than the best, or timed long enough
        self.best = min(self.best, best)
        return best

    def _same_values(self) -> bool:
        values = self.out.numpy()
        if self.reference is None:
            self.reference = values.copy()
            return True
        if values.dtype.kind in "fc":
            finite = np.abs(self.reference[np.isfinite(self.reference)])
            scale = float(finite.max()) if finite.size else 0.0
            return bool(np.allclose(values, self.reference, rtol=1e-4, atol=1e-5 * max(1.0, scale),
                                    equal_nan=True))
        return bool(np.array_equal(values, self.reference))


def search(ast: Node, name: str, device, inputs: list, out_size: int, out_dtype, width: int) -> SearchResult:
    """Beam search over lowering choices for one kernel; see the module docstring."""
    stats["searches"] += 1
    timer = _Timer(ast, name, device, inputs, out_size, out_dtype)
    timed: dict[Choice, float] = {}
    rejected: list[Choice] = []

    def run(choices: list[Choice]) -> None:
        choices = [c for c in dict.fromkeys(choices) if c not in timed and c not in rejected]
        timer.compile_all(choices)
        for c in choices:
            stats["candidates"] += 1
            seconds = timer.time(c)
            if seconds is None:
                rejected.append(c)
                print(f"lazygrad beam: variant '{c}' of kernel {name} gives other values than the "
                      f"default; dropped (a lowering bug, please report it)", file=sys.stderr)
            else:
                timed[c] = seconds

    default = _choice(choose_upcasts(ast))
    run([default, _choice({})])  # the default runs first: it gives the reference values
    best = min(timed.values())
    for _ in range(MAX_ROUNDS):
        beam = sorted(timed, key=timed.get)[:width]
        run([_choice(n) for c in beam if c.parallel is None and not c.launch
             for n in neighbours(ast.shape, dict(c.upcasts))])
        new_best = min(timed.values())
        if new_best > best * (1 - MIN_GAIN):
            break
        best = new_best
    beam = sorted(timed, key=timed.get)[:width]
    finals = [Choice(c.upcasts, p, c.launch) for c in beam for p in (True, False)]
    # each lowering's own options: whether a reduce may be shared depends on its tile
    finals += [_choice(dict(c.upcasts), c.parallel, launch) for c in beam
               for launch in device.launch_options(c.lower(ast, name))]
    run(finals)
    winner = min(timed, key=timed.get)
    return SearchResult(winner, timed[winner], timed[default], timed, rejected)


# ---- the disk cache -------------------------------------------------------------------------

IDENTITIES = Table("device-identities", "what a timing depends on besides the kernel (the device's "
                   "check(): its compiler or driver; the CPU's model), by device name", 64)


def device_identity(device) -> str:
    """What a timing depends on besides the kernel: the device, its compiler or driver, the CPU."""
    identity = IDENTITIES.get(device.name)
    if identity is None:
        ok, reason = device.check()
        identity = IDENTITIES.put(device.name, f"{device.name}|{reason}|{cpu().model}")
    return identity


def beam_dir() -> str:
    return os.path.join(cache_dir(), "beam")


def cache_path(ast: Node, device, width: int) -> str:
    parts = [print_graph([ast], locs=False), device_identity(device), str(width), str(SEARCH_VERSION)]
    text = "\0".join(parts)
    key = hashlib.sha256(text.encode()).hexdigest()[:32]
    return os.path.join(beam_dir(), f"{key}.json")


def load_choice(path: str) -> Choice | None:
    try:
        with open(path) as f:
            return Choice.from_json(json.load(f)["choice"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, or unreadable: search again (and overwrite it)


def save_result(path: str, name: str, result: SearchResult) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    record = {"kernel": name, "choice": result.choice.to_json(), "seconds": result.seconds,
              "default_seconds": result.default_seconds, "candidates": len(result.timed),
              "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
    # not durable: load_choice reads a file cut short by a power failure as a miss
    atomic_write(path, json.dumps(record, indent=1), durable=False)


def choose(ast: Node, name: str, device, inputs: list, out_size: int, out_dtype,
           width: int) -> tuple[LoopKernel, dict | None]:
    """The Loop IR and launch settings to run a kernel with under LAZYGRAD_BEAM=width:
    remembered in memory, else read from the disk cache, else searched (and saved)."""
    key = (ast, name, device.name, width)
    choice = WINNERS.get(key)
    if choice is None:
        path = cache_path(ast, device, width)
        choice = load_choice(path)
        if choice is not None:
            stats["cache_hits"] += 1
        else:
            start = time.perf_counter()
            result = search(ast, name, device, inputs, out_size, out_dtype, width)
            choice = result.choice
            save_result(path, name, result)
            if settings.debug >= 1:
                print(f"beam {name}: {choice} {result.seconds * 1e6:.1f} us (default "
                      f"{result.default_seconds * 1e6:.1f} us), {len(result.timed)} variants in "
                      f"{time.perf_counter() - start:.2f} s", file=sys.stderr)
        WINNERS.put(key, choice)
    return choice.lower(ast, name), choice.launch_dict
