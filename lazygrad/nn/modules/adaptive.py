"""AdaptiveLogSoftmaxWithLoss (Grave et al., "Efficient softmax approximation for GPUs"):
the frequent classes (below cutoffs[0]) and one entry per rarer cluster share a head softmax;
each cluster's classes get a softmax of their own, through a smaller projection.

torch computes each cluster's softmax only for the rows whose target falls in it (nonzero and
index_select, sizes that depend on the values). Here every cluster's log-probabilities are
computed for every row and the row's own one is selected: the same values and gradients
(a row contributes nothing to a cluster it is not in), with shapes known before running.
"""
from __future__ import annotations

from collections import namedtuple

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn.modules.container import ModuleList, Sequential
from lazygrad.nn.modules.linear import Linear
from lazygrad.nn.modules.module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0, head_bias: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if (len(cutoffs) == 0 or cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes, self.div_value, self.head_bias = in_features, n_classes, div_value, head_bias
        self.cutoffs = cutoffs + [n_classes]
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device, dtype=dtype)
        self.tail = ModuleList([
            Sequential(Linear(in_features, int(in_features // (div_value ** (i + 1))), bias=False, device=device,
                              dtype=dtype),
                       Linear(int(in_features // (div_value ** (i + 1))), self.cutoffs[i + 1] - self.cutoffs[i],
                              bias=False, device=device, dtype=dtype))
            for i in range(self.n_clusters)])

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for projection, out in self.tail:
            projection.reset_parameters()
            out.reset_parameters()

    def _batched(self, input: Tensor, target: Tensor | None = None) -> tuple:
        if input.ndim not in (1, 2) or target is not None and target.ndim != input.ndim - 1:
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        if input.ndim == 1:
            return input.unsqueeze(0), None if target is None else target.unsqueeze(0), False
        if target is not None and target.shape[0] != input.shape[0]:
            raise RuntimeError("Input and target should have the same size in the batch dimension.")
        return input, target, True

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        input, target, batched = self._batched(input, target)
        values = target.numpy()
        if values.size and (values.min() < 0 or values.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{values.min()}, {values.max()}] were found. ")
        shortlist = self.shortlist_size
        head_index = target.clamp(max=shortlist)  # a shortlist class, or (below) its cluster's entry
        output = None
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            inside = (target >= low) & (target < high)
            head_index = inside.if_else(shortlist + i, head_index)
            relative = (target - low).clamp(0, high - low - 1).cast(dtypes.int64)
            logprob = F.log_softmax(self.tail[i](input), dim=1).gather(1, relative.unsqueeze(1)).squeeze(1)
            term = inside.if_else(logprob, 0.0)
            output = term if output is None else output + term
        head = F.log_softmax(self.head(input), dim=1).gather(1, head_index.cast(dtypes.int64).unsqueeze(1)).squeeze(1)
        output = head if output is None else output + head
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head = F.log_softmax(head_output, dim=1)
        parts = [head[:, :self.shortlist_size]]
        for i, cluster in enumerate(self.tail):
            entry = self.shortlist_size + i
            parts.append(F.log_softmax(cluster(input), dim=1) + head[:, entry:entry + 1])
        return parts[0].cat(*parts[1:], dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log-probabilities of every class, (N, n_classes) (or (n_classes,) unbatched)."""
        x, _, batched = self._batched(input)
        out = self._get_full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row."""
        x, _, batched = self._batched(input)
        out = self._get_full_log_prob(x, self.head(x)).argmax(dim=1)
        return out if batched else out.squeeze(0)
