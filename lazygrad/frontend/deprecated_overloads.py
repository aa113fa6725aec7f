"""torch's deprecated overloads that put the number first: `x.add_(-lr, grad)`,
`x.sub(alpha, other)`, `x.addcmul_(1 - beta2, grad, grad)`, `x.addcdiv_(-step, m, denom)`, as
optimizers written before torch 1.5 call them (and many copies of them still do). torch still
runs them, with one UserWarning per process that names the first overload used, and gives what
the current signature gives for the same numbers; so do these, before the op runs."""
from __future__ import annotations

from lazygrad.frontend.process_settings import torch_warn_once
from lazygrad.frontend.tensor_base import TensorBase

# the deprecated form and its replacement, as torch's warning prints them
_FORMS = {
    "add": ("Number alpha, Tensor other", "Tensor other, *, Number alpha = 1"),
    "sub": ("Number alpha, Tensor other", "Tensor other, *, Number alpha = 1"),
    "addcmul": ("Number value, Tensor tensor1, Tensor tensor2", "Tensor tensor1, Tensor tensor2, *, Number value = 1"),
    "addcdiv": ("Number value, Tensor tensor1, Tensor tensor2", "Tensor tensor1, Tensor tensor2, *, Number value = 1"),
}


def number_first(name: str, args: tuple) -> bool:
    """Whether a call of `name` (add, sub, addcmul, addcdiv, or their in-place forms) with these
    positional arguments after self is the deprecated number-first form; warns (once) if so."""
    if not args or isinstance(args[0], TensorBase) or not all(isinstance(a, TensorBase) for a in args[1:]):
        return False
    if len(args) != (2 if name.rstrip("_") in ("add", "sub") else 3):
        return False
    old, new = _FORMS[name.rstrip("_")]
    torch_warn_once("deprecated number-first overload",
                    f"This overload of {name} is deprecated:\n\t{name}({old})\n"
                    f"Consider using one of the following signatures instead:\n\t{name}({new})")
    return True
