"""F.multi_head_attention_forward against torch's: the same weights as arguments, with and
without separate projections, bias_k/v, a zero attention position, masks, static keys."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

E, H, L, S, N = 8, 2, 3, 4, 2


def _arrays():
    rng = np.random.default_rng(0)
    def a(*shape):
        return (0.4 * rng.standard_normal(shape)).astype(np.float32)  # (small weights: moderate scores)
    return {"query": a(L, N, E), "key": a(S, N, E), "value": a(S, N, E), "in_proj_weight": a(3 * E, E),
            "in_proj_bias": a(3 * E), "out_proj_weight": a(E, E), "out_proj_bias": a(E), "bias_k": a(1, 1, E),
            "bias_v": a(1, 1, E), "q": a(E, E), "k": a(E, E), "v": a(E, E), "static_k": a(N * H, S, E // H),
            "static_v": a(N * H, S, E // H), "float_mask": a(L, S)}


CASES = {
    "packed projection": {},
    "separate projections": {"use_separate_proj_weight": True},
    "bias kv and zero attention": {"bias_k": "bias_k", "bias_v": "bias_v", "add_zero_attn": True},
    "bool masks": {"attn_mask": "causal", "key_padding_mask": "padding"},
    "float mask, weights per head": {"attn_mask": "float_mask", "average_attn_weights": False},
    "static keys and values": {"static_k": "static_k", "static_v": "static_v"},
    "unbatched": {"unbatched": True},
}


def _run(T, kw, case):
    arrays = _arrays()
    options = dict(CASES[case])
    t = {name: T.tensor(x, requires_grad=name in ("query", "in_proj_weight", "q"), **kw) for name, x in arrays.items()}
    unbatched = options.pop("unbatched", False)
    query, key, value = (t[n][:, 0] if unbatched else t[n] for n in ("query", "key", "value"))
    extras = {"causal": T.tensor(np.triu(np.ones((L, S), bool), 1), **kw),
              "padding": T.tensor(np.array([[False] * (S - 1) + [True]] * N), **kw)}
    for name, given in options.items():
        if isinstance(given, str):
            options[name] = extras[given] if given in extras else t[given]
    options.setdefault("bias_k", None)
    options.setdefault("bias_v", None)
    separate = options.get("use_separate_proj_weight", False)
    if separate:
        options.update(q_proj_weight=t["q"], k_proj_weight=t["k"], v_proj_weight=t["v"])
    out, weights = T.nn.functional.multi_head_attention_forward(
        query, key, value, E, H, None if separate else t["in_proj_weight"], t["in_proj_bias"],
        options.pop("bias_k"), options.pop("bias_v"), options.pop("add_zero_attn", False), 0.0,
        t["out_proj_weight"], t["out_proj_bias"], **options)
    (out * out).sum().backward()
    grads = [t[n].grad for n in ("query", "in_proj_weight", "q") if t[n].grad is not None]
    return [x.detach().cpu().numpy() for x in [out, weights, *grads]]


@pytest.mark.parametrize("case", list(CASES))
def test_multi_head_attention_forward_matches_torch(device, case):
    ours, theirs = _run(lg, {"device": device}, case), _run(torch, {}, case)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_is_causal_without_a_mask_is_refused_as_torch():
    for T in (lg, torch):
        x = T.ones(L, N, E)
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            T.nn.functional.multi_head_attention_forward(x, x, x, E, H, T.ones(3 * E, E), None, None, None, False,
                                                         0.0, T.ones(E, E), None, is_causal=True)
