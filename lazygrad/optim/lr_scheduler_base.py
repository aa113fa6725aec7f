"""LRScheduler: the base every learning-rate schedule shares, with torch's protocol.

A schedule writes `get_lr()` (the next lrs, usually from the groups' current lrs, which is
how torch chains schedules) and may write `_get_closed_form_lr()` (lrs from base_lrs and
last_epoch alone, used by `step(epoch)`).

Under lg.jit a traced training step must not freeze its lr: every change to the optimizer's
param groups runs inside a `host_action`, which lg.jit runs again before each replay. So a
host action body calls `_advance`, never `step()` (that would record a second action)."""
from __future__ import annotations

from lazygrad.engine.jit import host_action


def per_group(name: str, optimizer, value) -> list:
    """One value per param group: a list or tuple as given (its length checked), else repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name}, got {len(value)}")
        return list(value)
    return [value] * n


def set_momentum(group: dict, momentum: float, use_beta1: bool) -> None:
    """CyclicLR and OneCycleLR cycle momentum: beta1 for Adam-like optimizers, else momentum."""
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class LRScheduler:
    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for i, g in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                g.setdefault("initial_lr", g["lr"])
            elif "initial_lr" not in g:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                               "scheduler with last_epoch >= 0.")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step a schedule takes when made (to epoch 0): chained schedules keep the lr then."""
        self._step_count = 0
        host_action(lambda: self._advance(None, initial=True))

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule (under lg.jit, again before every replay of a traced step)."""
        host_action(lambda: self._advance(epoch))

    def _advance(self, epoch: int | None, initial: bool = False) -> None:
        self._step_count += 1
        self._is_initial = initial
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed = getattr(self, "_get_closed_form_lr", None)
                values = closed() if closed is not None else self.get_lr()
        finally:
            self._is_initial = False
        for g, lr in zip(self.optimizer.param_groups, values):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _group_lrs(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler  # torch's old name, still imported by older code
