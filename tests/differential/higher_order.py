"""Random programs with custom autograd Functions and second derivatives, as data.

`higher_order_programs()` draws a short op program (programs.KINDS without in-place writes)
interleaved with user-defined `T.autograd.Function` subclasses, then differentiates twice:
`h = T.autograd.grad(loss, leaves, create_graph=True)`, a second loss of h (and sometimes of the
leaves), and its `.backward()` or another `T.autograd.grad`. Second derivatives are where a
Function's saved tensors, and the gradients its backward is given, must carry their own history:
a hand-written test found that a saved output did not (d2/dx2 of exp(x)^2 came out half).

A Function is drawn as a tiny straight-line forward over its tensor inputs `a` (and `b`, whose
shape broadcasts to a's) and sometimes a Python float `k`: two or three steps of exp, sin, tanh,
sigmoid, square, scaling, mul, add and sum over a dim. Its backward is derived from those steps
here, by reverse accumulation written out as source: it recomputes the forward's steps from the
saved inputs (so it differentiates again), and where the last step is exp, tanh or sigmoid it may
read the saved output instead. Drawn around that: a second (differentiable) output, an output
marked non-differentiable, `set_materialize_grads(False)`, ctx.needs_input_grad, a gradient
left at the broadcast shape for autograd to sum, torch's newer `setup_context` form.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st

from .programs import Builder, binary, matmul, reduce, softmax, unary, view
from .runner import Program

# name: (forward source of {x}, its gradient given d = the result's gradient and y = the result,
# whether the input's values are in the domain)
STEP_UNARY = {
    "exp": ("{x}.exp()", "{d} * {y}", lambda v: v.abs().max() <= 4),
    "sin": ("{x}.sin()", "{d} * {x}.cos()", lambda v: v.abs().max() <= 50),
    "tanh": ("{x}.tanh()", "{d} * (1 - {y} * {y})", None),
    "sigmoid": ("T.sigmoid({x})", "{d} * {y} * (1 - {y})", None),
    "square": ("{x}.square()", "{d} * 2 * {x}", lambda v: v.abs().max() <= 16),
    "scale": ("{x} * {k}", "{d} * {k}", None),
}
READS_OUTPUT = ("exp", "tanh", "sigmoid")  # a gradient that can read the saved output
ORDINARY = [unary, binary, reduce, view, view, matmul, softmax]


def _sum_to(expr: str, shape: tuple, to: tuple) -> str:
    """expr (of shape `shape`) summed to `to`, a shape that broadcasts to it."""
    lead = len(shape) - len(to)
    if lead:
        expr = f"{expr}.sum(dim={tuple(range(lead))})"
    kept = tuple(i for i, (t, s) in enumerate(zip(to, shape[lead:])) if t == 1 and s != 1)
    return f"{expr}.sum(dim={kept}, keepdim=True)" if kept else expr


class _Forward:
    """The steps of one Function's forward, run on torch as they are drawn (for shapes and
    domains), and the reverse accumulation that is its backward."""

    def __init__(self, draw, values: dict[str, torch.Tensor], k: str, k_value: float) -> None:
        self.draw, self.k, self.k_value = draw, k, k_value
        self.values = dict(values)  # name -> torch value
        self.inputs = list(values)
        self.steps: list[tuple[str, str, tuple[str, ...], str]] = []  # (name, op, args, source)

    def step(self) -> None:
        op = self.draw(st.sampled_from(sorted(STEP_UNARY) + ["mul", "mul", "add", "sum"]))
        names = list(self.values)
        x = self.draw(st.sampled_from(names))
        vx = self.values[x]
        if op in STEP_UNARY:
            src, _, domain = STEP_UNARY[op]
            if domain is not None and vx.numel() and not bool(domain(vx.double())):
                return
            args, source = (x,), src.format(x=x, k=self.k)
        elif op == "sum":
            if vx.ndim == 0:
                return
            dim, keep = self.draw(st.integers(-vx.ndim, vx.ndim - 1)), self.draw(st.booleans())
            args, source = (x, str(dim), str(keep)), f"{x}.sum(dim={dim}, keepdim={keep})"
        else:
            z = self.draw(st.sampled_from(names))
            try:
                torch.broadcast_shapes(vx.shape, self.values[z].shape)
            except RuntimeError:
                return
            args, source = (x, z), f"{x} {'*' if op == 'mul' else '+'} {z}"
        name = f"t{len(self.steps)}"
        value = eval(source, {"T": torch, "k": self.k_value, **self.values})
        if not bool(torch.isfinite(value).all() and (value.abs() <= 50).all()) or value.numel() > 64:
            return
        self.values[name] = value
        self.steps.append((name, op, args, source))

    def shape(self, name: str) -> tuple:
        return tuple(self.values[name].shape)

    def backward(self, grads: dict[str, list[str]], saved_output: str | None,
                 reduce_inputs: bool) -> tuple[list[str], dict[str, str]]:
        """Lines computing each input's gradient from `grads` (the outputs' given gradients),
        and the name each input's gradient is in (inputs whose value reaches no output: none)."""
        lines, of = [], {}
        for name, op, args, _ in reversed(self.steps):
            if not grads.get(name):
                continue
            d = f"d_{name}"
            lines.append(f"{d} = {' + '.join(grads[name])}")
            shape = self.shape(name)
            if op in STEP_UNARY:
                y = "y" if name == saved_output else name
                self._add(grads, args[0], STEP_UNARY[op][1].format(d=d, x=args[0], y=y, k=self.k), shape,
                          reduce_inputs)
            elif op == "sum":
                x, dim, keep = args
                grad = d if keep == "True" else f"{d}.unsqueeze({dim})"
                self._add(grads, x, f"{grad}.expand({self.shape(x)})", self.shape(x), reduce_inputs)
            else:
                x, z = args
                for u, other in ((x, z), (z, x)):
                    self._add(grads, u, f"{d} * {other}" if op == "mul" else d, shape, reduce_inputs)
        for name in self.inputs:
            if grads.get(name):
                lines.append(f"d_{name} = {' + '.join(grads[name])}")
                of[name] = f"d_{name}"
        return lines, of

    def _add(self, grads, name: str, expr: str, shape: tuple, reduce_inputs: bool) -> None:
        if name in self.inputs and not reduce_inputs:  # left at the broadcast shape: autograd sums it
            grads.setdefault(name, []).append(f"({expr})")
        else:
            grads.setdefault(name, []).append(f"({_sum_to(expr, shape, self.shape(name))})")


def function(b: Builder) -> None:
    """Define a Function subclass from drawn steps and apply it to one or two live tensors."""
    draw = b.draw
    a = b.pick(lambda n, t: t.dtype == torch.float32 and t.numel() <= 64 and bool((t.abs() <= 50).all()))
    if a is None:
        return
    shape = tuple(b.t(a).shape)
    args, values = [a], {"a": b.t(a).detach()}
    if draw(st.booleans()):
        second = b.pick(lambda n, t: t.dtype == torch.float32 and n != a and bool((t.abs() <= 50).all())
                        and len(t.shape) <= len(shape) and _broadcasts(tuple(t.shape), shape))
        second = second or b.constant(b.broadcastable_to(shape, grow=False))
        args.append(second)
        values["b"] = b.t(second).detach()
    scalar = draw(st.booleans())
    k = draw(st.sampled_from([0.5, -1.5, 2.0])) if scalar else 0.5
    fwd = _Forward(draw, values, "k" if scalar else "0.5", k)
    for _ in range(draw(st.integers(1, 4))):
        fwd.step()
    if not fwd.steps:
        return
    last = fwd.steps[-1][0]
    outputs = [last]
    earlier = [s[0] for s in fwd.steps[:-1]]
    if earlier and draw(st.booleans()):
        outputs.append(draw(st.sampled_from(earlier)))
    how = _Style(
        non_diff=draw(st.integers(0, 3)) == 0, materialize=draw(st.integers(0, 2)) > 0,
        save_out=fwd.steps[-1][1] in READS_OUTPUT and draw(st.booleans()),
        newer=draw(st.integers(0, 3)) == 0, once=draw(st.integers(0, 5)) == 0,
        reduce_inputs=draw(st.booleans()), scalar=scalar)
    body = _forward_source(fwd, outputs, how) + _backward_source(fwd, outputs, how)
    b.fresh()
    cls = f"Fn{b.count}"
    if not b.try_line("\n".join([f"class {cls}(T.autograd.Function):"] + _indent(body))):
        return
    names = [b.fresh() for _ in outputs + (["nd"] if how.non_diff else [])]
    call = f"{cls}.apply({', '.join(args)}{', ' + repr(k) if scalar else ''})"
    if not b.try_line(f"{', '.join(names)}{',' if len(names) > 1 else ''} = {call}", may_raise=True):
        return
    for n in names:
        _keep(b, n)
    if draw(st.booleans()):
        b.try_line(f"R([{', '.join(n + '.requires_grad' for n in names)}])")


@dataclass(frozen=True)
class _Style:
    """How a Function is written, beside its steps."""
    non_diff: bool  # a third output, marked non-differentiable
    materialize: bool  # else set_materialize_grads(False): backward may be given None
    save_out: bool  # the output saved, and read by backward for the last step's gradient
    newer: bool  # forward(*args) with setup_context(ctx, inputs, output)
    once: bool  # backward decorated once_differentiable
    reduce_inputs: bool  # else an input's gradient is left at the broadcast shape for autograd
    scalar: bool  # a Python float k among the arguments (its gradient: None)


def _forward_source(fwd: _Forward, outputs: list[str], how: _Style) -> list[str]:
    last = outputs[0]
    params = list(fwd.inputs) + (["k"] if how.scalar else [])
    returned = outputs + (["nd"] if how.non_diff else [])
    ctx_lines = [] if how.materialize else ["ctx.set_materialize_grads(False)"]
    ctx_lines.append(f"ctx.save_for_backward({', '.join(_saved(fwd, how))})")
    ctx_lines += (["ctx.k = k"] if how.scalar else []) + (["ctx.mark_non_differentiable(nd)"] if how.non_diff else [])
    body = [f"{name} = {source}" for name, _, _, source in fwd.steps] + ([f"nd = {last} * 2"] if how.non_diff else [])
    ret = f"return {', '.join(returned)}"
    if not how.newer:
        return ["@staticmethod", f"def forward(ctx, {', '.join(params)}):",
                *_indent(body + [f"out = {last}"] + ctx_lines + [ret])]
    out_of = {n: (f"output[{i}]" if len(returned) > 1 else "output") for i, n in enumerate(returned)}
    setup = [f"{', '.join(params)}, = inputs", f"out, nd = {out_of[last]}, {out_of.get('nd', 'None')}"]
    return ["@staticmethod", f"def forward({', '.join(params)}):", *_indent(body + [ret]),
            "@staticmethod", "def setup_context(ctx, inputs, output):", *_indent(setup + ctx_lines)]


def _saved(fwd: _Forward, how: _Style) -> list[str]:
    return list(fwd.inputs) + (["out"] if how.save_out else [])


def _backward_source(fwd: _Forward, outputs: list[str], how: _Style) -> list[str]:
    """The given gradients, the forward recomputed, reverse accumulation."""
    gnames = [f"g{i}" for i in range(len(outputs) + how.non_diff)]
    bwd = [f"{', '.join(_saved(fwd, how))}, = ctx.saved_tensors"] + (["k = ctx.k"] if how.scalar else [])
    bwd += ["y = out"] if how.save_out else []
    bwd += [f"{name} = {source}" for name, _, _, source in fwd.steps]
    grads: dict[str, list[str]] = {}
    for g, n in zip(gnames, outputs):
        if not how.materialize:
            bwd.append(f"{g} = T.zeros_like({n}) if {g} is None else {g}")
        grads.setdefault(n, []).append(g)
    lines, of = fwd.backward(grads, outputs[0] if how.save_out else None, how.reduce_inputs)
    results = [f"({of[n]} if ctx.needs_input_grad[{i}] else None)" if n in of else "None"
               for i, n in enumerate(fwd.inputs)] + (["None"] if how.scalar else [])
    return ["@staticmethod"] + (["@T.autograd.function.once_differentiable"] if how.once else []) + [
        f"def backward(ctx, {', '.join(gnames)}):", *_indent(bwd + lines + [f"return {', '.join(results)}"])]


def _indent(lines: list[str]) -> list[str]:
    return ["    " + ln for ln in "\n".join(lines).split("\n")]


def _broadcasts(shape: tuple, to: tuple) -> bool:
    try:
        return tuple(torch.broadcast_shapes(shape, to)) == to
    except RuntimeError:
        return False


def _keep(b: Builder, name: str) -> None:
    """Make a name a statement bound (not through try_line's one target) an operand."""
    value = b.ns.get(name)
    if isinstance(value, torch.Tensor) and value.numel() <= 256 and (
            not value.is_floating_point() or bool(torch.isfinite(value).all() and (value.abs() <= 1e3).all())):
        b.names.append(name)
        b.exact[name] = False


def _second_loss_term(b: Builder, h: str, leaf: str) -> str:
    form = b.draw(st.sampled_from(["({h} * {c}).sum()", "({h} * {h}).sum()", "({h} * {x}).sum()",
                                   "({h}.tanh() * {c}).sum()", "{h}.mean()"]))
    c = b.constant(tuple(b.t(h).shape)) if "{c}" in form else ""
    return form.format(h=h, c=c, x=leaf)


def _wrt(b: Builder, loss: str, leaves: list[str]) -> list[str]:
    """Leaves to differentiate loss by: mostly those it reaches (else grad raises "not used")."""
    try:
        grads = torch.autograd.grad(b.t(loss), [b.t(x) for x in leaves], retain_graph=True, allow_unused=True)
    except (RuntimeError, IndexError, ValueError, TypeError):  # (no derivative for an op on the way, or a
        # drawn backward that fails for its shapes: the grad line raises on purpose)
        grads = (None,) * len(leaves)
    reached = [x for x, g in zip(leaves, grads) if g is not None]
    pool = reached if reached and b.draw(st.integers(0, 4)) else leaves
    return b.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))


@st.composite
def higher_order_programs(draw, max_steps: int = 6) -> Program:
    b = Builder(draw)
    leaves = []
    for _ in range(draw(st.integers(1, 2))):
        leaves.append(b.constant(b.shape(1, 2), "float32", requires_grad=True))
    if draw(st.booleans()):
        b.constant(b.shape(0, 2))
    kinds = [function] * len(ORDINARY) + ORDINARY
    for _ in range(draw(st.integers(1, max_steps))):
        draw(st.sampled_from(kinds))(b)
    with_grad = [n for n in b.names if b.t(n).requires_grad and b.t(n).dtype == torch.float32]
    terms = []
    for n in draw(st.lists(st.sampled_from(with_grad), min_size=1, max_size=2, unique=True)):
        c = b.constant(tuple(b.t(n).shape))
        terms.append(draw(st.sampled_from(["({n} * {c}).sum()", "({n} * {n} * {c}).sum()",
                                           "({n}.sin() * {c}).sum()", "({n} * {n} * {c}).sum()"])).format(n=n, c=c))
    if not b.try_line(f"loss = {' + '.join(terms)}", "loss"):
        return Program("higher", tuple(b.lines), tuple(leaves))
    # mostly the leaves the loss reaches (else the first grad raises "not used" on both sides)
    wrt = _wrt(b, "loss", leaves)
    hs = [b.fresh("h") for _ in wrt]
    unused = ", allow_unused=True" if draw(st.integers(0, 3)) == 0 else ""
    if not b.try_line(f"{', '.join(hs)}, = T.autograd.grad(loss, [{', '.join(wrt)}], create_graph=True{unused})",
                      may_raise=True):
        return Program("higher", tuple(b.lines), tuple(leaves))
    hs = [h for h, x in zip(hs, wrt) if isinstance(b.ns.get(h), torch.Tensor)]
    for h in hs:
        _keep(b, h)
    if not hs:
        return Program("higher", tuple(b.lines), tuple(leaves))
    b.try_line(f"R([{', '.join(hs)}])")
    b.try_line(f"R([{', '.join(h + '.requires_grad' for h in hs)}])")  # (torch's: along differentiable edges)
    for _ in range(draw(st.integers(0, 2))):
        draw(st.sampled_from(ORDINARY))(b)
    terms = [_second_loss_term(b, h, x) for h, x in zip(hs, wrt)]
    if not any(b.t(h).requires_grad for h in hs) and draw(st.integers(0, 3)):  # (else it raises)
        terms.append(f"({hs[0]} * {wrt[0]}).sum()")
    if not b.try_line(f"loss2 = {' + '.join(terms)}", "loss2"):
        return Program("higher", tuple(b.lines), tuple(leaves))
    if draw(st.booleans()):
        b.try_line("loss2.backward()", may_raise=True)
    elif b.t("loss2").requires_grad:
        wrt = _wrt(b, "loss2", leaves)
        ks = [b.fresh("h") for _ in wrt]
        unused = ", allow_unused=True" if draw(st.booleans()) else ""
        if b.try_line(f"{', '.join(ks)}, = T.autograd.grad(loss2, [{', '.join(wrt)}]{unused})", may_raise=True):
            b.try_line(f"R([{', '.join(ks)}])")
    return Program("higher", tuple(b.lines), tuple(leaves))
