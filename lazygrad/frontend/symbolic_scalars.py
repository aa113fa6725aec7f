"""torch's sym_* helpers (torch.sym_int, sym_float, sym_max, sym_min, sym_not, sym_sqrt, sym_sum,
sym_ite) on plain Python and numpy numbers.

torch writes shape arithmetic with these so that torch.compile can trace it symbolically
(SymInt, SymFloat, SymBool). lazygrad traces no Python scalars: its shapes are always concrete
ints, so each helper is torch's eager rule on concrete values, and a program that calls them
runs unchanged. The rules are torch's, including its quirks:

- sym_int truncates toward zero (int()), sym_float is float(); both accept what int()/float()
  accept, so a one-element tensor gives its value, as torch's.
- sym_max/sym_min take ints and floats only (numpy's too; bool is an int), and return a float
  when either is a float: sym_max(2, 1.0) == 2.0. Anything else, a tensor included, is
  torch's AssertionError.
- sym_not is `not a`; sym_sqrt is math.sqrt (math's errors: ValueError below zero).
- sym_sum takes one list or tuple, or the terms as arguments, and is the built-in sum.
- sym_ite(b, t, f) wants b a Python bool and t, f of one exact type (AssertionError else).
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

_NUMBERS = (np.integer, np.floating, int, float)  # what torch's sym_max/sym_min accept
_FLOATS = (np.floating, float)


def sym_int(a: Any) -> int:
    """int(a): truncates toward zero (int(-3.7) == -3), as torch's sym_int on a concrete value."""
    return builtins.int(a)


def sym_float(a: Any) -> float:
    """float(a), as torch's sym_float on a concrete value."""
    return builtins.float(a)


def _numbers(a: Any, b: Any) -> bool:
    """Checks torch's operand rule and says whether the result is a float."""
    for x in (a, b):
        if not isinstance(x, _NUMBERS):
            raise AssertionError(f"expected {_NUMBERS}, got {type(x)}")  # noqa: TRY004 (torch's class)
    return isinstance(a, _FLOATS) or isinstance(b, _FLOATS)


def sym_max(a: Any, b: Any) -> Any:
    """max(a, b), a float when either is one (torch promotes; the built-in keeps the winner's type)."""
    return builtins.float(builtins.max(a, b)) if _numbers(a, b) else builtins.max(a, b)


def sym_min(a: Any, b: Any) -> Any:
    """min(a, b), a float when either is one, as sym_max."""
    return builtins.float(builtins.min(a, b)) if _numbers(a, b) else builtins.min(a, b)


def sym_not(a: Any) -> bool:
    """`not a` (a tensor answers with its truth value: one element only)."""
    return not a


def sym_sqrt(a: Any) -> float:
    """math.sqrt(a): a float, ValueError below zero, as torch's sym_sqrt on a concrete value."""
    return math.sqrt(a)


def sym_sum(*args: Any) -> Any:
    """The sum of the terms, given as one list or tuple or as the arguments (torch takes both)."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return builtins.sum(args)


def sym_ite(b: Any, t: Any, f: Any) -> Any:
    """`t if b else f`, with torch's checks: b a bool, t and f of one type."""
    if not isinstance(b, builtins.bool):
        raise AssertionError(f"expected SymBool or bool, got {type(b)}")  # noqa: TRY004 (torch's class)
    if type(t) is not type(f):
        raise AssertionError(f"type mismatch: {type(t)} vs {type(f)}")
    return t if b else f


__all__ = ["sym_float", "sym_int", "sym_ite", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum"]
