"""torch.nn's losses and distances against torch: values and input gradients for each
reduction (pairwise over the options rather than every combination), the modules, and torch's
errors for bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn

R = np.random.default_rng(0)
DATA = {
    "x": R.standard_normal((4, 3)) * 2, "x2": R.standard_normal((4, 3)), "x3": R.standard_normal((4, 3)),
    "y": R.standard_normal((4, 3)) * 2, "pos": R.uniform(0.1, 3.0, (4, 3)), "var": R.uniform(0.1, 2.0, (4, 3)),
    "counts": np.array([[0.0, 1.0, 2.0], [3.0, 0.5, 1.0], [4.0, 0.0, 7.0], [1.0, 2.0, 0.0]]),
    "prob": np.array([[0.2, 0.0, 0.8], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0], [0.1, 0.6, 0.3]]),
    "sign": np.array([1.0, -1.0, -1.0, 1.0]), "sign2": np.array([[1.0, -1.0, 1.0]] * 2 + [[-1.0, 1.0, 1.0]] * 2),
    "bits": np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]]),
    "w3": np.array([0.5, 2.0, 1.0]), "label": np.array([2, 0, -100, 1]), "cls": np.array([2, 0, 1, 1]),
    "multilabel": np.array([[0, 2, -1], [1, -1, 0], [2, 1, 0], [-1, 0, 1]]),
}
GRAD = ("x", "x2", "x3", "var", "pos")  # the inputs whose gradients are compared

# name: loss(f, d) with f the functional module (torch's or ours) and d the inputs
CASES = {
    "huber": lambda f, d: f.huber_loss(d["x"], d["y"], delta=0.7),
    "huber_weight_sum": lambda f, d: f.huber_loss(d["x"], d["y"], "sum", 1.5, d["pos"] * 1),
    "smooth_l1_none": lambda f, d: f.smooth_l1_loss(d["x"], d["y"], reduction="none", beta=0.5),
    "smooth_l1_beta0": lambda f, d: f.smooth_l1_loss(d["x"], d["y"], beta=0.0),
    "kl_div_batchmean": lambda f, d: f.kl_div(f.log_softmax(d["x"], 1), d["prob"], reduction="batchmean"),
    "kl_div_log_target_none": lambda f, d: f.kl_div(d["x"], d["x2"], reduction="none", log_target=True),
    "kl_div_sum": lambda f, d: f.kl_div(d["x"], d["prob"], reduction="sum"),
    "margin_ranking": lambda f, d: f.margin_ranking_loss(d["x"][:, 0], d["x2"][:, 0], d["sign"], 0.3),
    "cosine_embedding_none": lambda f, d: f.cosine_embedding_loss(d["x"], d["x2"], d["sign"], 0.2, reduction="none"),
    "triplet": lambda f, d: f.triplet_margin_loss(d["x"], d["x2"], d["x3"], margin=2.0),
    "triplet_p1_swap_sum": lambda f, d: f.triplet_margin_loss(d["x"], d["x2"], d["x3"], 1.0, 1, swap=True,
                                                              reduction="sum"),
    "hinge_embedding": lambda f, d: f.hinge_embedding_loss(d["x"], d["sign2"], 1.5),
    "soft_margin_sum": lambda f, d: f.soft_margin_loss(d["x"], d["sign2"], reduction="sum"),
    "multilabel_soft_margin": lambda f, d: f.multilabel_soft_margin_loss(d["x"], d["bits"], d["w3"]),
    "poisson_nll": lambda f, d: f.poisson_nll_loss(d["x"], d["counts"]),
    "poisson_nll_full_none": lambda f, d: f.poisson_nll_loss(d["pos"], d["counts"], False, True, reduction="none"),
    "gaussian_nll": lambda f, d: f.gaussian_nll_loss(d["x"], d["y"], d["var"]),
    "gaussian_nll_homo_full_sum": lambda f, d: f.gaussian_nll_loss(d["x"], d["y"], d["var"][:, 0], True,
                                                                   reduction="sum"),
    "normalize": lambda f, d: f.normalize(d["x"]),
    "normalize_p1_dim0": lambda f, d: f.normalize(d["x"], 1.0, 0),
    "cosine_similarity": lambda f, d: f.cosine_similarity(d["x"], d["x2"][:1]),
    "pairwise_distance": lambda f, d: f.pairwise_distance(d["x"], d["x2"], keepdim=True),
    "pairwise_distance_p3": lambda f, d: f.pairwise_distance(d["x"], d["x2"], 3.0),
    "pdist": lambda f, d: f.pdist(d["x"]),
    "pdist_p1": lambda f, d: f.pdist(d["x2"], 1.0),
    "pairwise_distance_inf": lambda f, d: f.pairwise_distance(d["x"], d["x2"], math.inf),
    "multi_margin": lambda f, d: f.multi_margin_loss(d["x"], d["cls"]),
    "multi_margin_p2_weight_none": lambda f, d: f.multi_margin_loss(d["x"], d["cls"], 2, 0.5, d["w3"], reduction="none"),
    "multilabel_margin_none": lambda f, d: f.multilabel_margin_loss(d["x"], d["multilabel"], reduction="none"),
    "triplet_cosine_distance_swap": lambda f, d: f.triplet_margin_with_distance_loss(
        d["x"], d["x2"], d["x3"], distance_function=lambda a, b: 1 - f.cosine_similarity(a, b), swap=True),
    # the existing losses' options, checked here against torch too
    "nll_weight_ignore": lambda f, d: f.nll_loss(f.log_softmax(d["x"], 1), d["label"], d["w3"]),
    "cross_entropy_probs_weight_smooth": lambda f, d: f.cross_entropy(d["x"], d["prob"], d["w3"],
                                                                      label_smoothing=0.1),
    "cross_entropy_ignore_smooth_sum": lambda f, d: f.cross_entropy(d["x"], d["label"], reduction="sum",
                                                                    label_smoothing=0.2),
    "bce_weight": lambda f, d: f.binary_cross_entropy(d["prob"] * 0.9 + 0.05 + d["x"] * 0.01, d["bits"], d["w3"]),
    "bce_logits_pos_weight_none": lambda f, d: f.binary_cross_entropy_with_logits(d["x"], d["bits"], d["w3"] * 1,
                                                                                  reduction="none",
                                                                                  pos_weight=d["w3"]),
}
OTHER_DEVICES = ["kl_div_batchmean", "triplet"]


def _inputs(make):
    return {k: make(v, k in GRAD) for k, v in DATA.items()}


def test_the_whole_table_matches_torch_on_the_reference_device():
    """The python device compiles nothing, so the whole table is fast there."""
    _check("python", list(CASES))


def test_part_of_the_table_matches_torch_on_each_device(device):
    _check(device, OTHER_DEVICES)


def _check(device, names):
    """Values and input gradients, realized together."""
    results = []
    for name in names:
        ours = _inputs(lambda v, g: lg.Tensor(v.astype(np.float32) if v.dtype.kind == "f" else v, device=device,
                                              requires_grad=g))
        theirs = _inputs(lambda v, g: torch.tensor(v, requires_grad=g))
        lo, to = CASES[name](F, ours), CASES[name](TF, theirs)
        w = R.standard_normal(tuple(to.shape))
        (lo * lg.Tensor(w.astype(np.float32), device=device)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        results.append((name, lo, to, ours, theirs))
    lg.realize(*(t for _, lo, _, ours, _ in results for t in [lo] + [ours[k].grad for k in GRAD] if t is not None))
    for name, lo, to, ours, theirs in results:
        np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=2e-5, atol=2e-6, err_msg=name)
        for k in GRAD:
            assert (ours[k].grad is None) == (theirs[k].grad is None), f"{name}: d/d{k}"
            if theirs[k].grad is not None:
                np.testing.assert_allclose(ours[k].grad.numpy(), theirs[k].grad.numpy(), rtol=2e-5, atol=2e-6,
                                           err_msg=f"{name}: d/d{k}")


MODULES = [("HuberLoss", {"delta": 0.5}, 2), ("SmoothL1Loss", {"reduction": "sum", "beta": 2.0}, 2),
           ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, 2), ("MarginRankingLoss", {"margin": 0.1}, 3),
           ("CosineEmbeddingLoss", {"margin": 0.1}, 3), ("HingeEmbeddingLoss", {"margin": 0.5}, 2),
           ("TripletMarginLoss", {"swap": True}, 3), ("SoftMarginLoss", {"reduce": False}, 2),
           ("MultiLabelSoftMarginLoss", {}, 2), ("PoissonNLLLoss", {"full": True}, 2),
           ("GaussianNLLLoss", {"eps": 0.5}, 3), ("CosineSimilarity", {"dim": 0}, 2),
           ("PairwiseDistance", {"p": 1.0}, 2), ("MultiMarginLoss", {"margin": 2.0}, 2),
           ("MultiLabelMarginLoss", {}, 2), ("TripletMarginWithDistanceLoss", {"margin": 0.5}, 3),
           ("NLLLoss2d", {}, 2)]


def test_loss_modules_match_torch():
    x, x2 = (R.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    sign = np.array([1.0, -1.0, 1.0, -1.0], dtype=np.float32)
    bits = (R.random((4, 3)) > 0.5).astype(np.float32)
    args = {"MarginRankingLoss": (x[:, 0], x2[:, 0], sign), "CosineEmbeddingLoss": (x, x2, sign),
            "HingeEmbeddingLoss": (x, np.sign(x2)), "SoftMarginLoss": (x, np.sign(x2)),
            "TripletMarginLoss": (x, x2, x2[::-1].copy()), "MultiLabelSoftMarginLoss": (x, bits),
            "PoissonNLLLoss": (x, np.abs(x2) * 3), "GaussianNLLLoss": (x, x2, np.abs(x2)),
            "MultiMarginLoss": (x, np.array([0, 2, 1, 1])), "MultiLabelMarginLoss": (x, np.array([[1, -1, 0]] * 4)),
            "TripletMarginWithDistanceLoss": (x, x2, x2[::-1].copy()),
            "NLLLoss2d": (x.reshape(1, 4, 3, 1), np.array([[[0], [3], [1]]]))}
    outs = []
    for name, kwargs, _ in MODULES:
        a = args.get(name, (x, x2))
        ours = getattr(nn, name)(**kwargs)(*(lg.Tensor(v, device="python") for v in a))  # compiles nothing
        theirs = getattr(torch.nn, name)(**kwargs)(*(torch.tensor(v) for v in a))
        outs.append((name, ours, theirs))
    lg.realize(*(o for _, o, _ in outs))
    for name, ours, theirs in outs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=2e-6, err_msg=name)


def test_bad_input_raises_torch_errors():
    x = lg.Tensor(np.ones((2, 3), dtype=np.float32))
    tx = torch.ones(2, 3)
    for ours, theirs, error in [
        (lambda: F.gaussian_nll_loss(x, x, lg.Tensor(np.ones((3, 3), dtype=np.float32))),
         lambda: TF.gaussian_nll_loss(tx, tx, torch.ones(3, 3)), ValueError),
        (lambda: F.gaussian_nll_loss(x, x, -1.0), lambda: TF.gaussian_nll_loss(tx, tx, -1.0), ValueError),
        (lambda: F.gaussian_nll_loss(x, x, x - 2).numpy(), lambda: TF.gaussian_nll_loss(tx, tx, tx - 2), ValueError),
        (lambda: F.smooth_l1_loss(x, x, beta=-1.0), lambda: TF.smooth_l1_loss(tx, tx, beta=-1.0), RuntimeError),
        (lambda: F.huber_loss(x, x, reduction="avg"), lambda: TF.huber_loss(tx, tx, reduction="avg"), ValueError),
        (lambda: F.margin_ranking_loss(x, x[0], x), lambda: TF.margin_ranking_loss(tx, tx[0], tx), RuntimeError),
        (lambda: nn.TripletMarginLoss(margin=0.0), lambda: torch.nn.TripletMarginLoss(margin=0.0), ValueError),
    ]:
        with pytest.raises(error):
            theirs()
        with pytest.raises(error):
            ours()


@pytest.mark.parametrize("dt", ["int32", "int16", "bool", "float32"])
def test_nll_and_cross_entropy_refuse_targets_that_are_not_long_or_byte_as_torch(device, dt):
    """(a float target of class indices was taken as its truncation: a loss where torch raises)"""
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    target = np.array([0, 1])
    for fn in ("nll_loss", "cross_entropy"):
        with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte") as theirs:
            getattr(torch.nn.functional, fn)(torch.from_numpy(x), torch.from_numpy(target).to(getattr(torch, dt)))
        if fn == "cross_entropy" and dt == "float32":
            continue  # (cross_entropy takes a float target of class probabilities of input's shape)
        with pytest.raises(RuntimeError, match=str(theirs.value).split(",")[0]):
            getattr(lg.nn.functional, fn)(lg.tensor(x, device=device), lg.tensor(target, device=device).to(getattr(lg, dt)))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_masked_minus_inf_logits_is_finite_as_torchs(device, smoothing):
    """SimCLR's similarity matrix with its diagonal filled with -inf: the loss picks the target's
    log-probability, so another class's -inf must not make it NaN (torch: finite; with label
    smoothing the -inf terms count, and torch gives inf)."""
    s = np.array([[-np.inf, 1.0, 2.0], [0.5, -np.inf, 1.0], [0.0, 3.0, -np.inf]], dtype=np.float32)
    y = np.array([1, 2, 0])
    ours_x = lg.tensor(s, device=device, requires_grad=True)
    theirs_x = torch.tensor(s, requires_grad=True)
    ours = F.cross_entropy(ours_x, lg.tensor(y, device=device), label_smoothing=smoothing)
    theirs = TF.cross_entropy(theirs_x, torch.tensor(y), label_smoothing=smoothing)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)
    if smoothing == 0.0:
        ours.backward(); theirs.backward()
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-5, atol=1e-7)
        ignored = F.nll_loss(F.log_softmax(ours_x.detach(), 1), lg.tensor([0, 2, 0], device=device), ignore_index=0)
        np.testing.assert_allclose(ignored.item(), -torch.log_softmax(theirs_x.detach(), 1)[1, 2].item(), rtol=1e-6)
