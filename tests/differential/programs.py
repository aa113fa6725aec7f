"""Random tensor programs over the public API (hypothesis strategies), as data.

`op_programs()` draws straight-line programs: tensor literals (float32, int64, bool; some float
leaves require grad), elementwise ops with broadcasting and Python scalars, dtype promotion,
reductions, views, cat/stack/pad, where, matmul, aliases (`v5 = v2`, a view, `.detach()`),
in-place ops and slice assignment on tensors, views and aliases, mid-program reads `R(x)`, and
at the end a scalar loss and its backward (sometimes after a value saved for backward was
modified in place, which must raise).

Each candidate statement runs on torch while the program is drawn, so the generator knows every
name's shape, dtype and values without a shape model of its own: a statement torch rejects is
dropped, except where raising is the point (in-place ops, a modified saved value), and values
stay in ranges where float32 results are well conditioned. Numbers are multiples of 1/8 in
[-4, 4]; a tensor is "exact" while every value it holds was computed without rounding (sums,
differences and products of such numbers, kept on a 1/256 grid below 256), and only exact tensors
meet discontinuous ops (floor, round, sign, comparisons, max, relu, clamp, abs, %): a last-bit
difference in exp or a mean must never flip a comparison.
"""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

from .runner import Program, exec_line, namespace

GRID = 256.0
BOUND = 1e3  # a tensor with a larger value is never an operand again
SCALARS = (2, -1, 3, 0.5, -1.5, 0.25, 2.0)


def literal(a: np.ndarray) -> str:
    return repr(a.tolist())


def tensor_line(name: str, a: np.ndarray, requires_grad: bool = False) -> str:
    dtype = {"float32": "T.float32", "int64": "T.int64", "bool": "T.bool"}[str(a.dtype)]
    rg = ", requires_grad=True" if requires_grad else ""
    return f"{name} = T.tensor({literal(a)}, dtype={dtype}, device=DEV{rg})"


def on_grid(t: torch.Tensor) -> bool:
    if t.dtype in (torch.int64, torch.bool):
        return True
    v = t.detach().double()
    return bool(torch.isfinite(v).all() and (v.abs() <= 256).all() and ((v * GRID).frac() == 0).all())


class Builder:
    """One program being drawn: its statements and the torch namespace they ran in."""

    def __init__(self, draw, errors: bool = True):
        self.draw = draw
        self.errors = errors  # keep statements that raise on torch on purpose
        self.ns = namespace(torch, "cpu")
        self.ns["R"] = lambda x: None
        self.lines: list[str] = []
        self.names: list[str] = []  # tensors that may be operands
        self.exact: dict[str, bool] = {}
        self.leaves: list[str] = []
        self.literals: dict[str, np.ndarray] = {}  # the values each literal was made with
        self.raised: set[int] = set()  # lines that raise on torch (on purpose)
        self.count = 0

    # --- names and values --------------------------------------------------------------
    def fresh(self, prefix: str = "v") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def t(self, name: str) -> torch.Tensor:
        return self.ns[name]

    def pick(self, pred=lambda n, t: True) -> str | None:
        ok = [n for n in self.names if pred(n, self.t(n).detach())]
        return self.draw(st.sampled_from(ok)) if ok else None

    def is_float(self, n: str) -> bool:
        return self.t(n).dtype == torch.float32

    # --- running candidate statements ----------------------------------------------------
    def try_line(self, line: str, target: str | None = None, exact: bool = False,
                 may_raise: bool = False) -> bool:
        """Run `line` on torch; keep it when it succeeds (and `target` is finite and bounded),
        or when it raises and raising is allowed. Returns whether it ran without an error."""
        try:
            exec_line(self.ns, line)
        except Exception:  # noqa: BLE001
            if target is not None:
                self.ns.pop(target, None)
            if may_raise and self.errors:
                self.raised.add(len(self.lines))
                self.lines.append(line)
            return False
        if target is not None:
            value = self.ns.get(target)
            if not isinstance(value, torch.Tensor) or value.numel() > 256 or (
                    value.is_floating_point() and not bool(torch.isfinite(value).all())):
                self.ns.pop(target, None)
                return False
            self.names.append(target)
            self.exact[target] = exact and on_grid(value)
        self.lines.append(line)
        return True

    def after_write(self, target: str, operand_exact: bool) -> None:
        """An in-place write to `target`: every name sharing its storage may have changed."""
        ptr = self.t(target).untyped_storage().data_ptr()
        for n in self.names:
            if self.t(n).untyped_storage().data_ptr() == ptr:
                self.exact[n] = self.exact[n] and operand_exact and on_grid(self.t(n))
        self.names = [n for n in self.names if _bounded(self.t(n))]

    # --- operands --------------------------------------------------------------------------
    def values(self, shape, dtype: str) -> np.ndarray:
        seed = self.draw(st.integers(0, 2**16))
        rng = np.random.default_rng(seed)
        if dtype == "bool":
            return rng.random(shape) < 0.5
        if dtype == "int64":
            return rng.integers(-4, 5, shape).astype(np.int64)
        return (rng.integers(-32, 33, shape) / 8).astype(np.float32)

    def constant(self, shape, dtype: str = "float32", requires_grad: bool = False) -> str:
        name = self.fresh("c" if not requires_grad else "v")
        self.literals[name] = self.values(shape, dtype)
        self.try_line(tensor_line(name, self.literals[name], requires_grad), name, exact=True)
        if requires_grad:
            self.leaves.append(name)
        return name

    def shape(self, min_dims: int = 0, max_dims: int = 3) -> tuple[int, ...]:
        return tuple(self.draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=max_dims)))

    def broadcastable_to(self, shape: tuple[int, ...], grow: bool) -> tuple[int, ...]:
        """A shape that broadcasts with `shape`: drop leading dims, set some to 1, or (grow) add one."""
        s = list(shape[self.draw(st.integers(0, len(shape))):])
        s = [1 if self.draw(st.booleans()) else d for d in s]
        if grow and self.draw(st.integers(0, 3)) == 0:
            s = [self.draw(st.integers(2, 3))] + s
        return tuple(s)

    def operand(self, a: str, grow: bool = True, dtypes=("float32", "int64", "bool")) -> tuple[str, bool]:
        """Something to combine with tensor `a`: a Python scalar, another live tensor whose
        shape broadcasts with it, or a new constant. Returns its source and exactness."""
        kind = self.draw(st.sampled_from(["scalar", "tensor", "tensor", "constant"]))
        shape = tuple(self.t(a).shape)
        if kind == "scalar":
            return repr(self.draw(st.sampled_from(SCALARS))), True
        if kind == "tensor":
            def fits(n, t):
                try:
                    out = torch.broadcast_shapes(tuple(t.shape), shape)
                except RuntimeError:
                    return False
                return str(t.dtype)[6:] in dtypes and (grow or tuple(out) == shape)
            b = self.pick(fits)
            if b is not None:
                return b, self.exact[b]
        dtype = self.draw(st.sampled_from(dtypes))
        return self.constant(self.broadcastable_to(shape, grow), dtype), True


def _bounded(t: torch.Tensor) -> bool:
    try:
        return _bounded_values(t)
    except RuntimeError:  # a view torch cannot regenerate ("Autograd not support dtype: Long")
        return False  # not used again


def _bounded_values(t: torch.Tensor) -> bool:
    if not t.is_floating_point():
        return bool((t.abs() <= 10**6).all()) if t.dtype == torch.int64 else True
    t = t.detach()
    return bool(torch.isfinite(t).all() and (t.abs() <= BOUND).all())


# ---------------------------------------------------------------------------------------------
# Statement kinds: each draws one statement (sometimes with constants before it) and runs it.

UNARY = {  # name: (source with {x}, domain check on the values, keeps exactness, discontinuous)
    "neg": ("-{x}", None, True, False),
    "abs": ("{x}.abs()", None, True, True),
    "exp": ("{x}.exp()", lambda v: v.abs().max() <= 6, False, False),
    "log": ("{x}.log()", lambda v: v.min() >= 0.1, False, False),
    "log2": ("T.log2({x})", lambda v: v.min() >= 0.1, False, False),
    "sqrt": ("{x}.sqrt()", lambda v: v.min() >= 0.1, False, False),
    "rsqrt": ("{x}.rsqrt()", lambda v: v.min() >= 0.1, False, False),
    "sin": ("{x}.sin()", lambda v: v.abs().max() <= 50, False, False),
    "cos": ("T.cos({x})", lambda v: v.abs().max() <= 50, False, False),
    "tanh": ("{x}.tanh()", None, False, False),
    "sigmoid": ("{x}.sigmoid()", None, False, False),
    "relu": ("{x}.relu()", None, True, True),
    "F.relu": ("F.relu({x})", None, True, True),
    "gelu": ("F.gelu({x})", None, False, False),
    "silu": ("F.silu({x})", None, False, False),
    "softplus": ("F.softplus({x})", None, False, False),
    "reciprocal": ("{x}.reciprocal()", lambda v: v.abs().min() >= 0.25, False, False),
    "floor": ("{x}.floor()", None, True, True),
    "ceil": ("{x}.ceil()", None, True, True),
    "round": ("{x}.round()", None, True, True),
    "trunc": ("{x}.trunc()", None, True, True),
    "sign": ("{x}.sign()", None, True, True),
    "clamp": ("{x}.clamp({lo}, {hi})", None, True, True),
    "clamp_min": ("T.clamp({x}, min={lo})", None, True, True),
    "hardtanh": ("F.hardtanh({x}, {lo}, {hi})", None, True, True),
    "leaky_relu": ("F.leaky_relu({x}, 0.125)", None, True, True),
    "threshold": ("F.threshold({x}, {lo}, {hi})", None, True, True),
    "square": ("{x} ** 2", None, True, False),
    "cube": ("{x} ** 3", lambda v: v.abs().max() <= 8, True, False),
    "pow_half": ("{x} ** 0.5", lambda v: v.min() >= 0.1, False, False),
    "rpow": ("2 ** {x}", lambda v: v.abs().max() <= 8, False, False),
    "float": ("{x}.float()", None, True, False),
    "long": ("{x}.long()", None, True, True),
    "bool": ("{x}.bool()", None, True, True),
    "to": ("{x}.to(T.float32)", None, True, False),
    "logical_not": ("~{x}", None, True, False),
}


def unary(b: Builder) -> None:
    op = b.draw(st.sampled_from(sorted(UNARY)))
    src, domain, keeps, discontinuous = UNARY[op]

    def ok(n, t):
        if op == "logical_not":
            return t.dtype == torch.bool
        if discontinuous and not b.exact[n]:
            return False
        return domain is None or (t.numel() > 0 and bool(domain(t.double())))
    x = b.pick(ok)
    if x is None:
        return
    lo = b.draw(st.sampled_from([-1, -0.5, 0, 0.25]))
    out = b.fresh()
    b.try_line(f"{out} = " + src.format(x=x, lo=lo, hi=lo + b.draw(st.sampled_from([0.5, 1, 2]))),
               out, exact=keeps and b.exact[x])


BINARY = ["+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=", "&", "|", "^",
          "maximum", "minimum", "where"]


def binary(b: Builder) -> None:
    op = b.draw(st.sampled_from(BINARY))
    discontinuous = op not in ("+", "-", "*", "/")
    a = b.pick(lambda n, t: b.exact[n] or not discontinuous)
    if a is None:
        return
    dtypes = ("bool", "int64") if op in ("&", "|", "^") else ("float32", "int64", "bool")
    if op in ("&", "|", "^") and b.t(a).dtype == torch.float32:
        return
    other, other_exact = b.operand(a, dtypes=dtypes)
    if discontinuous and not other_exact:
        return
    out = b.fresh()
    x, y = (a, other) if b.draw(st.booleans()) or op in ("maximum", "minimum", "where") else (other, a)
    if op in ("/", "//", "%"):  # divisors away from zero
        div = b.t(y).detach() if y in b.ns else torch.tensor(eval(y))
        if (div.double().abs() < 0.25).any():
            return
    if op in ("maximum", "minimum"):
        if other not in b.ns:
            return
        line = f"{out} = T.{op}({x}, {y})"
    elif op == "where":
        cond = b.pick(lambda n, t: t.dtype == torch.bool)
        if cond is None:
            cond = b.constant(b.broadcastable_to(tuple(b.t(a).shape), True), "bool")
        line = f"{out} = T.where({cond}, {x}, {y})"
    else:
        line = f"{out} = {x} {op} {y}"
    exact = b.exact[a] and other_exact and op != "/"
    b.try_line(line, out, exact=exact, may_raise=False)


def reduce(b: Builder) -> None:
    op = b.draw(st.sampled_from(["sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var",
                                 "logsumexp", "argmax", "argmin", "max_dim", "min_dim", "cumsum",
                                 "all", "any"]))
    discontinuous = op in ("max", "min", "amax", "amin", "argmax", "argmin", "max_dim", "min_dim")
    x = b.pick(lambda n, t: t.ndim > 0 and (b.exact[n] or not discontinuous)
               and (op not in ("mean", "std", "var", "logsumexp") or t.dtype == torch.float32)
               and (op not in ("all", "any") or t.dtype == torch.bool))
    if x is None:
        return
    t = b.t(x).detach()
    dim = b.draw(st.integers(-t.ndim, t.ndim - 1))
    keep = b.draw(st.booleans())
    if op in ("prod",) and t.numel() and (t.double().abs().max() > 2 or t.shape[dim] > 4):
        return
    if op in ("std", "var"):
        if t.shape[dim] < 2:
            return
        corr = b.draw(st.sampled_from([0, 1]))
        if op == "std" and (t.double().std(dim, correction=corr) < 0.1).any():
            return
        args = f"dim={dim}, keepdim={keep}, correction={corr}"
    elif op in ("sum", "mean", "amax", "amin", "logsumexp") and t.ndim > 1 and b.draw(st.booleans()):
        dims = tuple(sorted(set(b.draw(st.lists(st.integers(0, t.ndim - 1), min_size=1, max_size=t.ndim)))))
        args = f"dim={dims}, keepdim={keep}"
    elif op in ("sum", "mean", "max", "min", "prod", "argmax", "all", "any") and b.draw(st.booleans()):
        args = ""
    else:
        args = f"dim={dim}" if op == "cumsum" else f"dim={dim}, keepdim={keep}"
    out = b.fresh()
    if op in ("max_dim", "min_dim"):
        line = f"{out} = {x}.{op[:3]}(dim={dim}, keepdim={keep}).values"
    else:
        line = f"{out} = {x}.{op}({args})"
    b.try_line(line, out, exact=b.exact[x] and op in ("sum", "max", "min", "amax", "amin", "argmax",
                                                       "argmin", "max_dim", "min_dim", "cumsum", "all",
                                                       "any", "prod"))


def _index(b: Builder, shape) -> str:
    parts = []
    for d in shape:  # (a dim emptied by an earlier slice has no element to pick)
        kind = b.draw(st.sampled_from(["all", "slice", "step", "int", "none"] if d else ["all", "slice", "none"]))
        if kind == "int":
            parts.append(str(b.draw(st.integers(-d, d - 1))))
        elif kind == "slice":
            i = b.draw(st.integers(0, d))
            parts.append(f"{i}:{b.draw(st.integers(i, d))}")
        elif kind == "step":
            parts.append(f"{b.draw(st.integers(0, d - 1))}::{b.draw(st.integers(1, 3))}")
        elif kind == "none":
            parts.append("None, :")
        else:
            parts.append(":")
    while parts and parts[-1] == ":":
        parts.pop()
    if parts and b.draw(st.integers(0, 4)) == 0:
        parts[-1:] = ["..."] + parts[-1:] if len(parts) > 1 else parts
    return ", ".join(parts) if parts else "..."


def view(b: Builder) -> None:
    x = b.pick()
    if x is None:
        return
    t = b.t(x)
    shape = tuple(t.shape)
    nd = len(shape)
    op = b.draw(st.sampled_from(["reshape", "view", "permute", "transpose", "T", "expand", "index",
                                 "narrow", "flip", "unsqueeze", "squeeze", "contiguous", "flatten",
                                 "detach", "clone", "alias", "gather"]))
    out = b.fresh()
    if op in ("reshape", "view"):
        if op == "view" and not t.is_contiguous():
            return
        n = t.numel()
        dims = [d for d in (1, 2, 3, 4, 6, 8) if n % d == 0]
        first = b.draw(st.sampled_from(dims))
        target = [first, n // first] if b.draw(st.booleans()) else [first, -1]
        if b.draw(st.booleans()):
            target = [n] if b.draw(st.booleans()) else [-1]
        src = f"{x}.{op}({', '.join(map(str, target))})"
    elif op == "permute" and nd > 1:
        src = f"{x}.permute({', '.join(map(str, b.draw(st.permutations(range(nd)))))})"
    elif op == "transpose" and nd > 1:
        src = f"{x}.transpose({b.draw(st.integers(0, nd - 1))}, {b.draw(st.integers(-nd, -1))})"
    elif op == "T" and nd == 2:
        src = f"{x}.T"
    elif op == "expand":
        new = [d if d != 1 or b.draw(st.booleans()) else b.draw(st.integers(2, 3)) for d in shape]
        new = ([b.draw(st.integers(1, 3))] if b.draw(st.booleans()) else []) + [
            -1 if d == o and b.draw(st.booleans()) else d for d, o in zip(new, shape)]
        src = f"{x}.expand({', '.join(map(str, new))}{',' if len(new) == 1 else ''})"
    elif op == "index" and nd > 0:
        src = f"{x}[{_index(b, shape)}]"
    elif op == "narrow" and nd > 0 and 0 not in shape:
        d = b.draw(st.integers(0, nd - 1))
        start = b.draw(st.integers(0, shape[d] - 1))
        src = f"{x}.narrow({d}, {start}, {b.draw(st.integers(1, shape[d] - start))})"
    elif op == "flip" and nd > 0:
        src = f"{x}.flip({sorted(set(b.draw(st.lists(st.integers(0, nd - 1), min_size=1))))})"
    elif op == "unsqueeze":
        src = f"{x}.unsqueeze({b.draw(st.integers(-nd - 1, nd))})"
    elif op == "squeeze":
        src = f"{x}.squeeze({b.draw(st.integers(-nd, nd - 1)) if nd and b.draw(st.booleans()) else ''})"
    elif op in ("contiguous", "flatten", "detach", "clone"):
        src = f"{x}.{op}()"
    elif op == "alias":
        src = x
    elif op == "gather" and nd > 0 and shape[0] > 0:
        idx = sorted(set(b.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=3))))
        src = f"{x}[T.tensor({idx})]"
    else:
        return
    b.try_line(f"{out} = {src}", out, exact=b.exact[x])


def inplace(b: Builder) -> None:
    x = b.pick()
    if x is None:
        return
    op = b.draw(st.sampled_from(["+=", "-=", "*=", "add_", "sub_", "mul_", "add_alpha", "zero_",
                                 "fill_", "copy_", "setitem", "setitem", "no_grad"]))
    shape = tuple(b.t(x).shape)
    operand, exact = ("", True)
    if op not in ("zero_", "fill_"):
        if op == "setitem":
            index = _index(b, shape)
            try:
                shape = tuple(b.t(x)[eval(f"np.s_[{index}]", {"np": np, "None": None})].shape)
            except Exception:  # noqa: BLE001 - an index torch rejects is not drawn
                return
        if op == "copy_" or op == "setitem":
            if b.draw(st.booleans()):
                operand, exact = repr(b.draw(st.sampled_from(SCALARS))), True
            else:
                b_shape = b.broadcastable_to(shape, grow=False)
                src = b.pick(lambda n, t: tuple(t.shape) == b_shape)
                operand, exact = (src, b.exact[src]) if src else (b.constant(b_shape, "float32"), True)
        else:
            operand, exact = b.operand(x, grow=False)
    fill = b.draw(st.sampled_from(SCALARS))
    if operand in b.ns and _reads_what_it_writes(b, x, operand, index if op == "setitem" else None):
        return
    if operand in b.ns and not b.t(x).dtype.is_floating_point and b.t(operand).requires_grad:
        # torch marks an integer tensor written through a view by a value that requires grad
        # (`c[None, :] = v`, not `c[0] = v` or `c.copy_(v)`) as requiring grad, and raises
        # "Autograd not support dtype" at its next op; lazygrad keeps it out of autograd
        # (docs/differences-from-torch.md): not drawn
        return
    line = {"+=": f"{x} += {operand}", "-=": f"{x} -= {operand}", "*=": f"{x} *= {operand}",
            "add_": f"{x}.add_({operand})", "sub_": f"{x}.sub_({operand})", "mul_": f"{x}.mul_({operand})",
            "add_alpha": f"{x}.add_({operand}, alpha=0.5)", "zero_": f"{x}.zero_()",
            "fill_": f"{x}.fill_({fill})", "copy_": f"{x}.copy_({operand})",
            "setitem": f"{x}[{index if op == 'setitem' else ''}] = {operand}",
            "no_grad": f"with T.no_grad(): {x}.sub_({operand})"}[op]
    if b.try_line(line, may_raise=True):
        b.after_write(x, exact)


def _addresses(t: torch.Tensor) -> torch.Tensor:
    """The storage element each element of t is."""
    size = t.untyped_storage().nbytes() // t.element_size()
    return torch.arange(size).as_strided(t.shape, t.stride(), t.storage_offset())


def _reads_what_it_writes(b: Builder, x: str, operand: str, index: str | None) -> bool:
    """Whether writing `operand` into x (or x[index]) reads, at some element, a storage element
    the same write stores at another element, and torch does not refuse it: torch leaves that
    case unchecked where a view has gaps (`x *= x[:, 1:2]`) and reads what its own iteration
    order has written by then, so its result is no semantics to compare against."""
    target, source = b.t(x).detach(), b.t(operand).detach()
    if target.untyped_storage().data_ptr() != source.untyped_storage().data_ptr():
        return False
    view = target if index is None else eval(f"target[{index}]", {"target": target, "None": None})
    try:
        reads = _addresses(source.expand(view.shape))
    except RuntimeError:
        return False  # the line raises on torch: drawn as an error case
    writes = _addresses(view)
    reads, writes = reads.reshape(-1), writes.reshape(-1)  # (isin needs no expanded strides)
    foreign = torch.isin(reads, writes) & (reads != writes)
    if not bool(foreign.any()):
        return False
    # torch still refuses it where both are dense (x[1:] += x[:-1]): try the write on a copy
    copy = target.untyped_storage().clone()
    twin = torch.empty(0, dtype=target.dtype).set_(copy, target.storage_offset(), target.shape, target.stride())
    other = torch.empty(0, dtype=source.dtype).set_(copy, source.storage_offset(), source.shape, source.stride())
    try:
        if index is None:
            twin.copy_(other)  # (every dtype; the same overlap check as add_ and mul_)
        else:
            twin[eval(f"np.s_[{index}]", {"np": np, "None": None})] = other
    except RuntimeError:
        return False
    return True


def combine(b: Builder) -> None:
    x = b.pick(lambda n, t: t.ndim > 0)
    if x is None:
        return
    t = b.t(x)
    shape = tuple(t.shape)
    op = b.draw(st.sampled_from(["cat", "stack", "pad"]))
    out = b.fresh()
    if op == "pad":
        pads = b.draw(st.lists(st.integers(0, 2), min_size=2, max_size=min(4, 2 * t.ndim)))
        if len(pads) % 2:
            pads = pads[:-1]
        value = b.draw(st.sampled_from([0.0, 9.0, -1.5]))
        line = f"{out} = F.pad({x}, {tuple(pads)}, value={value})"
    else:
        dim = b.draw(st.integers(0, t.ndim - 1 if op == "cat" else t.ndim))

        def fits(n, u):
            s = list(u.shape)
            if op == "cat" and len(s) == len(shape):
                s[dim] = shape[dim]
            return tuple(s) == shape
        others = [b.pick(fits) or x for _ in range(b.draw(st.integers(1, 2)))]
        line = f"{out} = T.{op}([{x}, {', '.join(others)}], dim={dim})"
        x_exact = b.exact[x] and all(b.exact[o] for o in others)
    b.try_line(line, out, exact=x_exact if op != "pad" else b.exact[x])


def matmul(b: Builder) -> None:
    x = b.pick(lambda n, t: t.ndim in (1, 2, 3) and t.dtype == torch.float32)
    if x is None:
        return
    shape = tuple(b.t(x).shape)
    k = shape[-1]
    n = b.draw(st.integers(1, 4))
    right = b.draw(st.sampled_from([(k,), (k, n), (2, k, n) if len(shape) == 3 else (k, n)]))
    y = b.pick(lambda m, t: tuple(t.shape) == right and t.dtype == torch.float32) or b.constant(right)
    out = b.fresh()
    form = b.draw(st.sampled_from(["{x} @ {y}", "T.matmul({x}, {y})", "{x}.matmul({y})"]))
    b.try_line(f"{out} = " + form.format(x=x, y=y), out)


def softmax(b: Builder) -> None:
    x = b.pick(lambda n, t: t.ndim > 0 and t.dtype == torch.float32)
    if x is None:
        return
    out = b.fresh()
    fn = b.draw(st.sampled_from(["F.softmax", "F.log_softmax"]))
    b.try_line(f"{out} = {fn}({x}, dim={b.draw(st.integers(-b.t(x).ndim, b.t(x).ndim - 1))})", out)


def read(b: Builder) -> None:
    x = b.pick()
    if x is not None:
        b.try_line(f"R({x})")


def saved_trap(b: Builder) -> None:
    """Use a non-leaf as a value saved for backward, then modify it in place."""
    x = b.pick(lambda n, t: t.requires_grad and not t.is_leaf and t.dtype == torch.float32)
    if x is None:
        return
    out = b.fresh()
    use = b.draw(st.sampled_from(["{x} * {x}", "{x}.exp()", "{x}.sigmoid()", "{x}.tanh()", "{x} * 2"]))
    if not b.try_line(f"{out} = " + use.format(x=x), out):
        return
    if b.try_line(f"{x} += 1", may_raise=True):
        b.after_write(x, True)


KINDS = [unary] * 4 + [binary] * 4 + [reduce] * 3 + [view] * 4 + [inplace] * 4 + [combine, matmul,
                                                                                    softmax, read, read]


@st.composite
def op_programs(draw, max_steps: int = 12, autograd: bool = True, errors: bool = True) -> Program:
    b = Builder(draw, errors)
    for _ in range(draw(st.integers(1, 3))):
        dtype = draw(st.sampled_from(["float32", "float32", "int64", "bool"]))
        rg = autograd and dtype == "float32" and draw(st.booleans())
        b.constant(b.shape(), dtype, requires_grad=rg)
    kinds = KINDS + ([saved_trap] if autograd else [])
    for _ in range(draw(st.integers(1, max_steps))):
        draw(st.sampled_from(kinds))(b)
    grads = ()
    with_grad = [n for n in b.names if b.t(n).requires_grad and b.t(n).dtype == torch.float32]
    if autograd and with_grad:
        terms = []
        for n in draw(st.lists(st.sampled_from(with_grad), min_size=1, max_size=2, unique=True)):
            c = b.constant(tuple(b.t(n).shape))
            terms.append(f"({n} * {c}).sum()")
        if b.try_line(f"loss = {' + '.join(terms)}", "loss"):
            b.try_line("loss.backward()", may_raise=True)
        grads = tuple(b.leaves)
    return Program("ops", tuple(b.lines), grads)
