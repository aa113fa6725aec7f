"""grad_fn.next_functions: the backward graph's first levels, named and shaped as torch's
(the op that made each input, AccumulateGrad for a leaf, None where no gradient flows)."""
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _tensors(T, kw):
    g = T.Generator().manual_seed(0)
    def make(*shape, grad=True):
        return T.randn(*shape, generator=g).to(**kw).requires_grad_(grad)
    return {"a": make(3, 4), "b": make(4, 2), "c": make(3, 4, grad=False), "v": make(4), "w": make(5, 4),
            "bias": make(5), "x3": make(2, 3, 4)}


PROGRAMS = {  # name -> program over the tensors above and the library
    "add of a leaf and itself": lambda t, T: t["a"] + t["a"],
    "add of a tensor without grad": lambda t, T: t["a"] + t["c"],
    "sub of a number": lambda t, T: t["a"] - 1,
    "number minus a tensor": lambda t, T: 1 - t["a"],
    "number over a tensor": lambda t, T: 2 / t["a"],
    "mul by a number": lambda t, T: t["a"] * 2,
    "matrix product": lambda t, T: t["a"] @ t["b"],
    "matrix-vector product": lambda t, T: t["a"] @ t["v"],
    "dot product": lambda t, T: t["v"] @ t["v"],
    "batched rows times a matrix": lambda t, T: t["x3"] @ t["b"],
    "relu of a product": lambda t, T: (t["a"] @ t["b"]).relu(),
    "functional relu": lambda t, T: T.nn.functional.relu(t["a"]),
    "sum of squares": lambda t, T: (t["a"] * t["a"]).sum(),
    "sum over a dim": lambda t, T: t["a"].sum(0),
    "mean": lambda t, T: t["a"].exp().mean(),
    "mean over a dim": lambda t, T: t["a"].mean(1),
    "view": lambda t, T: t["a"].view(12),
    "reshape of a transpose": lambda t, T: t["a"].t().reshape(12),
    "squeeze of an unsqueeze": lambda t, T: t["a"].unsqueeze(0).squeeze(0),
    "flatten": lambda t, T: t["x3"].flatten(1),
    "permute and expand": lambda t, T: t["v"].expand(3, 4).permute(1, 0),
    "softmax of tanh": lambda t, T: t["a"].tanh().softmax(-1),
    "powers": lambda t, T: t["a"] ** 2 + t["a"] ** t["a"],
    "linear with bias": lambda t, T: T.nn.functional.linear(t["a"], t["w"], t["bias"]),
    "linear without bias": lambda t, T: T.nn.functional.linear(t["a"], t["w"]),
    "linear over a batch": lambda t, T: T.nn.functional.linear(t["x3"], t["w"], t["bias"]),
    "cross entropy": lambda t, T: T.nn.functional.cross_entropy(t["a"], T.tensor([0, 1, 2], device=t["a"].device)),
    "mse loss": lambda t, T: T.nn.functional.mse_loss(t["a"], t["c"]),
    "indexing": lambda t, T: t["a"][0].sum() + t["a"][:, 1].sum() + t["a"][1:, 0].sum(),
    "cat and stack": lambda t, T: T.cat([t["a"], t["c"]]).sum() + T.stack([t["a"], t["a"]]).sum(),
    "max and clamp": lambda t, T: t["a"].max() + t["a"].clamp(0, 1),
    "convolution with and without bias": lambda t, T: (
        T.nn.functional.conv2d(t["x3"].reshape(1, 2, 3, 4), t["w"][:2].reshape(2, 2, 1, 2), t["v"][:2]).sum()
        + T.nn.functional.conv1d(t["x3"], t["a"].reshape(1, 3, 4)).sum()),
    "layer norm": lambda t, T: T.nn.functional.layer_norm(t["x3"], (4,), t["v"], t["v"] * 2) + 1,
    "layer norm without affine": lambda t, T: T.nn.functional.layer_norm(t["a"], (4,)),
    "group norm": lambda t, T: T.nn.functional.group_norm(t["x3"], 3),
    "batch norm": lambda t, T: T.nn.functional.batch_norm(t["x3"], None, None, t["v"][:3], t["v"][1:], training=True),
    "pooling": lambda t, T: (T.nn.functional.max_pool2d(t["x3"].unsqueeze(0), 2).sum()
                             + T.nn.functional.avg_pool2d(t["x3"].unsqueeze(0), 2).sum()),
    "adaptive average pooling": lambda t, T: (T.nn.functional.adaptive_avg_pool2d(t["x3"].unsqueeze(0), 1).sum()
                                              + T.nn.functional.adaptive_avg_pool2d(t["x3"].unsqueeze(0), 2).sum()),
    "activations": lambda t, T: (T.nn.functional.gelu(t["a"]) + T.nn.functional.silu(t["a"])
                                 + T.nn.functional.leaky_relu(t["a"]) + T.nn.functional.hardtanh(t["a"])),
    "constant pad": lambda t, T: T.nn.functional.pad(t["a"], (1, 2)),
    "embedding": lambda t, T: T.nn.functional.embedding(T.tensor([0, 2], device=t["w"].device), t["w"]),
    "losses with targets": lambda t, T: (
        T.nn.functional.binary_cross_entropy_with_logits(t["a"], t["c"].sigmoid())
        + T.nn.functional.binary_cross_entropy(t["a"].sigmoid(), t["c"].sigmoid())
        + T.nn.functional.smooth_l1_loss(t["a"], t["c"]) + T.nn.functional.huber_loss(t["a"], t["c"])),
    "max and min along a dim and of two tensors": lambda t, T: (
        t["a"].max(1)[0].sum() + t["a"].min(dim=0).values.sum() + t["a"].max(t["c"]).sum() + t["a"].min(t["c"] * 2).sum()),
    "sort, topk, kthvalue and cummax values": lambda t, T: (
        t["a"].sort(1).values.sum() + t["a"].topk(2).values.sum() + t["a"].kthvalue(2).values.sum()
        + t["a"].cummax(1).values.sum()),
    "reductions named by torch's op": lambda t, T: (
        t["a"].std() + t["a"].var(1).sum() + t["a"].logsumexp(1).sum() + t["a"].prod(1).sum() + t["a"].prod()
        + t["a"].amax(1).sum() + t["a"].norm() + t["a"].median() + t["a"].median(1)[0].sum() + t["a"].trace()),
    "elementwise named by torch's op": lambda t, T: (
        t["a"].log1p() + t["a"].erf() + t["a"].expm1() + t["a"].sign() + t["a"].square() + t["a"].frac()
        + t["a"].sinc() + t["a"].exp2() + 2 ** t["a"] + t["a"].atan2(t["c"]) + T.minimum(t["a"], t["c"] * 2)),
    "scans and reorderings": lambda t, T: (
        t["a"].cumsum(1) + t["a"].cumprod(0) + t["a"].flip(0) + t["a"].roll(1, 1) + t["a"].tril()
        + t["a"].repeat(1, 2)[:, :4] + t["a"].clone() + t["a"].t().contiguous().t() + t["a"].double().float()),
    "products with an addend and interpolation": lambda t, T: (
        t["a"].addcmul(t["a"], t["c"]) + T.addmm(t["a"], t["a"], t["w"].t()[:, :4]) + t["a"].lerp(t["c"], 0.3)
        + t["a"].lerp(t["c"], t["c"].sigmoid()) + t["a"].masked_fill(t["c"] > 0, 0.0)),
    "gathers and indexing with tensors": lambda t, T: (
        t["a"].gather(1, T.zeros(3, 1, dtype=T.long, device=t["a"].device)).sum()
        + t["a"].index_select(0, T.tensor([0, 2], device=t["a"].device)).sum()
        + t["a"][T.tensor([0, 2], device=t["a"].device)].sum() + t["a"][1:, T.tensor([1], device=t["a"].device)].sum()
        + t["a"][t["c"] > 0].sum() + t["a"][None].sum() + t["a"][..., 0].sum()),
    "pieces of a split": lambda t, T: (
        t["a"].chunk(2, 1)[1].sum() + t["a"].split(2, 1)[0].sum() + t["a"].split([1, 3], 1)[1].sum()
        + t["a"].unbind(0)[2].sum()),
    "resizing": lambda t, T: (
        T.nn.functional.interpolate(t["x3"], scale_factor=2).sum()
        + T.nn.functional.interpolate(t["x3"].unsqueeze(0), scale_factor=2, mode="bilinear").sum()
        + T.nn.functional.interpolate(t["x3"], size=2, mode="linear").sum()
        + T.nn.functional.interpolate(t["x3"], size=2, mode="area").sum()
        + T.nn.functional.pixel_shuffle(t["x3"].reshape(1, 8, 1, 3), 2).sum()),
    "activations named by torch's op": lambda t, T: (
        T.nn.functional.selu(t["a"]) + T.nn.functional.mish(t["a"]) + T.nn.functional.logsigmoid(t["a"])
        + T.nn.functional.hardsigmoid(t["a"]) + T.nn.functional.relu6(t["a"]) + T.nn.functional.threshold(t["a"], 0.1, 2.0)
        + T.nn.functional.glu(t["a"], 1).sum()),
    "linalg norms": lambda t, T: (
        T.linalg.norm(t["a"]) + T.linalg.norm(t["a"], ord="fro") + T.linalg.norm(t["a"], dim=1).sum()
        + T.linalg.vector_norm(t["a"], 3)),
    "poolings of one and three dims": lambda t, T: (
        T.nn.functional.avg_pool1d(t["x3"], 2).sum() + T.nn.functional.max_pool1d(t["x3"], 2).sum()
        + T.nn.functional.adaptive_avg_pool1d(t["x3"], 2).sum() + T.nn.functional.adaptive_max_pool1d(t["x3"], 2).sum()
        + T.nn.functional.avg_pool3d(t["x3"][None], 1).sum()),
    "losses over more dims": lambda t, T: (
        T.nn.functional.nll_loss(t["x3"].unsqueeze(0), T.zeros(1, 3, 4, dtype=T.long, device=t["a"].device))
        + T.nn.functional.cross_entropy(t["x3"], T.zeros(2, 4, dtype=T.long, device=t["a"].device))
        + T.nn.functional.cross_entropy(t["x3"].unsqueeze(0), T.zeros(1, 3, 4, dtype=T.long, device=t["a"].device))),
    "nll loss of a vector and of rows": lambda t, T: (
        T.nn.functional.nll_loss(t["a"], T.tensor([0, 1, 2], device=t["a"].device))
        + T.nn.functional.cross_entropy(t["v"], T.tensor(3, device=t["v"].device))),
}


def _structure(fn, depth=3):
    """A node as nested (name, [inputs]) to `depth` levels."""
    if fn is None:
        return None
    nexts = [(_structure(f, depth - 1), i) for f, i in fn.next_functions] if depth else "..."
    return fn.name(), nexts


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_next_functions_walk_the_graph_as_torchs(device, program):
    ours = PROGRAMS[program](_tensors(lg, {"device": device}), lg)
    theirs = PROGRAMS[program](_tensors(torch, {}), torch)
    assert _structure(ours.grad_fn) == _structure(theirs.grad_fn)


def test_a_modules_forward_ends_in_its_layers_nodes(device):
    def structure(T, kw):
        T.manual_seed(0)
        model = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2)).to(**kw)
        return _structure(model(T.ones(5, 4, **kw)).sum().grad_fn, depth=5)
    assert structure(lg, {"device": device}) == structure(torch, {})


def test_accumulate_grad_holds_the_leaf_it_feeds(device):
    a = lg.ones(3, device=device, requires_grad=True)
    (fn, index), (none, _) = (a * 2).grad_fn.next_functions
    assert fn.variable is a and index == 0 and none is None
    assert fn.name() == "torch::autograd::AccumulateGrad" and fn.next_functions == ()


def test_an_op_without_a_record_still_reaches_its_inputs(device):
    a = lg.ones(3, device=device, requires_grad=True)
    b = (a * 3).sum()
    fn = lg.where(a > 0, a.exp(), b).grad_fn  # where: the graph's own name, its inputs from the graph
    names = {f.name() for f, _ in fn.next_functions}
    assert names == {"ExpBackward0", "SumBackward0"}
