"""torch 2.x's `bias=False` of BatchNorm, InstanceNorm and GroupNorm (a learned scale only) and
Hardtanh's old keyword names: parameters, state_dict keys, repr and outputs as torch's."""
import numpy as np
import pytest
import torch

import lazygrad as lg

CASES = [("BatchNorm1d", (3,), (4, 3)), ("BatchNorm2d", (3,), (2, 3, 4, 4)), ("BatchNorm3d", (3,), (2, 3, 2, 2, 2)),
         ("InstanceNorm1d", (3,), (2, 3, 5)), ("InstanceNorm2d", (3,), (2, 3, 4, 4)),
         ("GroupNorm", (2, 4), (2, 4, 3))]


@pytest.mark.parametrize("name, args, shape", CASES, ids=[c[0] for c in CASES])
def test_bias_false_keeps_only_the_weight_as_torch(device, name, args, shape):
    extra = {"affine": True} if name.startswith("Instance") else {}
    ours = getattr(lg.nn, name)(*args, bias=False, **extra).to(device)
    theirs = getattr(torch.nn, name)(*args, bias=False, **extra)
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()] == ["weight"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(ours.weight.shape).astype(np.float32)
    x = rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(w))
    ours.weight = lg.nn.Parameter(lg.tensor(w, device=device))
    np.testing.assert_allclose(ours(lg.tensor(x, device=device)).detach().numpy(), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    ours.reset_parameters()  # (no bias to zero)
    assert ours.bias is None


def test_hardtanh_takes_torchs_old_keyword_names_with_its_warning(device):
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        theirs = torch.nn.Hardtanh(min_value=-2.0, max_value=0.5)
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        ours = lg.nn.Hardtanh(min_value=-2.0, max_value=0.5)
    assert repr(ours) == repr(theirs)
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    np.testing.assert_array_equal(ours(lg.tensor(x, device=device)).numpy(), theirs(torch.from_numpy(x)).numpy())
