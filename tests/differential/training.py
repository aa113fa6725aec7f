"""Random training programs (optimizers, schedulers, lg.jit), as data.

`optim_programs()`: several parameters of different shapes, a loss mixing them
(`sum(c * p * p) + sum(d * p)`, a cross term, or an nn.Linear on a lazy polynomial input),
SGD / Adam / AdamW / RMSprop with random options, an optional StepLR or CosineAnnealingLR,
and a few unrolled steps that record the loss and the lr as they go.

`jit_programs()`: the same kind of training step written as a function and wrapped in `JIT`
(lg.jit on lazygrad, the identity on torch), called several times with new inputs, so calls
three and on replay a plan; the scheduler steps inside or outside the function.
`jit_op_programs()`: a random straight-line program from `programs` as a jitted function of
its inputs, returning every tensor it made, called with permuted inputs.

Losses are convex quadratics plus small terms and learning rates are small, so a few steps
stay well conditioned.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .programs import KINDS, Builder, literal, tensor_line
from .runner import Program

OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop"]


def _values(draw, shape, low=-2.0, high=2.0) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return (np.round(rng.uniform(low, high, shape) * 8) / 8).astype(np.float32)


def _optimizer(draw, params: str) -> str:
    name = draw(st.sampled_from(OPTIMIZERS))
    opts = {"lr": draw(st.sampled_from([0.01, 0.05, 0.1]))}
    if name == "SGD":
        opts["momentum"] = draw(st.sampled_from([0, 0.5, 0.9]))
        if opts["momentum"]:
            opts["dampening"] = draw(st.sampled_from([0, 0, 0.1]))
            opts["nesterov"] = draw(st.booleans()) and not opts["dampening"]
        opts["weight_decay"] = draw(st.sampled_from([0, 0.1]))
    elif name in ("Adam", "AdamW"):
        opts["betas"] = draw(st.sampled_from([(0.9, 0.999), (0.8, 0.95), (0.5, 0.9)]))
        opts["eps"] = draw(st.sampled_from([1e-8, 1e-6, 1e-3]))
        opts["weight_decay"] = draw(st.sampled_from([0, 0.1, 0.01]))
        opts["amsgrad"] = draw(st.booleans())
    else:
        opts["alpha"] = draw(st.sampled_from([0.99, 0.9]))
        opts["eps"] = draw(st.sampled_from([1e-8, 1e-3]))
        opts["weight_decay"] = draw(st.sampled_from([0, 0.1]))
        opts["momentum"] = draw(st.sampled_from([0, 0.5]))
        opts["centered"] = draw(st.booleans())
    args = ", ".join(f"{k}={v!r}" for k, v in opts.items() if v is not False and v != 0 or k == "lr")
    return f"opt = optim.{name}({params}, {args})"


def _scheduler(draw) -> str | None:
    kind = draw(st.sampled_from([None, "StepLR", "CosineAnnealingLR"]))
    if kind == "StepLR":
        return (f"sched = optim.lr_scheduler.StepLR(opt, step_size={draw(st.integers(1, 3))}, "
                f"gamma={draw(st.sampled_from([0.5, 0.1]))})")
    if kind == "CosineAnnealingLR":
        return (f"sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max={draw(st.integers(2, 6))}, "
                f"eta_min={draw(st.sampled_from([0.0, 0.001]))})")
    return None


def _parameters(draw, lines: list[str]) -> tuple[list[str], str]:
    """Parameters and constants; returns the parameter names and a loss expression over them."""
    model = draw(st.sampled_from(["quad", "quad", "cross", "linear"]))
    if model == "linear":
        # not symmetric about 0: with odd weights 0, their gradient would be 0 but for rounding
        # noise, which Adam (small eps) turns into steps of lr, so each library's noise decides
        lines.append("x0 = T.linspace(-1, 1.5, 16, device=DEV).unsqueeze(-1).pow(T.tensor([1, 2, 3], device=DEV))")
        lines.append("lin = nn.Linear(3, 1, device=DEV)")
        lines.append(f"with T.no_grad(): lin.weight.copy_(T.tensor({literal(_values(draw, (1, 3), -1, 1))}, device=DEV))")
        lines.append(f"with T.no_grad(): lin.bias.copy_(T.tensor({literal(_values(draw, (1,), -1, 1))}, device=DEV))")
        lines.append("w0, w1 = lin.weight, lin.bias")
        return ["w0", "w1"], "(lin(x0) - x0[:, 1:2]).pow(2).mean()"
    shapes = draw(st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple),
                           min_size=1, max_size=3))
    names, terms = [], []
    for i, shape in enumerate(shapes):
        lines.append(tensor_line(f"w{i}", _values(draw, shape), requires_grad=True))
        lines.append(tensor_line(f"c{i}", _values(draw, shape, 0.25, 2.0)))
        lines.append(tensor_line(f"y{i}", _values(draw, shape)))
        names.append(f"w{i}")
        terms.append(f"(c{i} * w{i} * w{i}).sum() + (y{i} * w{i}).sum()")
    if model == "cross" and len(names) > 1:
        terms.append(f"0.1 * {names[0]}.sum() * {names[1]}.mean()")
    return names, " + ".join(terms)


@st.composite
def optim_programs(draw) -> Program:
    lines: list[str] = []
    names, loss = _parameters(draw, lines)
    lines.append(_optimizer(draw, "[" + ", ".join(names) + "]"))
    sched = _scheduler(draw)
    if sched:
        lines.append(sched)
    for _ in range(draw(st.integers(2, 6))):
        lines += ["opt.zero_grad()", f"loss = {loss}", "R(loss)", "loss.backward()", "opt.step()"]
        if sched:
            lines.append("sched.step()")
        lines.append("R(opt.param_groups[0]['lr'])")
    return Program("optim", tuple(lines), tuple(names))


@st.composite
def jit_programs(draw) -> Program:
    """A training step under JIT; inputs x, y change every call."""
    lines: list[str] = []
    names, loss = _parameters(draw, lines)
    xshape = (draw(st.integers(1, 4)), 3)
    lines.append(tensor_line("h0", _values(draw, (3, 2), -1, 1), requires_grad=True))
    lines.append(_optimizer(draw, "[" + ", ".join(names + ["h0"]) + "]"))
    sched = _scheduler(draw)
    if sched:
        lines.append(sched)
    inside = sched is not None and draw(st.booleans())
    body = ["    opt.zero_grad()",
            f"    loss = {loss} + ((x @ h0).tanh() - y).pow(2).mean()",
            "    loss.backward()",
            "    opt.step()"] + (["    sched.step()"] if inside else []) + ["    return loss"]
    lines.append("\n".join(["def step(x, y):"] + body))
    lines.append("step = JIT(step)")
    for i in range(draw(st.integers(3, 6))):
        lines.append(tensor_line(f"xb{i + 1}", _values(draw, xshape)))
        lines.append(tensor_line(f"yb{i + 1}", _values(draw, (xshape[0], 2), -1, 1)))
        lines.append(f"out{i + 1} = step(xb{i + 1}, yb{i + 1})")
        if sched and not inside:
            lines.append("sched.step()")
        lines.append(f"R(out{i + 1})")
    return Program("jit", tuple(lines), tuple(names + ["h0"]))


@st.composite
def jit_op_programs(draw) -> Program:
    """A random op program as a jitted function of its inputs, returning every tensor it made."""
    b = Builder(draw)
    for _ in range(draw(st.integers(1, 3))):
        b.constant(b.shape(), draw(st.sampled_from(["float32", "float32", "int64", "bool"])))
    inputs = list(b.names)
    first = len(b.lines)
    body_kinds = [k for k in KINDS if k.__name__ != "read"]
    for _ in range(draw(st.integers(1, 8))):
        draw(st.sampled_from(body_kinds))(b)
    made = [n for n in b.names if n not in inputs] or inputs[:1]
    kept = [(i, ln) for i, ln in enumerate(b.lines) if i >= first and i not in b.raised]
    # literals made on the way are captured; an in-place write to an input (c2.sub_(3)) is the
    # body's (moved out, it changed the traced values but not the replayed ones)
    made_here = [ln.startswith("c") and ln.split(" = ", 1)[0].isidentifier() for _, ln in kept]
    consts = [ln for (_, ln), const in zip(kept, made_here) if const]
    body = [ln for (_, ln), const in zip(kept, made_here) if not const]
    lines = b.lines[:first] + consts
    lines.append("\n".join([f"def f({', '.join(inputs)}):"] + ["    " + ln for ln in body]
                           + [f"    return [{', '.join(made)}]"]))
    lines.append("f = JIT(f)")
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    for call in range(4):
        args = []
        for n in inputs:  # the inputs as drawn, then permuted: every value keeps its range
            a = b.literals[n]
            a = a if call == 0 else rng.permutation(a.ravel()).reshape(a.shape)
            lines.append(tensor_line(f"x{call}_{n}", a))
            args.append(f"x{call}_{n}")
        lines.append(f"out{call} = f({', '.join(args)})")
        lines.append(f"R(out{call})")
    return Program("jit", tuple(lines))
