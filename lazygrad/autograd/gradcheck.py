"""torch.autograd.gradcheck and gradgradcheck: a function's gradients against finite differences.

The numerical jacobian perturbs one element of one input at a time by +-eps (central
differences, computed on copies, so the inputs are never written); the analytical one takes
one backward per output element. They are compared as torch compares them (|a - n| <= atol +
rtol |n|) and shown as torch shows them, one row per input element. gradgradcheck checks the
gradient function itself the same way, with grad_outputs as extra inputs. torch's extra
checks (undefined and batched gradients, forward mode) are accepted and not run.
"""
from __future__ import annotations

import warnings

import numpy as np

from lazygrad import dtypes
from lazygrad.autograd.functional import element_gradients
from lazygrad.frontend.autograd import grad
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor


class GradcheckError(RuntimeError):
    """A gradient that does not match its finite differences (torch's class)."""


def _tuple(x) -> tuple:
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _differentiable(outputs) -> list[Tensor]:
    return [o for o in _tuple(outputs) if isinstance(o, Tensor) and o.requires_grad]


def _values(func, inputs: tuple) -> list[np.ndarray]:
    """func's float outputs, flat (in grad mode: gradgradcheck's function differentiates)."""
    return [np.asarray(o.detach().numpy(), dtype=np.float64).reshape(-1)
            for o in _tuple(func(*inputs)) if isinstance(o, Tensor) and o.dtype.is_float]


def _numerical(func, inputs: tuple, j: int, eps: float) -> list[np.ndarray]:
    """For each float output: (input j's numel, output numel), central differences."""
    x = inputs[j]
    base = np.asarray(x.detach().numpy(), dtype=x.dtype.np)
    columns = []
    for k in range(base.size):
        moved = []
        for step in (eps, -eps):
            v = base.copy().reshape(-1)
            v[k] += step
            changed = list(inputs)
            changed[j] = Tensor(v.reshape(base.shape), dtype=x.dtype, device=x.device, requires_grad=x.requires_grad)
            moved.append(_values(func, tuple(changed)))
        columns.append([(p - m) / (2 * eps) for p, m in zip(*moved)])
    n_out = len(columns[0]) if columns else len(_values(func, inputs))
    return [np.stack([c[i] for c in columns]) if columns else np.zeros((0, 0)) for i in range(n_out)]


def _analytical(output: Tensor, inputs: tuple, j: int) -> np.ndarray:
    x = inputs[j]
    rows = [np.zeros(x.numel()) if g is None else np.asarray(g.detach().numpy(), np.float64).reshape(-1)
            for g, in element_gradients(output, (x,))]
    return np.stack(rows, axis=1) if rows else np.zeros((x.numel(), 0))


def _shown(a: np.ndarray) -> str:
    return repr(Tensor(a, dtype=dtypes.float64))


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              nondet_tol: float = 0.0, check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True, fast_mode: bool = False,
              masked=None) -> bool:
    inputs = _tuple(inputs)
    wanted = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wanted:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the "
                         "them have requires_grad=True.")
    for j in wanted:
        if inputs[j].dtype != dtypes.float64:
            warnings.warn(f"Input #{j} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", stacklevel=2)
    float_outputs = [o for o in _tuple(func(*inputs)) if isinstance(o, Tensor) and o.dtype.is_float]
    for j in wanted:
        numerical = _numerical(func, inputs, j, eps)
        for i, out in enumerate(float_outputs):
            analytical = _analytical(out, inputs, j) if out.requires_grad else np.zeros_like(numerical[i])
            if not np.allclose(analytical, numerical[i], rtol=rtol, atol=atol, equal_nan=True):
                if not raise_exception:
                    return False
                raise GradcheckError(f"Jacobian mismatch for output {i} with respect to input {j},\n"
                                     f"numerical:{_shown(numerical[i])}\nanalytical:{_shown(analytical)}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """gradcheck of the gradient: func's vector-Jacobian product for grad_outputs (random
    ones that require grad, where not given), as a function of the inputs and grad_outputs."""
    inputs = _tuple(inputs)
    outputs = _differentiable(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn(*o.shape, dtype=o.dtype, device=o.device).requires_grad_(True) for o in outputs)
    grad_outputs = _tuple(grad_outputs)
    n = len(inputs)

    def gradient(*args):
        xs, gos = args[:n], args[n:]
        outs = _differentiable(func(*xs))
        wanted = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(outs, wanted, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)
    return gradcheck(gradient, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)


__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
