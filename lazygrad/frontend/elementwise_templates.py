"""Elementwise composites recorded once, then remade node by node.

erf is about 200 primitive ops in float64 and 57 in float32 (piecewise fits, erf_fits.py),
an Adam update a dozen a parameter. Built through Tensor ops, every one of them pays for promotion,
broadcasting, wrapping and autograd bookkeeping: the two gelus of a small transformer were a
third of building its training step's graph. The graph of a pure elementwise function of
tensors depends only on what it is given besides their values: their dtypes, devices,
whether each is 0-d (a scalar operand is broadcast), which need gradients with grad mode
off (each op on one is then detached), and the keyword constants. So `templated(fn)` runs
fn once on placeholders, keeps its graph as a list of entries (op, src positions, arg,
dtype), and on later calls remakes those nodes over the real inputs with make() alone: the
very nodes the Tensor ops would have built (hash-consing makes equal structure one node;
tests/test_elementwise_templates.py checks the two are identical).

A function qualifies when every node of its graph is an input, an ALU op, a DETACH, a
constant of the result's shape, or a 0-d input broadcast to that shape; one that does not is
called as written, and remembered as such. Every input has the first one's shape or none.
An input that requires grad is templated only with grad mode off: with it on, the ops record
autograd's side tables, which a remade graph would not. (Forward-mode tangents are computed
from the graph, so they see the same nodes either way.)
"""
from __future__ import annotations

from collections.abc import Callable

from lazygrad.config import register_cache
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.ir.node import Node, make, toposort, user_location
from lazygrad.ir.ops import ALU, Op

_TEMPLATES: dict[tuple, tuple | None] = {}  # key -> (entries, outputs), or None: not elementwise
_TYPED = frozenset({Op.CAST, Op.BITCAST})
_PLACEHOLDER = "elementwise-template input"
_ONES, _FULL = "ones", "full"  # a broadcast's reshape to 1s and expand to the result's shape

CACHE = register_cache(
    "elementwise-templates", "the graphs of pure elementwise composites (erf, tanh, an Adam update), "
    "by function, constants, and the inputs' dtypes, devices, 0-d-ness and gradient needs; remade node "
    "by node over each new input", "one per composite and key", _TEMPLATES.clear, size=_TEMPLATES.__len__)


def templated(fn: Callable) -> Callable:
    """fn(*tensors, **constants), a tensor or a tuple of them, built from its remembered graph
    where it has one (see above)."""
    def call(*tensors, **constants):
        if not CACHE.enabled:
            return fn(*tensors, **constants)
        grad_on = is_grad_enabled()
        shape = tensors[0].node.shape
        # constants by type and repr: -0.0 == 0.0 and True == 1, yet each is a constant of its own
        key = [fn, grad_on, not shape, tuple(sorted((k, type(v), repr(v)) for k, v in constants.items()))]
        for t in tensors:
            node = t.node
            if (node.shape != shape and node.shape != () or grad_on and t.requires_grad
                    or node.op is Op.CONST and node.shape != shape):  # (a scalar constant broadcasts as one)
                return fn(*tensors, **constants)
            key.append((node.dtype, node.device, not node.shape, t.requires_grad))
        key = tuple(key)
        template = _TEMPLATES.get(key, ())
        if template == ():
            template = _TEMPLATES[key] = _record(fn, tensors, constants)
        if template is None:
            return fn(*tensors, **constants)
        made = _remake(template[0], [t.node for t in tensors], shape)
        new = tensors[0]._new
        outputs = template[1]
        return new(made[outputs]) if isinstance(outputs, int) else tuple(new(made[i]) for i in outputs)
    call.__wrapped__ = fn
    return call


def _record(fn: Callable, tensors: tuple, constants: dict) -> tuple | None:
    placeholders = [make(Op.BUFFER, (), (_PLACEHOLDER, i), t.dtype, t.node.shape, t.node.device)
                    for i, t in enumerate(tensors)]
    result = fn(*(t._new(p, t.requires_grad) for t, p in zip(tensors, placeholders)), **constants)
    roots = [result.node] if not isinstance(result, tuple) else [r.node for r in result]
    shape = tensors[0].node.shape
    order = toposort(roots)
    position = {n: i for i, n in enumerate(order)}
    entries = []
    for n in order:
        entry = _entry(n, placeholders, shape, position)
        if entry is False:
            return None
        entries.append(entry)
    outputs = position[roots[0]] if not isinstance(result, tuple) else tuple(position[r] for r in roots)
    return tuple(entries), outputs


def _entry(n: Node, placeholders: list, shape: tuple, position: dict):
    """n's entry: an input's index, or (op, src positions, arg, dtype); False if n is none
    of what a template may hold."""
    if n in placeholders:
        return placeholders.index(n)
    srcs = tuple(position[s] for s in n.srcs)
    if n.op is Op.CONST and n.shape in (shape, ()):
        return Op.CONST, (), n.arg, n.dtype, n.shape == shape
    if n.op in ALU or n.op is Op.DETACH:
        return n.op, srcs, n.arg, n.dtype if n.op in _TYPED else None
    if n.op is Op.RESHAPE and n.srcs[0].shape == () and n.arg == (1,) * len(shape):
        return Op.RESHAPE, srcs, _ONES, None
    if n.op is Op.EXPAND and n.arg == shape and n.srcs[0].shape == (1,) * len(shape):
        return Op.EXPAND, srcs, _FULL, None
    return False


def _remake(entries: tuple, inputs: list[Node], shape: tuple) -> list[Node]:
    """The template's nodes over inputs (the first of the result's shape); every one records
    the user's line, found once."""
    loc = user_location()
    device = inputs[0].device
    made: list[Node] = []
    for entry in entries:
        if entry.__class__ is int:
            made.append(inputs[entry])
            continue
        op = entry[0]
        if op is Op.CONST:
            made.append(make(Op.CONST, (), entry[2], entry[3], shape if entry[4] else (), device, loc))
            continue
        _, srcs, arg, dtype = entry
        if arg is _ONES:
            arg = (1,) * len(shape)
        elif arg is _FULL:
            arg = shape
        made.append(make(op, tuple(made[i] for i in srcs), arg, dtype, None, None, loc))
    return made
