"""F.ctc_loss and nn.CTCLoss against torch: values and the gradients of the logits (through a
log_softmax) and of log_probs themselves (torch's convention), for padded and concatenated
targets, repeated labels, an empty target, shorter inputs, each reduction and zero_infinity."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn

R = np.random.default_rng(0)
T, N, C = 6, 3, 4
LOGITS = R.standard_normal((T, N, C))
TARGETS = np.array([[1, 1, 2], [3, 0, 0], [2, 0, 0]])  # repeated labels need a blank between
TARGET_LENGTHS = np.array([3, 1, 0])  # an empty target
INPUT_LENGTHS = np.array([6, 4, 5])
REF = "python"  # the reference device compiles nothing: the recursion's many small kernels are fast there


@pytest.mark.parametrize("reduction,concatenated,through_log_softmax", [("mean", False, True), ("sum", True, False),
                                                                       ("none", False, False)])
def test_ctc_loss_matches_torch(reduction, concatenated, through_log_softmax):
    targets = np.concatenate([t[:k] for t, k in zip(TARGETS, TARGET_LENGTHS)]) if concatenated else TARGETS
    w = R.standard_normal(N if reduction == "none" else ())
    results = []
    for lib, f, make in ((lg, F, lambda a: lg.Tensor(a, device=REF)), (torch, TF, torch.tensor)):
        x = (lg.Tensor(LOGITS.astype(np.float32), device=REF, requires_grad=True) if lib is lg
             else torch.tensor(LOGITS, requires_grad=True))
        lp = f.log_softmax(x, -1) if through_log_softmax else x
        loss = f.ctc_loss(lp, make(targets), make(INPUT_LENGTHS), make(TARGET_LENGTHS), reduction=reduction)
        (loss * make(w.astype(np.float32) if lib is lg else w)).sum().backward()
        results.append((loss, x))
    (ours, ox), (theirs, tx) = results
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_impossible_alignments_are_infinite_or_zeroed_as_torch():
    # target [1, 1] needs 3 steps; 2 are given
    args = (np.array([[1, 1]]), np.array([2]), np.array([2]))
    x = R.standard_normal((2, 1, 3))
    for zero_infinity in (False, True):
        ours_x = lg.Tensor(x.astype(np.float32), device=REF, requires_grad=True)
        theirs_x = torch.tensor(x, requires_grad=True)
        ours = nn.CTCLoss(zero_infinity=zero_infinity)(F.log_softmax(ours_x, -1),
                                                        *(lg.Tensor(a, device=REF) for a in args))
        theirs = torch.nn.CTCLoss(zero_infinity=zero_infinity)(TF.log_softmax(theirs_x, -1),
                                                               *(torch.tensor(a) for a in args))
        ours.backward()
        theirs.backward()
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        if zero_infinity:
            np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), atol=1e-6)
