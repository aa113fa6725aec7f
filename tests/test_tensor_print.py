"""print(x) shows torch's text: the notation chosen from the values, line breaks, summaries of
large tensors, and the suffixes (dtype, grad_fn, requires_grad); compared with torch's repr
(dtypes print as lazygrad's)."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)
VALUES = {  # name: (numpy data, dtype name)
    "fixed": (np.array([1.0, 2.0, 3.0, 4.0, 5.5]), "float32"),
    "whole floats": (np.array([[1.0, -2.0], [30.0, 0.0]]), "float32"),
    "scientific span": (np.array([0.1, -0.25, 3.0, 0.5, 1e-3]), "float32"),
    "tiny": (np.array([1e-5, 2e-5]), "float32"),
    "huge whole": (np.array([1e9, 1.0]), "float32"),
    "nonfinite": (np.array([np.nan, np.inf, -np.inf, 0.0, 1.0]), "float32"),
    "nonfinite only": (np.array([np.nan, 0.0]), "float32"),
    "scalar": (np.array(2.5), "float32"),
    "whole scalar": (np.array(-3.0), "float32"),
    "int64": (np.array([[1, -20, 300], [4, 5, 6]]), "int64"),
    "int32": (np.array([7, 8]), "int32"),
    "bool": (np.array([True, False]), "bool"),
    "float64": (np.array([1.0 / 3, 2.0]), "float64"),
    "float16": (np.array([0.5, 1.25]), "float16"),
    "long row wraps": (R.standard_normal(30), "float32"),
    "3-d": (R.standard_normal((2, 3, 4)), "float32"),
    "summarized vector": (np.arange(2000, dtype=np.float64) / 7, "float32"),
    "summarized matrix": (R.standard_normal((40, 40)), "float32"),
    "summarized 3-d ints": (np.arange(3000).reshape(10, 30, 10), "int64"),
    "empty": (np.zeros((0,)), "float32"),
    "empty 2-d int": (np.zeros((0, 3)), "int64"),
}


@pytest.mark.parametrize("name", VALUES)
def test_repr_is_torchs(name, device):
    data, dtype = VALUES[name]
    ours = lg.tensor(data.astype(dtype), device=device)
    theirs = torch.tensor(data.astype(dtype))
    default = lg.get_default_device()
    lg.set_default_device(device)  # (torch's tensor is on its default device)
    try:
        assert repr(ours) == repr(theirs).replace("torch.", "lazygrad.")
        assert str(ours) == repr(ours)
    finally:
        lg.set_default_device(default)


def test_a_tensor_on_the_default_device_names_no_device_and_others_do(device):
    x = lg.tensor([1.0], device=device)
    assert ("device=" in repr(x)) == (x.device != lg.get_default_device())
    if x.device != lg.get_default_device():
        assert f"device='{x.device}'" in repr(x)


def test_autograd_suffixes_are_torchs():
    for lib in (lg, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        assert repr(w) == "tensor([1., 2.], requires_grad=True)"
        assert repr(w * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
        assert repr((w * 2).detach()) == "tensor([2., 4.])"
        with lib.no_grad():
            assert repr(w + 1) == "tensor([2., 3.])"
        assert repr(lib.nn.Parameter(lib.tensor([0.5]))) == "Parameter containing:\ntensor([0.5000], requires_grad=True)"


def test_a_long_suffix_goes_on_a_line_of_its_own():
    for lib in (lg, torch):
        w = lib.tensor([0.1, -0.25, 3.0, 0.5, 1e-3], requires_grad=True)
        assert repr(w * 1) == "tensor([ 1.0000e-01, -2.5000e-01,  3.0000e+00,  5.0000e-01,  1.0000e-03],\n" \
                              "       grad_fn=<MulBackward0>)"


OPTIONS = [{"precision": 2}, {"sci_mode": True}, {"sci_mode": False}, {"threshold": 5, "edgeitems": 1},
           {"linewidth": 30}, {"profile": "short"}, {"profile": "full"}, {"edgeitems": 0, "threshold": 3}]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_set_printoptions_as_torchs(options):
    data = (R.standard_normal((6, 7)) * 50).astype(np.float32)
    with lg.printoptions(**options):
        ours = repr(lg.tensor(data))
    torch.set_printoptions(**options)
    try:
        theirs = repr(torch.tensor(data))
    finally:
        torch.set_printoptions(profile="default")
    assert ours == theirs
    assert lg.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                     "sci_mode": None}


def test_an_unknown_profile_raises():
    with pytest.raises(ValueError, match="profile"):
        lg.set_printoptions(profile="long")
