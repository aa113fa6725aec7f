"""Optimizer: parameter groups, per-parameter state, and a step that runs as ONE realize.

A subclass only writes `update(group, p, grad, state) -> {tensor: new value}`: lazy
expressions for the parameter and its state buffers, all computed from the old values. The
base class assigns them all and realizes everything in a single schedule, so one step is a
handful of fused kernels however many parameters there are.
"""
from __future__ import annotations

import numpy as np

from lazygrad.grad_mode import no_grad
from lazygrad.tensor import Tensor, realize


class Optimizer:
    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict] = []
        self.state: dict[Tensor, dict] = {}
        for g in groups:
            self.add_param_group(dict(g))

    def add_param_group(self, group: dict) -> None:
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError("optimizer can only optimize tensors that require grad")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else p.grad.detach() * 0

    def _buffer(self, p: Tensor, value: float = 0.0) -> Tensor:
        """A realized state tensor shaped like p, for in-place updates."""
        return Tensor(np.full(p.shape, value, dtype=p.dtype.np), device=p.device)

    def scalar(self, value: float, like: Tensor) -> Tensor:
        """A hyperparameter that changes between steps (lr, bias corrections) as a 0-d buffer:
        as a constant it would be baked into the kernel source and recompile every step."""
        key = (float(value), like.device, like.dtype)
        if key not in self._scalars:
            self._scalars[key] = Tensor(np.array(value, dtype=like.dtype.np), device=like.device)
        return self._scalars[key]

    def update(self, group: dict, p: Tensor, grad: Tensor, state: dict) -> dict:
        raise NotImplementedError

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from lazygrad.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        targets = []
        self._scalars: dict = {}
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.detach()
                    if group.get("maximize", False):
                        grad = -grad
                    state = self.state.setdefault(p, {})
                    for t, value in self.update(group, p, grad, state).items():
                        targets.append(t.assign(value))
        if targets:
            realize(*targets)
        return loss

    # ---- saving ----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [index]}]}, torch's layout."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

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
        self.state = {}
        for i, st in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {k: (Tensor(v.numpy(), device=p.device) if isinstance(v, Tensor) else v)
                             for k, v in st.items()}

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])
