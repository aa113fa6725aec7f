"""Autograd, the tensor-facing half: which tensors receive gradients, and torch's checks.

The gradients themselves are Graph IR built by a pure transform (ir/gradient.py:
GRADIENT_RULES, gradient_nodes). Here: `backward()` and `grad()` seed it from outputs, map the
gradients of leaf BUFFER nodes back to the Tensors that own them (a registry of tensors that
asked for gradients, held weakly), and check, before anything runs, that no value a gradient
needs was written in place since (version counters, saved values).
"""
from __future__ import annotations

import contextlib
import weakref

from lazygrad.engine.graph_lock import one_thread_at_a_time
from lazygrad.engine.realize import cached, check_current
from lazygrad.errors import InplaceModifiedError
from lazygrad.frontend import anomaly_mode
from lazygrad.frontend import sparse_accumulate as sparse
from lazygrad.frontend.grad_hooks import run_grad_hooks
from lazygrad.frontend.grad_mode import is_grad_enabled, no_grad
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_hooks import (
    HOOKS_OF,
    check_hooked_sources,
    hooked_gradient,
    hooks_of,
    retained_tensor,
    start_backward,
)
from lazygrad.ir.gradient import add, const, declare_twin, gradient_nodes, gradient_sources
from lazygrad.ir.node import Node, make, toposort
from lazygrad.ir.ops import Op

# leaf tensors: every Tensor that was told requires_grad=True, held weakly; at backward time
# those whose node is a BUFFER in the graph receive .grad
_REQUIRES_GRAD: dict[int, weakref.ref] = {}


def _register(t) -> None:
    key = id(t)
    if key not in _REQUIRES_GRAD:
        _REQUIRES_GRAD[key] = weakref.ref(t, lambda _, key=key: _REQUIRES_GRAD.pop(key, None))


def live_leaves() -> list:
    """Every live tensor that was told requires_grad=True and is a leaf."""
    found = []
    for ref in list(_REQUIRES_GRAD.values()):
        t = ref()
        if t is not None and t.is_leaf and t.requires_grad:
            found.append(t)
    return found


def _leaf_tensors() -> dict:
    """Leaf tensors by their storage: a graph built before an in-place write (an optimizer
    step) reads an older version of a leaf, and its gradient is still that leaf's."""
    by_storage: dict = {}
    for t in live_leaves():
        storage = _leaf_storage(t.node)  # (None where another thread's write just replaced it)
        if storage is not None:
            by_storage.setdefault(storage, []).append(t)
    return by_storage


def _leaf_storage(node: Node):
    return node.buffer.storage if node.op is Op.BUFFER and node.buffer is not None else None


# torch's saved-variable check. torch's backward of an op keeps some of its operands or its
# result (exp keeps its result, mul each operand for the other's gradient), and raises when one
# of them was written in place since: the gradient would read a value that no longer exists.
# lazygrad's gradients are built from graph nodes, which stay computable after a write to an
# unrealized tensor, so what torch refuses would quietly work here. To fail as torch does, the
# front end records, on an op's output node, the version counters of what torch's op keeps
# (tensor_saved.py), and backward checks every node a gradient flows through.
class VersionCounter:
    """How many in-place writes a tensor and its views have seen (torch's `_version`)."""
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


# node -> one entry per time the front end built it: (op name, where, ((counter, version, what), ...)).
# Identical expressions are one node. A second build that keeps the same tensors adds an entry
# (the node passes the check when one of its builds still has everything it kept); one that
# keeps other tensors gets a twin node of its own (save_for_backward).
_SAVED: weakref.WeakKeyDictionary[Node, list] = weakref.WeakKeyDictionary()


# node -> what its backward will read that no storage holds: (whether it reads node's own value,
# the intermediate operand nodes it reads). torch's op keeps those tensors alive until its backward
# runs, so an in-place write to a buffer they were computed from leaves them intact; here they are
# computed first (tensor_storage.realize), until a backward through node has run
# (release_saved_values). The result is a flag, never the node: a value holding its own key
# would keep the weak table's entry alive forever.
_AWAITING: weakref.WeakKeyDictionary[Node, tuple] = weakref.WeakKeyDictionary()


def awaited_values() -> list:
    """The values a backward that has not run yet will read: computed before an in-place write
    that would change what they are computed from."""
    out = []
    for node, (result, operands, _) in list(_AWAITING.items()):
        if result:
            out.append(node)
        out.extend(operands)
    return out


def awaited_copies() -> list:
    """Buffer versions a backward that has not run yet will read where torch's op kept a copy
    (matmul's folded operands): an in-place write to their storage keeps them, as copies."""
    return [b for _, _, buffers in list(_AWAITING.values()) for b in buffers]


def release_saved_values(nodes) -> None:
    """A backward ran through these nodes (torch frees what they kept, unless retain_graph)."""
    if _AWAITING:
        for n in nodes:
            _AWAITING.pop(n, None)


def save_for_backward(node: Node, op: str, loc: str, kept: tuple, may_twin: bool = False) -> Node:
    """Record that the op that built node (at loc) keeps `kept`: (counter, what) pairs, and
    return the node its result should be.

    torch builds a graph node per call, so after `a = x.exp(); b = x.exp(); a += 1` a backward
    through a raises and one through b does not. Here both calls make one node, and graphs
    built from a and from b cannot be told apart. So where an earlier build of node kept other
    tensors (a, not b) and may_twin allows (the result is a value of its own, not a view), the
    result becomes a twin: DETACH(node, arg=n), the smallest n no live build holds, whose
    gradient is node's but declared straight to node's sources (gradient.declare_twin).
    Equal builds share n, so a loop rebuilding one expression rebuilds one graph, and its
    schedules are remembered."""
    entry = (op, loc, tuple((counter, counter.value, what) for counter, what in kept))
    counters = [c for c, _ in kept]
    number = 0
    while may_twin:
        built = _SAVED.get(node if number == 0 else make(Op.DETACH, (node,), number))
        if not built or any([c for c, _, _ in e[2]] == counters for e in built):
            break
        number += 1
    if number:
        twin = make(Op.DETACH, (node,), number)
        if twin not in _SAVED:
            declare_twin(twin, node)
        node = twin
    _SAVED.setdefault(node, []).append(entry)
    return node


def await_backward(node: Node, original: Node, needs: tuple) -> None:
    """Record what a backward through node will read that no storage holds (tensor_saved._needs):
    (its result, intermediate operands, buffer versions kept as copies). original is the node
    before a twin was made of it: a twin's value is its node's, so that node is needed (being
    the twin's source, it keeps no entry alive)."""
    if not any(needs):
        return
    wanted = needs[1] + ((original,) if needs[0] and node is not original else ())
    result, operands, buffers = _AWAITING.get(node, (False, (), ()))
    _AWAITING[node] = (result or needs[0], operands + tuple(n for n in wanted if n not in operands),
                       buffers + tuple(b for b in needs[2] if b not in buffers))


def _modified(entry) -> tuple | None:
    return next(((v, c.value, what) for c, v, what in entry[2] if c.value != v), None)


def check_saved_versions(nodes) -> None:
    """Raise torch's error when a node a gradient flows through was built by an op whose kept
    operand or result has been written in place since."""
    if not _SAVED:
        return
    for n in nodes:
        entries = _SAVED.get(n)
        if not entries:
            continue
        stale = [(e, _modified(e)) for e in entries]
        if all(m is not None for _, m in stale):
            (op, loc, _), (version, now, what) = stale[0]
            raise InplaceModifiedError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{n.dtype.name}{list(n.shape)}], the {what} that {op} (at {loc}) "
                f"keeps for its gradient, is at version {now}; expected version {version} instead. "
                "Compute the gradient before the write, or write into a clone")


def check_gradients_current(grads, through=()) -> None:
    """torch's version-counter check, at backward time, before anything runs: a node the
    gradients flow `through` whose op kept a value written since raises (as torch's), and a
    gradient that would read a replaced version of a buffer raises (it would be wrong)."""
    check_saved_versions(through)
    grads = list(grads)
    if not grads:
        return
    order = toposort(grads, stop=lambda n: cached(n) is not None)
    check_current(order, grads[0])


def _no_grad_fn(i: int) -> RuntimeError:
    return RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _seed(output, given, i: int) -> Node:
    """The gradient flowing into an output: ones for a scalar, else the one given."""
    if given is None:
        if output.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs, got shape "
                               f"{list(output.shape)}")
        return const(output.node, 1.0)
    if not isinstance(given, TensorBase):
        given = output._from_data(given, dtype=output.dtype, device=output.device)
    if given.shape != output.shape:
        raise RuntimeError(f"mismatch in shape: grad_outputs[{i}] has a shape of "
                           f"{list(given.shape)} and output[{i}] has a shape of {list(output.shape)}")
    return given.cast(output.dtype).node


def reaches_leaf(node: Node) -> bool:
    """Whether a gradient leads on to a leaf along the edges a gradient of it would flow:
    through differentiable ops, and past a DETACH only along the gradient paths declared on
    it (a gradient written from its op's result). torch's requires_grad of the result."""
    leaves = _leaf_tensors()
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if _leaf_storage(n) in leaves:
            return True
        stack.extend(gradient_sources(n))
    return False


def _check_anomalies(made: list | None, like) -> None:
    """Anomaly mode's NaN check of every gradient backward made (anomaly_mode.py)."""
    def op_name(node: Node) -> str:
        fn = like._new(node, True).grad_fn
        return fn.name() if fn is not None else node.op.value
    if made is not None:
        anomaly_mode.check_gradients(made, lambda g: bool(like._new(g).isnan().any().item()), op_name)


# _GRAD_MODE: gradients are built with grad mode = create_graph, as torch's engine runs each
# backward function, and hooks run under the same mode. A declared gradient (tensor_declared.py)
# is a formula on tensors with history; built with grad mode on, each of its ops recorded what
# its own backward would keep (autograd.await_backward), for a second backward that cannot come
# (the gradients are detached), and every in-place write after it (an optimizer step) computed
# those values as roots of its schedule, kept to the schedule's end: the GPT eager step of
# tools/bench_models.py peaked at 83 MiB of resident growth, 57 without them. Built with it off,
# its ops on tensors that require grad are detached, no longer the forward's nodes: gelu's erf is
# computed again, and scheduler rule 6 (heavy-epilogue) keeps float64's out of the backward
# matmuls' kernels (fused there, 0.6 -> 9.7 ms); float32's own fit, ~40 ops, is light enough.


def _retains(retain_graph, create_graph: bool) -> bool:
    """torch's retain_graph defaults to create_graph."""
    return bool(create_graph if retain_graph is None else retain_graph)


@one_thread_at_a_time
def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """torch.autograd.grad: the gradients of outputs with respect to inputs, one per input.
    The graph is never freed here, so retain_graph is accepted and has no effect."""
    outputs = [outputs] if isinstance(outputs, TensorBase) else list(outputs)
    single = isinstance(inputs, TensorBase)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, TensorBase):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise _no_grad_fn(i)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"input {i} of grad() does not require grad")
    nodes = {x.node: x for x in inputs if x.node.op is not Op.BUFFER}
    seeds = [_seed(o, g, i) for i, (o, g) in enumerate(zip(outputs, grad_outputs))]
    storages = {_leaf_storage(x.node): x for x in inputs if x.node.op is Op.BUFFER}
    roots = [o.node for o in outputs]
    check_hooked_sources(roots)
    for x in inputs:
        sparse.sparse_parts(x, build=False)
    start_backward()
    through: set = set()
    # (only what the inputs need runs, hooks too, as torch's engine)
    made = [] if anomaly_mode.checking() else None
    with contextlib.nullcontext() if create_graph else no_grad():  # see _GRAD_MODE
        with sparse.collecting(not create_graph):  # (create_graph: dense, differentiable)
            found = gradient_nodes(roots, seeds, lambda n: n in nodes or _leaf_storage(n) in storages, through, made)
        _check_anomalies(made, outputs[0])
        by_input: dict[int, Node] = {}
        for n, g in found.items():
            if n in HOOKS_OF:
                g = hooked_gradient(n, g)
            x = storages.get(_leaf_storage(n)) if n not in nodes else nodes[n]
            by_input[id(x)] = add(by_input[id(x)], g) if id(x) in by_input else g
        check_gradients_current(by_input.values(), through)
        if not _retains(retain_graph, create_graph):
            release_saved_values(through)
        result = []
        for x in inputs:
            g = by_input.get(id(x))
            if g is None and sparse.PENDING in x.__dict__:
                result.append(sparse.sparse_result(None, sparse.sparse_parts(x), x))
                continue
            if g is None:
                if not allow_unused:
                    raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                                       "in the graph. Set allow_unused=True if this is the desired behavior.")
                result.append(None)
                continue
            parts = sparse.sparse_parts(x)
            if parts:
                result.append(sparse.sparse_result(g, parts, x))
                continue
            hooks = hooks_of(x)
            if hooks is not None and hooks.fns and x.node not in HOOKS_OF:  # a leaf's (a non-leaf's ran above)
                g = hooks.run(x._new(g)).node
            keep = create_graph and is_grad_enabled() and reaches_leaf(g)
            result.append(x._new(g if keep else make(Op.DETACH, (g,)), keep))
    return tuple(result)


@one_thread_at_a_time
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """torch.autograd.backward: several outputs at once, their gradients summed into .grad."""
    outputs = [tensors] if isinstance(tensors, TensorBase) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, TensorBase):
        grad_tensors = [grad_tensors] * len(outputs) if grad_tensors is None else [grad_tensors]
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise _no_grad_fn(i)
    seeds = [_seed(o, g, i) for i, (o, g) in enumerate(zip(outputs, grad_tensors))]
    leaves = _leaf_tensors()
    if inputs is not None:
        chosen = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
        leaves = {_leaf_storage(t.node): [t] for t in chosen if t.node.op is Op.BUFFER}
    roots = [o.node for o in outputs]
    check_hooked_sources(roots)
    for ts in leaves.values():
        for t in ts:
            sparse.sparse_parts(t, build=False)  # (what an earlier transform recorded and nothing took)
    hooked = HOOKS_OF if inputs is None else {}
    start_backward()
    through: set = set()
    made = [] if anomaly_mode.checking() else None
    with contextlib.nullcontext() if create_graph else no_grad():  # see _GRAD_MODE
        with sparse.collecting(not create_graph):  # (create_graph: dense, differentiable)
            found = gradient_nodes(roots, seeds, lambda n: _leaf_storage(n) in leaves or n in hooked, through, made)
        _check_anomalies(made, outputs[0])
        by_storage: dict = {}
        kept = []  # (retained non-leaf, its gradient)
        for node, g in found.items():
            if node in hooked:
                g = hooked_gradient(node, g)
                if (t := retained_tensor(node)) is not None:
                    kept.append((t, g))
                continue
            st = _leaf_storage(node)
            by_storage[st] = add(by_storage[st], g) if st in by_storage else g
        check_gradients_current(by_storage.values(), through)
        if not _retains(retain_graph, create_graph):
            release_saved_values(through)
        keep = create_graph and is_grad_enabled()
        made = {}
        fresh = sparse.take_all(leaves)  # {id(t): (storage, t, its sparse gradient in this backward)}
        for st, g in by_storage.items():
            for t in leaves[st]:
                if id(t) in fresh:  # a dense and a sparse gradient meet: torch's sum is dense
                    g = add(g, fresh.pop(id(t))[2].to_dense().node)
                hooks = hooks_of(t)
                if hooks is not None and hooks.fns:  # torch's tensor hooks: before the gradient is accumulated
                    g = hooks.run(t._new(g if keep else make(Op.DETACH, (g,)), keep)).node
                want = t.__dict__.get("_grad_dtype", t.dtype)  # (torch's grad_dtype)
                if want is not None and g.dtype != want:
                    g = t._new(g, keep).cast(want).node
                total = g if t.grad is None else add(sparse.dense(t.grad).node, g)
                t.grad = t._new(total if keep else make(Op.DETACH, (total,)), keep)
                if "_multi_grad_hooks" in t.__dict__:
                    made[id(t)] = (t, t._new(g if keep else make(Op.DETACH, (g,)), keep))
        for t, g in kept:
            total = g if t.grad is None else add(t.grad.node, g)
            t.grad = t._new(total if keep else make(Op.DETACH, (total,)), keep)
        for _, t, g in fresh.values():
            hooks = hooks_of(t)
            t.grad = sparse.accumulate_sparse(t.grad, hooks.run(g) if hooks is not None and hooks.fns else g)
        for st in dict.fromkeys([*by_storage, *(st for st, _, _ in fresh.values())]):
            for t in leaves[st]:
                hooks = hooks_of(t)
                for fn in list(hooks.post.values()) if hooks is not None else ():
                    fn(t)
        if made:
            run_grad_hooks(made)  # (frontend/grad_hooks.py: DistributedDataParallel starts here)
