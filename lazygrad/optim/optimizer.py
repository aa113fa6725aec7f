"""Optimizer: parameter groups, per-parameter state, and a step that runs as ONE realize.

A subclass only writes `update(group, p, grad, state) -> {tensor: new value}`: lazy
expressions for the parameter and its state buffers, all computed from the old values. The
base class assigns them all and realizes everything in a single schedule, so one step is a
handful of fused kernels however many parameters there are.
"""
from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np

from lazygrad.engine.jit import capturing, guard, host_action
from lazygrad.frontend.complex_tensor import ComplexTensor
from lazygrad.frontend.grad_mode import enable_grad, no_grad
from lazygrad.frontend.jit import host_value
from lazygrad.frontend.sparse_coo import make_coo
from lazygrad.frontend.sparse_tensor import SparseBase
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.optim.optimizer_hooks import (
    OptimizerHooksMixin,
    load_state_dict_with_hooks,
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
    state_dict_with_hooks,
    with_step_hooks,
)
from lazygrad.optim.step_count import next_step, step_of

_HYPER_MESSAGES = {"lr": "Invalid learning rate: {}", "eps": "Invalid epsilon value: {}",
                   "momentum": "Invalid momentum value: {}", "alpha": "Invalid alpha value: {}",
                   "weight_decay": "Invalid weight_decay value: {}", "lr_decay": "Invalid lr_decay value: {}",
                   "initial_accumulator_value": "Invalid initial_accumulator_value value: {}",
                   "momentum_decay": "Invalid momentum_decay value: {}"}


def check_hyperparameters(checks: list[tuple[str, object]], *, nan_ok: bool = False) -> None:
    """torch's argument checks, in the order each optimizer makes them: every value must be
    >= 0 (SGD writes `x < 0`, so a nan passes there: nan_ok), a Tensor lr must hold one
    element, each beta must lie in [0, 1), and the betas are both floats or both Tensors."""
    for name, value in checks:
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if name == "betas":
            for i, beta in enumerate(value):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        elif name == "betas_kind":
            if not (all(isinstance(b, float) for b in value) or all(isinstance(b, Tensor) for b in value)):
                raise ValueError("betas must be either both floats or both Tensors")
        elif value < 0.0 if nan_ok else not 0.0 <= value:
            raise ValueError(_HYPER_MESSAGES[name].format(value))


def execution_options(foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                      **more) -> dict:
    """torch's options that choose how a step runs, not what it computes (foreach, capturable,
    fused): kept in the param groups under torch's names, so state dicts carry the same keys.
    A step here is always one fused realize that lg.jit can capture. differentiable=True (a
    step autograd can see through) is refused rather than silently run without a graph."""
    if differentiable:
        raise NotImplementedError("differentiable=True is not supported by lazygrad's optimizers: "
                                  "a step runs under no_grad")
    return {"foreach": foreach, "capturable": capturable, "differentiable": differentiable, **more}


def _steppable(p: Tensor) -> Tensor:
    """What an update rule steps: p, or for a complex p the real (..., 2) pair that holds its
    data and gradient, as torch steps view_as_real(p) (an update rule run as complex math would
    be wrong: Adam's grad * grad is not |grad|^2)."""
    return p._pair if isinstance(p, ComplexTensor) else p


def is_sparse(grad) -> bool:
    return isinstance(grad, SparseBase)


def touched(grad) -> Tensor:
    """A bool tensor of grad's shape: where a sparse gradient has an entry (the positions a
    sparse rule updates, as torch's updates only those)."""
    values = grad._values()
    return make_coo(grad._indices(), values.new_ones(tuple(values.shape)), grad.shape).to_dense() > 0


def _typename(x: object) -> str:
    """torch.typename: builtins by their bare name, everything else qualified."""
    if isinstance(x, Tensor):
        return f"lazygrad.Tensor (dtype {x.dtype.name})"
    kind = type(x)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


class Optimizer(OptimizerHooksMixin):
    complex_refusal: Exception | None = None  # what step raises for a complex parameter, where the rule has none
    # what step raises (RuntimeError, torch's words) for a sparse gradient; None where the rule takes them
    sparse_refusal: str | None = "{name} does not support sparse gradients"

    def __init_subclass__(cls, **kwargs) -> None:
        """A subclass's own step runs the step hooks too (optimizer_hooks.py)."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = with_step_hooks(cls.__dict__["step"])

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            f"dicts, but got {_typename(params)}")
        self.param_groups: list[dict] = []
        # (a defaultdict, as torch's: custom optimizers fill `self.state[p]` when `len(state) == 0`)
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Checks and fills in one group as torch does: the group dict itself is kept (and
        completed with the defaults); params may be a tensor, a list, or (name, tensor) pairs
        from named_parameters(); a parameter listed twice in one group is a warning (and is
        stepped twice, as torch's loop does), in two groups an error."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        ps = param_group["params"]
        if isinstance(ps, Tensor):
            ps = [ps]
        elif isinstance(ps, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        ps = list(ps)
        names = [p[0] for p in ps if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in ps]
        if names:
            if len(names) != len(ps):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for k, v in self.defaults.items():
            param_group.setdefault(k, v)
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this "
                          "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                          "information", UserWarning, stacklevel=3)
        for g in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in g):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else p.grad.zero_() if isinstance(p.grad, SparseBase) else p.grad.detach() * 0

    def _buffer(self, p: Tensor, value: float = 0.0) -> Tensor:
        """A realized state tensor shaped like p (a complex p's pair), for in-place updates."""
        p = _steppable(p)
        return Tensor(np.full(p.shape, value, dtype=p.dtype.np), device=p.device)

    def scalar(self, value, like: Tensor) -> Tensor:
        """A hyperparameter that changes between steps (lr, bias corrections) as a 0-d buffer:
        as a constant it would be baked into the kernel source and recompile every step.
        value: a number, or a function computing it from the optimizer's state, which lg.jit
        calls again before every replay (a number would freeze at its traced value)."""
        fn = value if callable(value) else (lambda: value)
        if capturing():
            return host_value(fn, like.dtype, like.device)
        key = (float(fn()), like.device, like.dtype)
        if key not in self._scalars:
            self._scalars[key] = Tensor(np.array(key[0], dtype=like.dtype.np), device=like.device)
        return self._scalars[key]

    def _baked_hyperparameters(self) -> tuple:
        return tuple(tuple(sorted((k, repr(v)) for k, v in g.items() if k not in ("params", "lr", "initial_lr")))
                     for g in self.param_groups)

    @staticmethod
    def count_step(state: dict) -> int:
        """state["step"] += 1, also on every lg.jit replay of a step traced with it."""
        host_action(lambda: next_step(state))
        return step_of(state)

    def update(self, group: dict, p: Tensor, grad: Tensor, state: dict) -> dict:
        raise NotImplementedError

    def _check_sparse(self) -> None:
        """torch's refusal of a sparse gradient (nn.Embedding(sparse=True)'s), before any update."""
        if self.sparse_refusal is None:
            return
        for group in self.param_groups:
            for p in group["params"]:
                if is_sparse(_steppable(p).grad):
                    raise RuntimeError(self.sparse_refusal.format(name=type(self).__name__))

    def _start_step(self) -> None:
        """What a subclass resets at the start of each step (a step of its own would run the
        step hooks twice: torch's SGD.step is the only step it runs)."""

    @with_step_hooks
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._scalars: dict = {}
        self._check_sparse()
        self._start_step()
        guard(self._baked_hyperparameters)  # lg.jit: lr is a host value, the rest are constants
        # torch updates a parameter listed twice in a group twice, the second time from the
        # first's result: the k-th listing of every parameter goes in round k, one realize each
        rounds: list[list[tuple[dict, Tensor]]] = []
        for group in self.param_groups:
            count: dict[int, int] = {}
            for p in group["params"]:
                k = count[id(p)] = count.get(id(p), -1) + 1
                if k == len(rounds):
                    rounds.append([])
                rounds[k].append((group, p))
        for work in rounds:
            targets = []
            with no_grad():
                for group, p in work:
                    if self.complex_refusal is not None and isinstance(p, ComplexTensor):
                        raise self.complex_refusal
                    q = _steppable(p)
                    if q.grad is None:
                        continue
                    grad = q.grad.detach()
                    if group.get("maximize", False):
                        grad = -grad
                    state = self.state.setdefault(p, {})
                    for t, value in self.update(group, q, grad, state).items():
                        targets.append(t.assign(value))
            if targets:
                realize(*targets)
        return loss

    # ---- saving ----------------------------------------------------------------------------------
    @state_dict_with_hooks
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index]}]}, torch's layout."""
        index: dict[int, int] = {}
        groups = []
        start = 0
        for g in self.param_groups:
            # torch's numbering: a group counts from the number of entries before it, and a
            # parameter listed twice takes its last position
            index.update({pid: i for i, pid in enumerate(map(id, g["params"]), start) if pid not in index})
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if self.state.get(p):
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    @load_state_dict_with_hooks
    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        params = [p for g in self.param_groups for p in g["params"]]
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                                 "size of optimizer's group")
            mine.update({k: v for k, v in saved.items() if k != "params"})
        self.state = defaultdict(dict)
        for i, st in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {k: (Tensor(v.detach().numpy(), device=p.device) if isinstance(v, Tensor) else v)
                             for k, v in st.items()}

    def __getstate__(self) -> dict:
        """Pickled and deep-copied without what a schedule added (its wrapper of step, which
        does not pickle, and the note that step ran), as torch's optimizer is."""
        state = dict(self.__dict__)
        state.pop("step", None)
        state.pop("_opt_called", None)
        return state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])


__all__ = ["Optimizer", "check_hyperparameters", "execution_options", "register_optimizer_step_post_hook",
           "register_optimizer_step_pre_hook"]
