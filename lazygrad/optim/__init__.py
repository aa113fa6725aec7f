"""lazygrad.optim: torch's optimizers and learning-rate schedules."""
from lazygrad.optim import lr_scheduler
from lazygrad.optim.adam import Adam, AdamW
from lazygrad.optim.optimizer import Optimizer
from lazygrad.optim.rmsprop import RMSprop
from lazygrad.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
