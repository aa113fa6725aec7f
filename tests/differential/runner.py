"""Run a program on torch or lazygrad and compare what happened.

An outcome is everything a user could observe: for each statement, the builtin classes of the
exception it raised (if any) and the values it recorded with `R(x)`; at the end, every live
tensor name's value and the `.grad` of every leaf the program names. Two outcomes agree when
the same statements raise compatible classes, and every value has the same shape and dtype and
close (or, for cache on/off and repeated runs, identical) numbers.

    python -m differential.runner programs.json DEVICE out.npz   # used for LAZYGRAD_NO_CACHE=all
"""
from __future__ import annotations

import json
import re
import sys
import types
from dataclasses import dataclass, field

import numpy as np

# The classes an error is compared by: torch's classes must all be classes of lazygrad's error.
BUILTIN_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)
NAME = re.compile(r"^(v|c|h|w|x|y|loss|out)[0-9_a-z]*$")


@dataclass(frozen=True)
class Program:
    kind: str
    lines: tuple[str, ...]
    grads: tuple[str, ...] = ()  # leaves whose .grad is read at the end

    def source(self, backend: str = "torch", device: str = "cpu") -> str:
        """A runnable repro: the header binds the names the statements use."""
        module = "torch" if backend == "torch" else "lazygrad"
        jit = "lambda f: f" if backend == "torch" else "T.jit"
        head = [f"import {module} as T", "from numpy import float32",
                f"F, nn, optim, DEV, JIT = T.nn.functional, T.nn, T.optim, {device!r}, {jit}",
                "R = lambda x: print(x.tolist() if hasattr(x, 'tolist') else x)"]
        tail = [f"print({n!r}, {n}.grad)" for n in self.grads]
        return "\n".join(head + list(self.lines) + tail)


@dataclass
class Outcome:
    errors: dict[int, tuple[frozenset, str]] = field(default_factory=dict)  # line -> (classes, text)
    reads: list[tuple[int, object]] = field(default_factory=list)  # (line, value)
    finals: dict[str, object] = field(default_factory=dict)  # name or name.grad -> value


def namespace(T, device: str, jit: bool = False) -> dict:
    is_torch = T.__name__ == "torch"
    ns = {"T": T, "F": T.nn.functional, "nn": T.nn, "optim": T.optim, "float32": np.float32,
          "DEV": "cpu" if is_torch else device,
          "JIT": (T.jit if jit and not is_torch else (lambda f: f))}
    return ns


def to_value(x):
    """A host copy of whatever a program can hold: tensors, Python numbers, None."""
    if x is None or isinstance(x, (bool, int, float)):
        return x
    if hasattr(x, "detach"):
        x = x.detach()
        if getattr(x, "_is_zerotensor", None) is not None and x._is_zerotensor():
            x = x.new_zeros(x.shape)  # (torch's ZeroTensor, abs's second derivative: numpy cannot read it)
        a = x.cpu().numpy() if hasattr(x, "cpu") else x.numpy()
        return np.array(a, copy=True)
    if isinstance(x, (tuple, list)):
        return [to_value(v) for v in x]
    raise TypeError(f"cannot read a {type(x).__name__}")


def error_classes(e: BaseException) -> frozenset:
    return frozenset(c.__name__ for c in BUILTIN_ERRORS if isinstance(e, c))


def exec_line(ns: dict, line: str) -> None:
    exec(compile(line, "<program>", "exec"), ns)  # noqa: S102 - the program is data we drew


class _Perturbed:
    """torch whose float32 data enters a program moved by up to an ulp (T.tensor, T.linspace):
    how far that moves the outcome is how far float32 rounding alone can move it."""

    def __init__(self, T, seed: int) -> None:
        self._T, self._rng = T, np.random.default_rng(seed)

    def __getattr__(self, name):
        return getattr(self._T, name)

    def _nudge(self, t):
        if t.dtype != self._T.float32 or not t.numel():
            return t
        ulps = self._rng.integers(-1, 2, size=tuple(t.shape)).astype(np.float32)
        with self._T.no_grad():
            t.mul_(self._T.from_numpy(1 + ulps * np.float32(2.0 ** -23)))
        return t

    def tensor(self, *args, requires_grad=False, **kwargs):
        return self._nudge(self._T.tensor(*args, **kwargs)).requires_grad_(requires_grad)

    def linspace(self, *args, requires_grad=False, **kwargs):
        return self._nudge(self._T.linspace(*args, **kwargs)).requires_grad_(requires_grad)


def run(program: Program, T, device: str = "cpu", jit: bool = False, perturb: int | None = None) -> Outcome:
    """perturb: a seed; torch only: see _Perturbed."""
    out = Outcome()
    ns = namespace(T, device, jit)
    if perturb is not None:
        ns["T"] = _Perturbed(T, perturb)
    step = [0]
    ns["R"] = lambda x: out.reads.append((step[0], to_value(x)))
    for i, line in enumerate(program.lines):
        step[0] = i
        try:
            exec_line(ns, line)
        except Exception as e:  # noqa: BLE001 - every exception is part of the outcome
            out.errors[i] = (error_classes(e), f"{type(e).__name__}: {e}"[:300])
    for name in sorted(ns):
        if NAME.match(name) and not isinstance(ns[name], (types.FunctionType, types.ModuleType)):
            out.finals[name] = _read(lambda n=name: to_value(ns[n]))
    for name in program.grads:
        if name in ns:
            out.finals[name + ".grad"] = _read(lambda n=name: to_value(ns[n].grad))
    return out


def _read(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return ReadError(f"{type(e).__name__}: {e}"[:300])


@dataclass(frozen=True)
class ReadError:
    text: str


def compare(ref: Outcome, got: Outcome, exact: bool, rtol: float = 1e-4, atol: float = 1e-4) -> list[str]:
    """What differs between two outcomes (empty when they agree). `ref` is torch (or the first
    lazygrad run); with `exact`, numbers must be bit-identical and error classes equal."""
    bad = []
    for i in sorted(set(ref.errors) | set(got.errors)):
        r, g = ref.errors.get(i), got.errors.get(i)
        if r is None or g is None:
            bad.append(f"line {i}: " + (f"raises only on the reference: {r[1]}" if g is None
                                        else f"raises only here: {g[1]}"))
        elif not (r[0] == g[0] if exact else r[0] <= g[0]):
            bad.append(f"line {i}: error class {sorted(g[0])} ({g[1]}) but reference {sorted(r[0])} ({r[1]})")
    if len(ref.reads) != len(got.reads):
        bad.append(f"{len(got.reads)} reads, reference {len(ref.reads)}")
    for (i, r), (_, g) in zip(ref.reads, got.reads):
        why = differ(r, g, exact, rtol, atol)
        if why:
            bad.append(f"R(...) at line {i}: {why}")
    # a backward that raised on both sides may have filled some .grad first on torch's (its
    # engine runs in its own order until the failing node): those are not compared
    backward_errors = ("modified by an inplace operation", "derivative for")
    failed_backward = any(any(e in text for e in backward_errors) and i in got.errors
                          for i, (_, text) in ref.errors.items())
    for name in sorted(set(ref.finals) | set(got.finals)):
        if failed_backward and name.endswith(".grad"):
            continue
        if name not in got.finals or name not in ref.finals:
            bad.append(f"{name}: " + ("missing here" if name not in got.finals else "only here"))
            continue
        why = differ(ref.finals[name], got.finals[name], exact, rtol, atol)
        if why:
            bad.append(f"{name}: {why}")
    return bad


def differ(r, g, exact: bool, rtol: float, atol: float) -> str | None:
    if isinstance(r, ReadError) or isinstance(g, ReadError):
        return None if type(r) is type(g) and (not exact or r == g) else f"read {g} (reference {r})"
    if r is None or g is None:
        return None if r is g else f"{g!r} (reference {r!r})"
    if isinstance(r, list) or isinstance(g, list):
        if not (isinstance(r, list) and isinstance(g, list) and len(r) == len(g)):
            return f"{g!r} (reference {r!r})"
        return next((w for w in (differ(a, b, exact, rtol, atol) for a, b in zip(r, g)) if w), None)
    ra, ga = np.asarray(r), np.asarray(g)
    if isinstance(r, (bool, int, float)) and not exact:  # a Python number (lr, .item())
        ra, ga = ra.astype(np.float64), ga.astype(np.float64)
    if ra.shape != ga.shape:
        return f"shape {ga.shape} (reference {ra.shape})"
    if ra.dtype != ga.dtype:
        return f"dtype {ga.dtype} (reference {ra.dtype})"
    if exact or ra.dtype.kind in "biu":
        if np.array_equal(ra, ga, equal_nan=ra.dtype.kind == "f"):
            return None
        return f"{_show(ga, 9)} (reference {_show(ra, 9)})"
    finite = np.abs(ra[np.isfinite(ra)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    if np.allclose(ga, ra, rtol=rtol, atol=atol * scale, equal_nan=True):
        return None
    return f"{_show(ga)} (reference {_show(ra)})"


def in_float64(program: Program) -> Program:
    """The same program computed in float64 (run it on torch under `float64_default`): the
    arbiter where float32 roundings differ."""
    return Program(program.kind, tuple(line.replace("T.float32", "T.float64") for line in program.lines),
                   program.grads)


def run_in_float64(program: Program, torch) -> Outcome:
    """in_float64(program) on torch with float64 as the default dtype (linspace, nn.Linear)."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return run(in_float64(program), torch)
    finally:
        torch.set_default_dtype(default)


def compare_to_exact(ref: Outcome, exact: Outcome, got: Outcome, nudged: Outcome | None = None,
                     rtol: float = 1e-4, atol: float = 1e-4) -> list[str]:
    """What differs when the float64 run is the arbiter: an ill-conditioned program (Adam or
    RMSprop dividing a gradient that cancels to about 0 by its own root mean square) amplifies
    float32 rounding, torch's as much as ours. A value passes when it is no further from the
    float64 value than torch's float32 value is, or torch's float32 value from inputs moved by
    an ulp (`nudged`), twice that plus the usual tolerance: never when torch's float32 agrees
    with float64, even with its inputs moved, and ours does not."""
    bad = [d for d in compare(ref, got, exact=False, rtol=rtol, atol=atol) if d.startswith("line ")]
    nudged = nudged or ref
    pairs = [(f"R(...) at line {i}", r, e, g, n) for (i, r), (_, e), (_, g), (_, n)
             in zip(ref.reads, exact.reads, got.reads, nudged.reads)]
    pairs += [(k, ref.finals[k], exact.finals.get(k), got.finals.get(k), nudged.finals.get(k))
              for k in sorted(ref.finals)]
    for what, r, e, g, n in pairs:
        why = differ(r, g, False, rtol, atol)
        if why and not _no_further(r, e, g, n, rtol, atol):
            bad.append(f"{what}: {why}; float64 gives {e if not isinstance(e, np.ndarray) else _show(e)}")
    return bad


def _no_further(r, e, g, n, rtol: float, atol: float) -> bool:
    try:
        ra, ea, ga, na = (np.asarray(v, dtype=np.float64) for v in (r, e, g, n))
    except (TypeError, ValueError):
        return False
    if not (ra.shape == ea.shape == ga.shape == na.shape):
        return False
    finite = np.abs(ea[np.isfinite(ea)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    with np.errstate(invalid="ignore"):
        spread = np.fmax(np.abs(ra - ea), np.abs(na - ea))
        allowed = 2 * spread + atol * scale + rtol * np.abs(ea)
        ok = (np.abs(ga - ea) <= allowed) | (np.isnan(ea) & np.isnan(ga)) | (ea == ga)
    return bool(np.all(ok))


def _show(a: np.ndarray, precision: int = 6) -> str:
    return np.array2string(a, precision=precision, threshold=40).replace("\n", "")


def dump(outcomes: list[Outcome]) -> dict:
    """Outcomes as JSON-able data (numbers as lists with dtypes), for a subprocess to hand back."""
    def enc(v):
        if isinstance(v, np.ndarray):
            return {"a": v.tolist(), "dtype": str(v.dtype), "shape": list(v.shape)}
        if isinstance(v, ReadError):
            return {"read_error": v.text}
        if isinstance(v, list):
            return {"list": [enc(x) for x in v]}
        return {"py": v}
    return [{"errors": {str(k): [sorted(c), t] for k, (c, t) in o.errors.items()},
             "reads": [[i, enc(v)] for i, v in o.reads],
             "finals": {k: enc(v) for k, v in o.finals.items()}} for o in outcomes]


def load(data: list) -> list[Outcome]:
    def dec(v):
        if "a" in v:
            return np.array(v["a"], dtype=v["dtype"]).reshape(v["shape"])
        if "read_error" in v:
            return ReadError(v["read_error"])
        if "list" in v:
            return [dec(x) for x in v["list"]]
        return v["py"]
    return [Outcome({int(k): (frozenset(c), t) for k, (c, t) in o["errors"].items()},
                    [(i, dec(v)) for i, v in o["reads"]],
                    {k: dec(v) for k, v in o["finals"].items()}) for o in data]


def main(argv: list[str]) -> None:
    import lazygrad
    path, device, out = argv
    with open(path) as f:
        programs = [Program(p["kind"], tuple(p["lines"]), tuple(p["grads"])) for p in json.load(f)]
    outcomes = [run(p, lazygrad, device, jit=p.kind == "jit") for p in programs]
    with open(out, "w") as f:
        json.dump(dump(outcomes), f)


if __name__ == "__main__":
    main(sys.argv[1:])
