"""lazygrad.optim: torch's optimizers and learning-rate schedules."""
from lazygrad.optim import lr_scheduler, swa_utils
from lazygrad.optim.adadelta_adagrad import Adadelta, Adagrad
from lazygrad.optim.adafactor import Adafactor
from lazygrad.optim.adam import Adam, AdamW
from lazygrad.optim.adam_variants import Adamax, NAdam, RAdam
from lazygrad.optim.lbfgs import LBFGS
from lazygrad.optim.muon import Muon
from lazygrad.optim.optimizer import Optimizer
from lazygrad.optim.rmsprop import RMSprop
from lazygrad.optim.rprop_asgd import ASGD, Rprop
from lazygrad.optim.sgd import SGD
from lazygrad.optim.sparse_adam import SparseAdam

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RAdam", "RMSprop",
           "lr_scheduler", "swa_utils"]

__all__ += ["ASGD", "LBFGS", "Adafactor", "Muon", "Rprop", "SparseAdam"]
