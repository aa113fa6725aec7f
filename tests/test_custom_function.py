"""lg.autograd.Function: a user's forward and backward, compared with torch's on every device
(values, gradients, which inputs get one, and the errors torch raises)."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _functions(T):
    """The same custom Functions, written against either library's autograd.Function."""

    class Clipped(T.autograd.Function):  # the tutorial's own-ReLU pattern: save, mask the gradient
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            out = g.clone()
            out[x < 0] = 0
            return out

    class Cubic(T.autograd.Function):  # a polynomial whose backward is written by hand
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 1.5 * (5 * x ** 2 - 1)

    class Pair(T.autograd.Function):  # two outputs, a Python argument, a None gradient
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.k = k
            ctx.save_for_backward(a, b)
            return a * b * k, a + b

        @staticmethod
        def backward(ctx, g1, g2):
            a, b = ctx.saved_tensors
            return g1 * b * ctx.k + g2, g1 * a * ctx.k + g2, None

    class Scaled(T.autograd.Function):  # torch's newer form: forward without ctx, setup_context
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class Broadcasting(T.autograd.Function):  # a gradient of the broadcast shape, summed back
        @staticmethod
        def forward(ctx, bias, x):
            return x + bias

        @staticmethod
        def backward(ctx, g):
            return g, g

    return Clipped, Cubic, Pair, Scaled, Broadcasting


def _run(T, device):
    kw = {"device": device} if T is lg else {}
    Clipped, Cubic, Pair, Scaled, Broadcasting = _functions(T)
    x = T.tensor([-1.0, 0.5, 2.0, -0.25], requires_grad=True, **kw)
    w = T.tensor([0.3, -0.2, 0.1, 0.7], requires_grad=True, **kw)
    bias = T.tensor([0.5], requires_grad=True, **kw)
    p, q = Pair.apply(x, w, 3.0)
    loss = ((Clipped.apply(x * 2) * w).sum() + Cubic.apply(x).sum() + (p * p).sum() + q.sum()
            + Scaled.apply(w, 4.0).sum() + (Broadcasting.apply(bias, x.reshape(2, 2)) ** 2).sum())
    loss.backward()
    return {"loss": loss.item(), "x": x.grad.tolist(), "w": w.grad.tolist(), "bias": bias.grad.tolist(),
            "p requires grad": p.requires_grad}


def test_custom_functions_give_torchs_values_and_gradients(device):
    got, want = _run(lg, device), _run(torch, "cpu")
    assert got.keys() == want.keys()
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, err_msg=name)


def test_only_the_inputs_that_need_a_gradient_get_one_and_ctx_says_which(device):
    seen = {}

    class Probe(lg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g * 2, g * 3

    a = lg.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = lg.tensor([3.0, 4.0], device=device)
    Probe.apply(a, b).sum().backward()
    assert seen["needs"] == (True, False)
    assert a.grad.tolist() == [2.0, 2.0] and b.grad is None


def test_a_function_without_inputs_that_need_grad_returns_plain_tensors(device):
    Clipped = _functions(lg)[0]
    x = lg.tensor([-1.0, 2.0], device=device)
    y = Clipped.apply(x)
    assert not y.requires_grad and y.tolist() == [0.0, 2.0]
    with lg.no_grad():
        assert not Clipped.apply(lg.tensor([1.0], requires_grad=True, device=device)).requires_grad


def test_an_output_marked_non_differentiable_does_not_require_grad(device):
    class ArgMaxToo(lg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            return x * 2, index

        @staticmethod
        def backward(ctx, g, _):
            return g * 2

    x = lg.tensor([1.0, 3.0, 2.0], requires_grad=True, device=device)
    y, index = ArgMaxToo.apply(x)
    assert y.requires_grad and not index.requires_grad and index.item() == 1
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("mistake", ["a saved tensor written in place", "too few gradients",
                                     "a gradient of the wrong shape"])
def test_mistakes_raise_torchs_errors(device, mistake):
    def outcome(T, kw):
        class Bad(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                ctx.save_for_backward(y)
                return x * y

            @staticmethod
            def backward(ctx, g):
                y, = ctx.saved_tensors
                if mistake == "too few gradients":
                    return (g * y,)
                if mistake == "a gradient of the wrong shape":
                    return g[:1], None
                return g * y, None

        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        y = T.tensor([3.0, 4.0], **kw) * 1
        out = Bad.apply(x, y).sum()
        if mistake == "a saved tensor written in place":
            y.add_(1)
        try:
            out.backward()
        except RuntimeError:
            return "RuntimeError"
        return x.grad.tolist()
    assert outcome(lg, {"device": device}) == outcome(torch, {}) == "RuntimeError"


def test_a_custom_function_trains_in_a_loop_as_torch(device):
    """The tutorial's shape: a cubic model whose nonlinearity is a custom Function, SGD steps."""
    def train(T, kw):
        Cubic = _functions(T)[1]
        x = T.tensor(np.linspace(-1, 1, 50, dtype=np.float32), **kw)
        y = T.tensor(np.sin(np.linspace(-1, 1, 50)).astype(np.float32), **kw)
        a = T.tensor(0.0, requires_grad=True, **kw)
        b = T.tensor(-1.0, requires_grad=True, **kw)
        losses = []
        for _ in range(20):
            loss = ((a + b * Cubic.apply(x * 0.5) - y) ** 2).sum()
            loss.backward()
            with T.no_grad():
                a -= 1e-3 * a.grad
                b -= 1e-3 * b.grad
                a.grad = None
                b.grad = None
            losses.append(loss.item())
        return losses
    np.testing.assert_allclose(train(lg, {"device": device}), train(torch, {}), rtol=1e-4)


def test_the_autograd_namespace_shows_torchs_names():
    public = {n for n in dir(lg.autograd) if not n.startswith("_")}
    assert {"Function", "Variable", "backward", "grad", "function", "no_grad", "enable_grad"} <= public
    assert not {"AutogradMixin", "VersionCounter", "check_saved_versions", "make"} & public
    x = lg.autograd.Variable(lg.tensor([1.0]), requires_grad=True)
    assert x.requires_grad and isinstance(x, lg.autograd.Variable)
    assert lg.autograd.function.FunctionCtx is not None


@pytest.mark.parametrize("op", ["mul", "sum", "exp", "sin", "setitem", "leaf", "no grad"])
def test_grad_fn_names_the_op_as_torch(device, op):
    def name(T, kw):
        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        y = {"mul": lambda: x * 2, "sum": lambda: x.sum(), "exp": lambda: x.exp(), "sin": lambda: x.sin(),
             "leaf": lambda: x, "no grad": lambda: T.tensor([1.0], **kw)}.get(op, lambda: x * 1)()
        if op == "setitem":
            y[0] = 5.0
        fn = y.grad_fn
        return None if fn is None else fn.name()
    assert name(lg, {"device": device}) == name(torch, {})


def test_onnx_imports_and_its_export_says_it_is_missing():
    import lazygrad.onnx

    assert lg.onnx is lazygrad.onnx
    assert lg.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False
    model = lg.nn.Linear(2, 1)
    for export in (lg.onnx.export, lg.onnx._export):
        with pytest.raises(NotImplementedError, match=r"torch\.onnx\._?export: lazygrad has no ONNX export"):
            export(model, (lg.zeros(1, 2),), "model.onnx")
    with pytest.raises(AttributeError, match="has no attribute 'nosuch'$"):
        lg.nosuch  # noqa: B018


def _second_order_functions(T):
    class Exp(T.autograd.Function):  # saves its output, as torch's own example does
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    class Times(T.autograd.Function):  # g * k, with its own backward
        @staticmethod
        def forward(ctx, g, k):
            ctx.save_for_backward(g, k)
            return g * k

        @staticmethod
        def backward(ctx, h):
            g, k = ctx.saved_tensors
            return h * k, h * g

    class Cube(T.autograd.Function):  # a backward that applies another Function to its gradient
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return Times.apply(g, 3 * x * x)

    return Exp, Cube


@pytest.mark.parametrize("which", [0, 1], ids=["saved output", "function in backward"])
def test_second_derivatives_through_a_function_are_torchs(device, which):
    """Silently wrong before: a saved output was read in backward as the forward's value with no
    history (d2/dx2 of exp(x)^2 came out half of torch's), and a Function applied to the gradient
    backward was given recorded no path."""
    results = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        fn = _second_order_functions(T)[which]
        x = T.tensor([0.7, -0.3, 1.1], requires_grad=True, **kw)
        y = fn.apply(x)
        gx, = T.autograd.grad((y * y).sum(), x, create_graph=True)
        ggx, = T.autograd.grad((gx * gx).sum(), x)
        results.append((gx.detach().numpy(), ggx.numpy()))
    (got_g, got_gg), (want_g, want_gg) = results
    np.testing.assert_allclose(got_g, want_g, rtol=1e-5)
    np.testing.assert_allclose(got_gg, want_gg, rtol=1e-5)


def _ignores_its_first_input(T):
    class SecondTimesTwo(T.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return b * 2

        @staticmethod
        def backward(ctx, g):
            return None, g * 2

    return SecondTimesTwo


def test_a_none_from_backward_is_no_gradient_not_a_zero_one(device):
    """Was zeros: an input whose only path returned None got .grad zeros, and autograd.grad gave
    zeros where torch raises "not been used" (or gives None with allow_unused). Differential
    fuzzer, higher-order programs."""
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        fn = _ignores_its_first_input(T)
        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        c = T.tensor([3.0, 4.0], requires_grad=True, **kw)
        fn.apply(x, c).sum().backward()
        unused = T.autograd.grad(fn.apply(x, c).sum(), [x, c], allow_unused=True)
        with pytest.raises(RuntimeError, match="not have been used in the graph"):
            T.autograd.grad(fn.apply(x, c).sum(), [x])
        used_elsewhere, = T.autograd.grad((fn.apply(x, c) + x).sum(), [x])
        seen.append((x.grad, c.grad.tolist(), unused[0], unused[1].tolist(), used_elsewhere.tolist()))
    assert seen[0] == seen[1]


def _once_differentiable_square(T):
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    return Square


def _second_derivative_outcome(T, kw, how: str):
    x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
    a = T.tensor([0.5, -1.5], requires_grad=True, **kw)
    y = _once_differentiable_square(T).apply(x * a)
    loss = y.sum() if how == "linear" else (y * y).sum()
    try:
        gx, = T.autograd.grad(loss, x, create_graph=True)
        if how == "grad":  # the second derivative's only other path is through a: x by mul's
            return [t.tolist() for t in T.autograd.grad((gx * gx).sum(), [x, a])]
        (gx * gx).sum().backward()
        return [None if t.grad is None else t.grad.tolist() for t in (x, a)]
    except RuntimeError as e:
        return next(why for why in ("differentiate twice", "not have been used", "") if why in str(e))


@pytest.mark.parametrize("how", ["linear", "backward", "grad"])
def test_a_once_differentiable_backward_is_a_constant_to_a_second_derivative(device, how):
    """Was differentiated again: a second derivative went through the backward's ops, where torch
    raises on `.backward()` (and treats its results as constants in autograd.grad, and gives
    no history at all where the gradients it was given had none). Differential fuzzer."""
    assert _second_derivative_outcome(lg, {"device": device}, how) == _second_derivative_outcome(torch, {}, how)


def _through(T, inner: str):
    """x's way into _ignores_its_first_input: a built-in op, or a Function of its own."""
    if inner == "op":
        return lambda x: x * 2

    class Twice(T.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(inner == "function")
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return T.zeros_like(a) if g is None else g * 2

    return Twice.apply


@pytest.mark.parametrize("inner", ["op", "function", "function without materialized grads"])
def test_a_function_reached_only_by_a_none_still_runs_its_backward_as_torch(device, inner):
    """torch calls a Function's backward even when only undefined gradients reached it (None,
    or zeros where it materializes them), and what it returns is a gradient; a built-in op
    passes the undefined gradient on. Was: no backward call, and x.grad None."""
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        c = T.tensor([3.0, 4.0], requires_grad=True, **kw)
        _ignores_its_first_input(T).apply(_through(T, inner)(x), c).sum().backward()
        seen.append((None if x.grad is None else x.grad.tolist(), c.grad.tolist()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("twice", ["one tensor", "equal tensors"])
def test_a_tensor_given_to_a_function_twice_gets_both_gradients(device, twice):
    """Was one: each input declared its path to the same node, and the second replaced the
    first (Fn.apply(x, x.float()) gave x no gradient at all). Differential fuzzer, seed 1."""
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        class Mul(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g * b, g * a * 10

        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        Mul.apply(*((x, x) if twice == "one tensor" else (x * 2, x * 2))).sum().backward()
        seen.append(x.grad.tolist())
    assert seen[0] == seen[1]
