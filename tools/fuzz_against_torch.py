"""Random calls compared with torch: values, dtypes, shapes, error classes and gradients.

    python tools/fuzz_against_torch.py ops   0:2000 [--device c]   # every dtype, 0-dim and empty
    python tools/fuzz_against_torch.py grads 0:2000                # gradients at 0, -0, 1e-3, 300
    python tools/fuzz_against_torch.py views 0:2000                # views, in-place writes, backward

Each seed draws one case and runs it on torch and on lazygrad; a case is printed where the two
disagree: one raises and the other does not, the classes differ (lazygrad's must be an instance
of torch's), or the results differ in dtype, shape or value. The test suite (the differential
tests, tests/test_dtype_kernels.py, tests/test_gradient_edges.py, tests/test_inplace_chains.py)
holds what these found; this is the search that finds more. Deterministic per seed.
"""
from __future__ import annotations

import argparse
import traceback
import warnings

import numpy as np
import torch

import lazygrad as lg

DTYPES = ["float32", "float64", "int64", "int32", "bool", "float16", "uint8", "int16"]
UNARY = ["abs", "neg", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "frac", "sign", "sgn", "reciprocal", "square", "log1p", "expm1", "log2", "log10", "exp2", "erf", "erfc", "erfinv", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "signbit", "nan_to_num", "positive", "deg2rad", "rad2deg", "i0", "lgamma", "digamma", "sinc", "logit", "angle", "fix"]
BINARY = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "atan2", "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "hypot", "copysign", "logaddexp", "logaddexp2", "xlogy", "nextafter", "heaviside", "gcd", "lcm", "ldexp", "float_power"]
REDUCE = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "std", "var", "logsumexp", "all", "any", "norm", "nansum", "nanmean", "count_nonzero", "median", "nanmedian", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "softmax", "log_softmax"]
ALONG_ONE_DIM = {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "softmax", "log_softmax"}
ONE_DIM_ONLY = {"median", "nanmedian", "max", "min", "argmax", "argmin", "all", "any", "prod"}
GRAD_FUNCTIONS = ["abs", "exp", "log", "sqrt", "sin", "tan", "tanh", "sigmoid", "relu", "frac", "reciprocal", "log1p", "expm1", "erf", "erfinv", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sinc", "logit", "lgamma", "special.entr", "special.ndtri", "special.log_ndtr", "special.erfcx", "special.i0e", "special.i1", "nn.functional.softplus", "nn.functional.elu", "nn.functional.gelu", "nn.functional.silu", "nn.functional.mish", "nn.functional.hardswish", "nn.functional.logsigmoid", "nn.functional.softsign", "cumprod", "logcumsumexp", "softmax", "sum", "prod", "amax", "std", "norm", "logsumexp", "median", "nanmedian"]
GRAD_PAIRS = ["add", "mul", "div", "pow", "atan2", "maximum", "fmax", "hypot", "copysign", "logaddexp", "xlogy", "fmod", "remainder", "special.xlog1py"]
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 1e-3, 300.0, -300.0, 0.25, 1.5]


def _attr(module, dotted: str):
    for part in dotted.split("."):
        module = getattr(module, part)
    return module


def _array(rng, dtype: str, shape: tuple) -> np.ndarray:
    if dtype == "bool":
        return np.asarray(rng.rand(*shape) > 0.5)
    if dtype.startswith("float"):
        return np.asarray(rng.randint(-16, 17, size=shape) / 4).astype(dtype)
    low = 0 if dtype == "uint8" else -6
    return np.asarray(rng.randint(low, 10 if dtype == "uint8" else 7, size=shape)).astype(dtype)


def _shape(rng) -> tuple:
    return tuple(int(rng.choice([0, 1, 2, 3, 4], p=[.05, .2, .3, .3, .15])) for _ in range(rng.randint(0, 4)))


def _on(m, a, device):
    if not isinstance(a, np.ndarray):
        return a
    return m.tensor(a) if m is torch else m.tensor(a, device=device)


def _dtype_of(m, v):
    return getattr(m, str(v).rsplit(".", 1)[-1]) if isinstance(v, torch.dtype) else v


def draw_op(rng):
    """(text, call(module, device)) of one random function call."""
    dtype, shape = str(rng.choice(DTYPES)), _shape(rng)
    x, kwargs = _array(rng, dtype, shape), {}
    kind = rng.choice(["unary", "binary", "reduce"])
    if kind == "unary":
        name, args = str(rng.choice(UNARY)), [x]
    elif kind == "binary":
        name = str(rng.choice(BINARY))
        if rng.rand() < 0.2:
            y = [2, -1, 0.5, 3.0, True, -2.5, 0][rng.randint(7)]
        else:
            other = shape[rng.randint(0, len(shape) + 1):] if rng.rand() < 0.7 else _shape(rng)
            y = _array(rng, str(rng.choice(DTYPES)), tuple(1 if rng.rand() < 0.2 else k for k in other))
        args = [x, y] if rng.rand() < 0.85 or not isinstance(y, np.ndarray) else [y, x]
        if name in ("add", "sub") and rng.rand() < 0.3:
            kwargs["alpha"] = [2, 0.5, -1][rng.randint(3)]
        if name == "div" and rng.rand() < 0.4:
            kwargs["rounding_mode"] = ["trunc", "floor", None][rng.randint(3)]
    else:
        name, args, nd = str(rng.choice(REDUCE)), [x], len(shape)
        if name in ALONG_ONE_DIM:
            kwargs["dim"] = int(rng.randint(-nd, nd)) if nd else 0
        elif rng.rand() < 0.6 and nd:
            one = rng.rand() < 0.7 or name in ONE_DIM_ONLY
            kwargs["dim"] = int(rng.randint(-nd, nd)) if one else tuple(sorted({int(v) for v in rng.randint(-nd, nd, 2)}))
            if rng.rand() < 0.5:
                kwargs["keepdim"] = bool(rng.rand() < 0.5)
        if name in ("sum", "mean", "prod", "nansum", "nanmean", "cumsum", "softmax") and rng.rand() < 0.2:
            kwargs["dtype"] = [torch.float64, torch.int64, torch.float32][rng.randint(3)]
        if name in ("std", "var") and rng.rand() < 0.4:
            kwargs["correction"] = int(rng.randint(0, 3))
    text = f"{name}({', '.join(f'{a.dtype}{a.shape}' if isinstance(a, np.ndarray) else repr(a) for a in args)}, {kwargs})"

    def call(m, device):
        return _attr(m, name)(*(_on(m, a, device) for a in args), **{k: _dtype_of(m, v) for k, v in kwargs.items()})
    return text, call


def draw_grad(rng):
    """(text, call(module, device)) differentiating one function at edge points (float64)."""
    pair = rng.rand() < 0.35
    name = str(rng.choice(GRAD_PAIRS if pair else GRAD_FUNCTIONS))
    shape = tuple(int(rng.randint(1, 4)) for _ in range(rng.randint(1, 3)))
    points = [np.array(rng.choice(EDGES, size=shape)) if rng.rand() < 0.6 else rng.uniform(-3, 3, shape)
              for _ in range(2 if pair else 1)]
    kwargs = {"dim": int(rng.randint(len(shape)))} if name in ("cumprod", "logcumsumexp", "softmax") else {}
    text = f"d {name}({', '.join(str(p.tolist()) for p in points)}, {kwargs})"

    def call(m, device):
        leaves = [m.tensor(p, dtype=m.float64, requires_grad=True, **({} if m is torch else {"device": device}))
                  for p in points]
        out = _attr(m, name)(*leaves, **kwargs)
        weights = np.linspace(0.5, 1.5, max(out.numel(), 1)).reshape(tuple(out.shape))
        (out * _on(m, weights, device)).sum().backward()
        return [out.detach()] + [t.grad for t in leaves]
    return text, call


def draw_views(rng):
    """(text, call(module, device)) of a chain of views and in-place writes, then backward."""
    shape = tuple(int(rng.randint(1, 5)) for _ in range(rng.randint(1, 4)))
    data = rng.randint(-8, 8, size=shape) / 4
    steps = [(int(rng.randint(0, 1 << 30)), rng.rand() < 0.55) for _ in range(rng.randint(2, 8))]
    views = [("t", lambda v: v.transpose(0, -1)), ("[::2]", lambda v: v[::2]), ("[1:]", lambda v: v[1:]),
             ("select", lambda v: v[0]), ("diagonal", lambda v: v.diagonal(0, 0, -1)),
             ("unsqueeze", lambda v: v.unsqueeze(0)), ("[..., ::2]", lambda v: v[..., ::2]),
             ("expand", lambda v: v.unsqueeze(0).expand(2, *v.shape)), ("detach", lambda v: v.detach()),
             ("flatten", lambda v: v.view(-1))]
    writes = [("add_", lambda v: v.add_(1.5)), ("mul_", lambda v: v.mul_(-2)), ("fill_", lambda v: v.fill_(0.25)),
              ("clamp_", lambda v: v.clamp_(-1, 1)), ("sin_", lambda v: v.sin_()), ("pow_", lambda v: v.pow_(2)),
              ("x[...] = x + 1", lambda v: v.__setitem__(Ellipsis, v + 1)), ("neg_", lambda v: v.neg_()),
              ("masked_fill_", lambda v: v.masked_fill_(v > 0, -0.5)), ("zero_", lambda v: v.zero_())]
    text = f"views of {list(shape)}: " + ", ".join(
        f"{(views if is_view else writes)[k % 10][0]} of #{k}" for k, is_view in steps)

    def call(m, device):
        leaf = m.tensor(data, dtype=m.float64, requires_grad=True, **({} if m is torch else {"device": device}))
        names, log = [leaf * 1], []
        for k, is_view in steps:
            target = names[k % len(names)]
            fn = (views if is_view else writes)[k % 10][1]
            try:
                made = fn(target)
            except Exception as e:  # noqa: BLE001 - compared by class with the other library's
                log.append(type(e))
                continue
            if is_view:
                names.append(made)
        (names[0] * _on(m, np.linspace(0.5, 1.5, data.size).reshape(shape), device)).sum().backward()
        return [n.detach() for n in names] + [leaf.grad, log]
    return text, call


def _differ(ours, theirs) -> str | None:
    if isinstance(theirs, (list, tuple)):
        if not isinstance(ours, (list, tuple)) or len(ours) != len(theirs):
            return f"structure {type(theirs).__name__} of {len(theirs)} vs {type(ours).__name__}"
        return next((d for d in map(_differ, ours, theirs) if d), None)
    if isinstance(theirs, type):  # an error class met on the way
        return None if isinstance(ours, type) and issubclass(ours, theirs) else f"raised {ours} vs {theirs}"
    if theirs is None or not isinstance(theirs, torch.Tensor):
        return None if ours == theirs or ours is theirs else f"{ours!r} vs {theirs!r}"
    if str(theirs.dtype).rsplit(".", 1)[-1] != str(ours.dtype).rsplit(".", 1)[-1]:
        return f"dtype {ours.dtype} vs {theirs.dtype}"
    if tuple(theirs.shape) != tuple(ours.shape):
        return f"shape {tuple(ours.shape)} vs {tuple(theirs.shape)}"
    a, b = theirs.detach().numpy(), ours.detach().numpy()
    if a.dtype != np.bool_:
        a, b = a.astype(np.float64), b.astype(np.float64)
    tol = 2e-3 if theirs.dtype == torch.float16 else 1e-6 if theirs.dtype == torch.float64 else 1e-4
    return None if np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True) else f"values\n  ours  {b.tolist()}\n  torch {a.tolist()}"


def compare(seed: int, draw, device: str) -> str | None:
    text, call = draw(np.random.RandomState(seed))
    outcomes = []
    for m, dev in ((torch, "cpu"), (lg, device)):
        try:
            outcomes.append(call(m, dev))
        except Exception as e:  # noqa: BLE001 - compared by class
            outcomes.append(e)
    theirs, ours = outcomes
    try:  # a check lazygrad deferred to the next realize raises here, not in the next case
        lg.zeros(1, device=device).add(1).numpy()
    except Exception as e:  # noqa: BLE001
        return f"seed {seed}: {text}: a deferred error surfaced after the call: {e!r:.200}"
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        if isinstance(theirs, Exception) and isinstance(ours, type(theirs)):
            return None
        return f"seed {seed}: {text}: torch {theirs!r:.200} / lazygrad {ours!r:.200}"
    try:
        found = _differ(ours, theirs)
    except Exception:  # noqa: BLE001 - reading lazygrad's result raised: a deferred error
        found = "reading the result raised " + traceback.format_exc(limit=1)[-300:]
    return f"seed {seed}: {text}: {found}" if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["ops", "grads", "views"])
    parser.add_argument("seeds", help="first:last (last excluded)")
    parser.add_argument("--device", default="c")
    args = parser.parse_args()
    draw = {"ops": draw_op, "grads": draw_grad, "views": draw_views}[args.kind]
    first, last = (int(s) for s in args.seeds.split(":"))
    warnings.filterwarnings("ignore")
    found = 0
    for seed in range(first, last):
        report = compare(seed, draw, args.device)
        if report:
            found += 1
            print(report, flush=True)
    print(f"{found} of {last - first} cases differ from torch ({args.kind}, device {args.device})")


if __name__ == "__main__":
    main()
