"""torch.special: the special functions under their scipy-style names (lg.special.gammaln is
lg.lgamma, lg.special.expit is lg.sigmoid, ...), each the Tensor method of the same function."""
from __future__ import annotations

import math

from lazygrad.frontend.functions import _as_tensor
from lazygrad.frontend.tensor import Tensor


def _method(name: str, torch_name: str):
    def fn(input, *args, **kwargs) -> Tensor:
        return getattr(_as_tensor(input), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = torch_name
    fn.__doc__ = f"torch.special.{torch_name}(x) is x.{name}()."
    return fn


erf = _method("erf", "erf")
erfc = _method("erfc", "erfc")
erfinv = _method("erfinv", "erfinv")
digamma = _method("digamma", "digamma")
psi = _method("digamma", "psi")
gammaln = _method("lgamma", "gammaln")
expit = _method("sigmoid", "expit")
exp2 = _method("exp2", "exp2")
expm1 = _method("expm1", "expm1")
log1p = _method("log1p", "log1p")
logit = _method("logit", "logit")
logsumexp = _method("logsumexp", "logsumexp")
round = _method("round", "round")
sinc = _method("sinc", "sinc")
xlogy = _method("xlogy", "xlogy")
softmax = _method("softmax", "softmax")
log_softmax = _method("log_softmax", "log_softmax")


def polygamma(n: int, input) -> Tensor:
    return _as_tensor(input).polygamma(n)


def ndtr(input) -> Tensor:
    """The standard normal distribution function, (1 + erf(x / sqrt 2)) / 2, as erfc(-x / sqrt 2) / 2
    (no cancellation in the lower tail)."""
    return (_as_tensor(input)._float() * (-1 / math.sqrt(2))).erfc() * 0.5


__all__ = ["digamma", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln", "log1p", "log_softmax",
           "logit", "logsumexp", "ndtr", "polygamma", "psi", "round", "sinc", "softmax", "xlogy"]
