"""nn.AdaptiveLogSoftmaxWithLoss against torch's with the same weights: output, loss,
gradients, log_prob, predict, its layout and its errors."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _pair(device, head_bias=False):
    torch.manual_seed(0)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=head_bias)
    ours = lg.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=head_bias)
    ours.load_state_dict({k: lg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours.to(device), theirs


X = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
TARGET = np.array([0, 4, 7, 9, 2])


@pytest.mark.parametrize("head_bias", [False, True])
def test_output_loss_and_gradients_match_torch(device, head_bias):
    ours, theirs = _pair(device, head_bias)
    def run(m, T, kw):
        x = T.tensor(X, requires_grad=True, **kw)
        out = m(x, T.tensor(TARGET, **kw))
        assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
        out.loss.backward()
        return [t.detach().cpu().numpy() for t in (out.output, out.loss, x.grad, m.tail[1][0].weight.grad)]
    for a, b in zip(run(ours, lg, {"device": device}), run(theirs, torch, {})):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_log_prob_predict_and_an_unbatched_input_match_torch(device):
    ours, theirs = _pair(device)
    np.testing.assert_allclose(ours.log_prob(lg.tensor(X, device=device)).detach().numpy(),
                               theirs.log_prob(torch.tensor(X)).detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(lg.tensor(X, device=device)).numpy(),
                                  theirs.predict(torch.tensor(X)).numpy())
    one = ours(lg.tensor(X[0], device=device), lg.tensor(7, device=device))
    np.testing.assert_allclose(one.output.detach().numpy(), theirs(torch.tensor(X[0]), torch.tensor(7)).output.detach().numpy(),
                               rtol=1e-5)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("call, error", [
    (lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 3]), ValueError),
    (lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3]), ValueError),
    (lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10]), ValueError),
    (lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])(T.ones(4, 8), T.tensor([0, 1, 2, 10])), RuntimeError),
    (lambda T: T.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])(T.ones(4, 8), T.tensor([0, 1, 2])), RuntimeError),
])
def test_bad_cutoffs_and_targets_raise_torchs_errors(call, error):
    with pytest.raises(error) as theirs:
        call(torch)
    with pytest.raises(error) as ours:
        call(lg)
    assert str(ours.value) == str(theirs.value)
