"""torch.cond and torch.while_loop: torch's structured control flow, run eagerly.

torch's versions exist so that torch.compile and torch.export can capture both branches of an
`if` on a tensor, or a loop, into one graph. lazygrad does not capture Python control flow
(lg.jit records the kernels a call ran), so both are what their eager meaning is: cond calls
the branch pred picks with the operands, while_loop calls body_fn while cond_fn holds. Autograd
flows through whatever ran, as through any Python code.

The checks are torch's, so a program that passes here passes in torch:
- cond with a Python bool, int or float pred checks nothing (torch's own eager shortcut).
  Otherwise pred is a bool or a one-element tensor, both branches callable, and operands a
  tuple or list whose leaves (through nested tuples, lists and dicts) are tensors: torch's
  RuntimeError else. With a tensor pred torch traces both branches, so the untaken one must
  give the same structure, tensors of one shape and dtype (or ints), and neither may return an
  operand itself; here the untaken branch runs on detached copies of the operands, under
  no_grad and never realized, only to check that. Errors are RuntimeError (torch's dynamo
  errors are subclasses of it). A view of an operand returned from a branch is not detected.
- while_loop's carried inputs are a tuple or list of tensors and ints (AssertionError for
  other leaves, as torch's), cond_fn returns a bool or a 0-d bool tensor, and body_fn returns
  the same number of leaves, of the carried inputs' shapes and dtypes, none of them a carried
  input itself. torch checks body_fn's outputs by tracing it once before the loop runs; so
  does this (on detached copies, as cond's untaken branch), which also gives the structure of
  the result when the loop runs zero times. torch's detection of a cond_fn that is the
  constant True is left out: with concrete ints a Python bool is not a constant here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


def _flatten(tree: Any) -> tuple[list, Any]:
    """Leaves and a spec to rebuild the tree from them (tuples, lists and dicts are nodes)."""
    if isinstance(tree, (tuple, list)):
        pairs = [_flatten(x) for x in tree]
        return [leaf for ls, _ in pairs for leaf in ls], (type(tree), [s for _, s in pairs])
    if isinstance(tree, dict):
        pairs = [_flatten(v) for v in tree.values()]
        return [leaf for ls, _ in pairs for leaf in ls], (dict, list(tree), [s for _, s in pairs])
    return [tree], None


def _unflatten(leaves: list, spec: Any) -> Any:
    it = iter(leaves)

    def build(s: Any) -> Any:
        if s is None:
            return next(it)
        if s[0] is dict:
            return {k: build(sub) for k, sub in zip(s[1], s[2])}
        return s[0](build(sub) for sub in s[1])
    return build(spec)


def _copies(tree: Any) -> Any:
    leaves, spec = _flatten(tree)
    return _unflatten([x.detach().clone() if isinstance(x, Tensor) else x for x in leaves], spec)


def _describe(x: Any) -> str:
    return f"tensor of shape {tuple(x.shape)} and dtype {x.dtype.name}" if isinstance(x, Tensor) else type(x).__name__


def _check_like(what: str, got: list, want: list, inputs: list) -> None:
    """torch's traced-graph checks: as many leaves, each a tensor of the same shape and dtype or
    an int, none an input itself (torch refuses an output aliasing an input)."""
    if len(got) != len(want):
        raise RuntimeError(f"Expected {what} to have same number of outputs but got {len(got)} and {len(want)}")
    for i, (g, w) in enumerate(zip(got, want)):
        if any(g is x for x in inputs if isinstance(x, Tensor)):
            raise RuntimeError(f"Encountered aliasing during higher order op tracing: output {i} of {what} is one "
                               f"of its inputs; return a copy (x.clone())")
        if isinstance(g, Tensor) != isinstance(w, Tensor) or not isinstance(g, (Tensor, int)) or \
                (isinstance(g, Tensor) and (tuple(g.shape) != tuple(w.shape) or g.dtype != w.dtype)):
            raise RuntimeError(f"Expected {what} to have same metadata but output {i} differs: {_describe(g)} vs "
                               f"{_describe(w)} (outputs must be tensors or ints)")


def cond(pred: Any, true_fn: Callable, false_fn: Callable, operands: tuple | list = ()) -> Any:
    """true_fn(*operands) if pred else false_fn(*operands), with torch's checks (module docstring)."""
    if isinstance(pred, (bool, int, float)):
        return true_fn(*operands) if pred else false_fn(*operands)
    if not isinstance(pred, (bool, Tensor)):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")  # noqa: TRY004 (torch's class)
    if pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")  # noqa: TRY004 (torch's class)
    leaves = _flatten(operands)[0] if isinstance(operands, (tuple, list)) else None
    if leaves is None or any(not isinstance(x, Tensor) for x in leaves):
        raise RuntimeError("Expect operands to be a tuple of possibly nested dict/list/tuple that only consists of "
                           f"tensor leaves, but got {operands}.")
    taken, other = (true_fn, false_fn) if bool(pred.reshape(()).item()) else (false_fn, true_fn)
    result = taken(*operands)
    with no_grad():
        copies = _copies(operands)
        check = other(*copies)
    got, spec = _flatten(result)
    want, other_spec = _flatten(check)
    if spec != other_spec:
        raise RuntimeError("Expected true_fn and false_fn to return the same structure of outputs")
    _check_like("the branches", got, want, leaves)
    _check_like("the branches", want, got, _flatten(copies)[0])
    return result


def _check_cond_output(pred: Any) -> bool:
    if isinstance(pred, bool):
        return pred
    if isinstance(pred, Tensor) and pred.ndim == 0 and pred.dtype.name == "bool":
        return bool(pred.item())
    raise RuntimeError(f"cond_fn must return a boolean scalar tensor or a boolean but got {pred}")


def while_loop(cond_fn: Callable, body_fn: Callable, carried_inputs: tuple | list) -> Any:
    """Call body_fn on the carried inputs while cond_fn holds; with torch's checks (module docstring)."""
    if not callable(cond_fn) or not callable(body_fn):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")  # noqa: TRY004 (torch's class)
    leaves, in_spec = _flatten(carried_inputs)
    if not all(isinstance(x, (Tensor, int)) for x in leaves):
        raise AssertionError(f"{leaves} can only be of (Tensor, int) but got {tuple(type(x) for x in leaves)}")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list but got {type(carried_inputs)}")  # noqa: TRY004
    with no_grad():
        copies = _copies(carried_inputs)
        probe = body_fn(*copies)
    probe_leaves, out_spec = _flatten(probe)
    _check_like("body_fn_output and carried_inputs", probe_leaves, leaves, _flatten(copies)[0])
    carried = carried_inputs
    if not _check_cond_output(cond_fn(*carried)):
        return _unflatten([x.clone() if isinstance(x, Tensor) else x for x in leaves], out_spec)
    while True:
        out = body_fn(*carried)
        out_leaves, spec = _flatten(out)
        _check_like("body_fn_output and carried_inputs", out_leaves, _flatten(carried)[0], [])
        carried = _unflatten(out_leaves, in_spec)
        if not _check_cond_output(cond_fn(*carried)):
            return _unflatten(out_leaves, spec)


__all__ = ["cond", "while_loop"]
