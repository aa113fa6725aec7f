"""A loss whose target has another shape than its input, as torch treats it: the elementwise
regression losses broadcast with torch's UserWarning (an (N, 1) output against an (N,) target
gives an (N, N) loss: the warning is how a user finds the bug), the binary cross entropies refuse
with torch's ValueError instead of broadcasting, and an implicit softmax dim warns. Compared with
torch on every device."""
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
OUT = np.array([[0.2], [0.7], [0.4]], np.float32)
TARGET = np.array([0.0, 1.0, 0.5], np.float32)
WARNING = "that is different to the input size"


def _caught(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return fn(), [str(w.message) for w in caught], None
        except Exception as e:  # noqa: BLE001  (the class is the result)
            return None, [str(w.message) for w in caught], type(e)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_elementwise_loss_broadcasts_with_torchs_warning(name, device):
    ours, our_warnings, _ = _caught(lambda: getattr(lg.nn.functional, name)(lg.tensor(OUT, device=device),
                                                                           lg.tensor(TARGET, device=device)))
    theirs, their_warnings, _ = _caught(lambda: getattr(torch.nn.functional, name)(torch.tensor(OUT),
                                                                                  torch.tensor(TARGET)))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)
    assert len(our_warnings) == len(their_warnings) == 1 and WARNING in our_warnings[0]
    assert our_warnings[0].replace("lazygrad.", "torch.") == their_warnings[0]
    _, quiet, _ = _caught(lambda: getattr(lg.nn.functional, name)(lg.tensor(TARGET, device=device),
                                                                  lg.tensor(TARGET, device=device)))
    assert not quiet


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_cross_entropy_refuses_another_target_size_as_torch(name, device):
    _, _, ours = _caught(lambda: getattr(lg.nn.functional, name)(lg.tensor(OUT, device=device),
                                                                 lg.tensor(TARGET, device=device)))
    _, _, theirs = _caught(lambda: getattr(torch.nn.functional, name)(torch.tensor(OUT), torch.tensor(TARGET)))
    assert ours is theirs is ValueError
    module = {"binary_cross_entropy": "BCELoss", "binary_cross_entropy_with_logits": "BCEWithLogitsLoss"}[name]
    with pytest.raises(ValueError, match="size"):
        getattr(lg.nn, module)()(lg.tensor(OUT, device=device), lg.tensor(TARGET, device=device))


@pytest.mark.parametrize("name,shape", [("softmax", (2, 3)), ("log_softmax", (2, 3, 4)), ("softmin", (3,))])
def test_an_implicit_softmax_dim_warns_as_torch(name, shape, device):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours, our_warnings, _ = _caught(lambda: getattr(lg.nn.functional, name)(lg.tensor(x, device=device)))
    theirs, their_warnings, _ = _caught(lambda: getattr(torch.nn.functional, name)(torch.tensor(x)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert our_warnings == their_warnings and len(our_warnings) == 1
    assert not _caught(lambda: getattr(lg.nn.functional, name)(lg.tensor(x, device=device), dim=0))[1]
