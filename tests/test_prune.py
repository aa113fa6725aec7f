"""nn.utils.prune against torch on the same weights, on every device: each method's mask and
pruned weight (the random ones by their counts and structure: the generators differ), iterative
pruning through a PruningContainer, global pruning, the parameters, buffers and state_dict keys
of a pruned module, its forward and gradients, remove, is_pruned, and torch's errors. The
weights have no ties in |w| or in slice norms, where masks must agree entry for entry."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # torch imports its prune module on demand only


def untied(*shape: int, seed: int = 0) -> np.ndarray:
    """Weights whose absolute values are all different."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return ((rng.permutation(n) + 1) * rng.choice([-1.0, 1.0], n) / n).astype(np.float32).reshape(shape)


def build(T, kind: str, kw: dict):
    """A Linear(4, 3) or Conv2d(2, 3, 2) with the untied weights and bias, on kw's device."""
    m = T.nn.Linear(4, 3) if kind == "linear" else T.nn.Conv2d(2, 3, 2)
    m = m.to(**kw)
    with T.no_grad():
        m.weight.copy_(T.tensor(untied(*m.weight.shape), **kw))
        m.bias.copy_(T.tensor(untied(3, seed=1), **kw))
    return m


def inputs(T, kind: str, kw: dict):
    shape = (2, 4) if kind == "linear" else (1, 2, 3, 4)
    return T.tensor(np.cos(np.arange(np.prod(shape), dtype=np.float32)).reshape(shape), **kw)


def both(device: str, kind: str, prune_with):
    """prune_with(T, module) on lazygrad's and torch's same module: their masks, pruned weights,
    outputs and gradients (of weight_orig and bias), and parameter, buffer and state_dict names."""
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = build(T, kind, kw)
        prune_with(T, m)
        (m(inputs(T, kind, kw)) ** 2).sum().backward()
        seen.append({"mask": m.weight_mask.tolist(), "weight": m.weight.tolist(),
                     "out": m(inputs(T, kind, kw)).tolist(), "grad": m.weight_orig.grad.tolist(),
                     "bias_grad": getattr(m, "bias_orig", m.bias).grad.tolist(),
                     "names": ([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
                               list(m.state_dict()))})
    return seen


def assert_same(ours: dict, theirs: dict) -> None:
    assert ours["names"] == theirs["names"]
    assert ours["mask"] == theirs["mask"]
    for key in ("weight", "out", "grad", "bias_grad"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)


CASES = {
    "identity": lambda T, m: T.nn.utils.prune.identity(m, "weight"),
    "l1_count": lambda T, m: T.nn.utils.prune.l1_unstructured(m, "weight", amount=5),
    "l1_fraction": lambda T, m: T.nn.utils.prune.l1_unstructured(m, "weight", amount=0.4),
    "l1_none": lambda T, m: T.nn.utils.prune.l1_unstructured(m, "weight", amount=0),
    "l2_rows": lambda T, m: T.nn.utils.prune.ln_structured(m, "weight", amount=1, n=2, dim=0),
    "l1_columns": lambda T, m: T.nn.utils.prune.ln_structured(m, "weight", amount=0.5, n=1, dim=1),
    "linf_last": lambda T, m: T.nn.utils.prune.ln_structured(m, "weight", amount=1, n=float("inf"), dim=-1),
    "custom": lambda T, m: T.nn.utils.prune.custom_from_mask(
        m, "weight", T.tensor(np.arange(m.weight.numel()).reshape(m.weight.shape) % 3 != 0, device=m.weight.device)),
    "iterative": lambda T, m: (T.nn.utils.prune.l1_unstructured(m, "weight", amount=3),
                               T.nn.utils.prune.l1_unstructured(m, "weight", amount=0.25),
                               T.nn.utils.prune.ln_structured(m, "weight", amount=1, n=2, dim=0)),
    "l1_all": lambda T, m: T.nn.utils.prune.l1_unstructured(m, "weight", amount=1.0),
    "structured_after_unstructured": lambda T, m: (
        T.nn.utils.prune.l1_unstructured(m, "weight", amount=5),
        T.nn.utils.prune.ln_structured(m, "weight", amount=1, n=1, dim=1),
        T.nn.utils.prune.ln_structured(m, "weight", amount=1, n=float("-inf"), dim=-1)),
    "l1_after_custom": lambda T, m: (
        T.nn.utils.prune.custom_from_mask(m, "weight", T.arange(m.weight.numel(), device=m.weight.device)
                                          .reshape(m.weight.shape) % 2),
        T.nn.utils.prune.l1_unstructured(m, "weight", amount=0.5)),
    "weight_and_bias": lambda T, m: (T.nn.utils.prune.l1_unstructured(m, "bias", amount=1),
                                     T.nn.utils.prune.l1_unstructured(m, "weight", amount=2)),
    "importance_scores": lambda T, m: T.nn.utils.prune.l1_unstructured(
        m, "weight", amount=4, importance_scores=T.arange(m.weight.numel(), device=m.weight.device).reshape(m.weight.shape).flip(0)),
}


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_pruned_module_is_torchs(device, kind, case):
    ours, theirs = both(device, kind, CASES[case])
    assert_same(ours, theirs)


def test_the_gradient_of_the_original_weight_is_masked(device):
    ours, _ = both(device, "conv", CASES["iterative"])
    assert all(g == 0 for g, k in zip(np.ravel(ours["grad"]), np.ravel(ours["mask"])) if k == 0)


def test_pruning_again_chains_the_methods_in_a_container(device):
    prune = lg.nn.utils.prune
    m = CASES["iterative"](lg, build(lg, "linear", {"device": device}))[0]
    hook, = m._forward_pre_hooks.values()
    assert isinstance(hook, prune.PruningContainer) and hook._tensor_name == "weight"
    assert [type(h).__name__ for h in hook] == ["L1Unstructured", "L1Unstructured", "LnStructured"]
    assert len(hook) == 3 and hook[-1].n == 2


@pytest.mark.parametrize("method", ["random_unstructured", "random_structured"])
def test_random_pruning_has_torchs_counts_and_structure(device, method):
    counts = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = build(T, "conv", kw)
        if method == "random_unstructured":
            T.nn.utils.prune.random_unstructured(m, "weight", amount=0.3)
            T.nn.utils.prune.random_unstructured(m, "weight", amount=3)
        else:
            T.nn.utils.prune.random_structured(m, "weight", amount=1, dim=1)
            T.nn.utils.prune.random_structured(m, "weight", amount=0.34, dim=0)
        mask = np.array(m.weight_mask.tolist())
        assert set(np.unique(mask)) <= {0.0, 1.0}
        np.testing.assert_array_equal(np.array(m.weight.tolist()), np.array(m.weight_orig.tolist()) * mask)
        if method == "random_structured":  # whole (out, in) channels, the rest kept whole
            assert all(row.min() == row.max() for row in mask.reshape(6, 4))
        counts.append((int((mask == 0).sum()), mask.any(axis=(1, 2, 3)).sum(), mask.any(axis=(0, 2, 3)).sum()))
    assert counts[0] == counts[1]


def test_global_pruning_ranks_the_entries_of_every_tensor_together(device):
    masks = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        prune = T.nn.utils.prune
        a, b = build(T, "linear", kw), build(T, "conv", kw)
        prune.l1_unstructured(b, "weight", amount=2)  # b's mask is the default it starts from
        prune.global_unstructured([(a, "weight"), (b, "weight"), (a, "bias")], pruning_method=prune.L1Unstructured,
                                  amount=0.3)
        masks.append([a.weight_mask.tolist(), b.weight_mask.tolist(), a.bias_mask.tolist(),
                      [type(h).__name__ for h in b._forward_pre_hooks.values()]])
    assert masks[0] == masks[1]


def test_remove_makes_the_pruned_weight_a_parameter_again(device):
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        prune = T.nn.utils.prune
        net = T.nn.Sequential(build(T, "linear", kw), T.nn.ReLU())
        flags = [prune.is_pruned(net)]
        prune.ln_structured(net[0], "weight", amount=1, n=1, dim=0)
        prune.l1_unstructured(net[0], "weight", amount=2)
        flags.append(prune.is_pruned(net))
        weight = net[0].weight_orig
        prune.remove(net[0], "weight")
        flags.append(prune.is_pruned(net))
        assert net[0].weight is weight and isinstance(net[0].weight, T.nn.Parameter)
        seen.append((flags, net[0].weight.tolist(), list(net.state_dict()), net(inputs(T, "linear", kw)).tolist()))
    assert seen[0][0] == seen[1][0] == [False, True, False]
    assert seen[0][2] == seen[1][2]
    np.testing.assert_allclose(seen[0][1], seen[1][1])
    np.testing.assert_allclose(seen[0][3], seen[1][3], rtol=1e-5, atol=1e-6)


def test_a_pruning_method_of_ones_own_as_torchs_tutorial(device):
    class EveryOther(lg.nn.utils.prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    m = build(lg, "linear", {"device": device})
    EveryOther.apply(m, "bias")
    assert m.bias_mask.tolist() == [0.0, 1.0, 0.0]
    assert EveryOther().prune(lg.ones(4, device=device)).tolist() == [0.0, 1.0, 0.0, 1.0]


def error_of(fn) -> tuple:
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (the error is the result)
        return type(e), str(e).replace("torch.", "lazygrad.")
    return None, ""


BAD = {
    "negative": lambda p, m: p.l1_unstructured(m, "weight", amount=-1),
    "over_one": lambda p, m: p.random_unstructured(m, "weight", amount=1.5),
    "a_string": lambda p, m: p.l1_unstructured(m, "weight", amount="0.3"),
    "too_many": lambda p, m: p.l1_unstructured(m, "weight", amount=13),
    "too_many_slices": lambda p, m: p.ln_structured(m, "weight", amount=4, n=2, dim=0),
    "one_dim": lambda p, m: p.ln_structured(m, "bias", amount=1, n=2, dim=0),
    "bad_dim": lambda p, m: p.random_structured(m, "weight", amount=1, dim=2),
    "scores_shape": lambda p, m: p.l1_unstructured(m, "weight", amount=1, importance_scores=m.bias),
    "global_structured": lambda p, m: p.global_unstructured([(m, "weight")], p.LnStructured, amount=1, n=2),
    "global_not_iterable": lambda p, m: p.global_unstructured(3, p.L1Unstructured, amount=1),
    "global_scores": lambda p, m: p.global_unstructured([(m, "weight")], p.L1Unstructured, importance_scores=[],
                                                        amount=1),
    "remove_unpruned": lambda p, m: p.remove(m, "weight"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_pruning_raises_torchs_error_and_leaves_the_module_as_it_was(device, case):
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = build(T, "linear", kw)
        seen.append((error_of(lambda T=T, m=m: BAD[case](T.nn.utils.prune, m)), [n for n, _ in m.named_parameters()]))
    assert seen[0][0][0] is not None
    assert seen[0] == seen[1]
