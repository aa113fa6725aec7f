"""The idioms of older tutorials and examples, still common in programs people port:
`w.data.uniform_(-r, r)`, `x.new(x.size()).normal_()`, `x.type()`, `torch.Size`; compared with
torch."""
import pickle

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


# ---- Size ------------------------------------------------------------------------------------

def test_size_is_a_tuple_of_ints_that_slices_and_adds_to_sizes():
    for module in (lg, torch):
        s = module.zeros(2, 3, 4).size()
        assert isinstance(s, module.Size) and isinstance(s, tuple) and s == (2, 3, 4) and hash(s) == hash((2, 3, 4))
        assert s.numel() == 24 and module.Size() == () and module.Size([module.tensor(3)]) == (3,)
        assert isinstance(s[1:], module.Size) and isinstance(s + (5,), module.Size) and isinstance((1,) + s, module.Size)
        assert tuple((1,) + s) == (1, 2, 3, 4) and tuple(s * 2) == (2, 3, 4) * 2 and s[0] == 2
        assert pickle.loads(pickle.dumps(s)) == s
        with pytest.raises(TypeError, match="takes an iterable of 'int'"):
            module.Size([2.5])
    assert repr(lg.Size([2, 3])) == "lazygrad.Size([2, 3])"


# ---- x.new and x.type ------------------------------------------------------------------------

NEW_ARGS = [lambda x: (x.size(),), lambda x: (2, 3), lambda x: ([1, 2],), lambda x: ((2, 3),), lambda x: ()]


@pytest.mark.parametrize("args", NEW_ARGS, ids=["size", "ints", "list", "tuple-is-data", "empty"])
def test_new_is_the_legacy_constructor_of_xs_dtype_and_device(args, device):
    x = lg.zeros(4, 5, dtype=lg.float64, device=device)
    tx = torch.zeros(4, 5, dtype=torch.float64)
    ours, theirs = x.new(*args(x)), tx.new(*args(tx))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == lg.float64 and ours.device == device
    if args(x) and not isinstance(args(x)[0], int) and not isinstance(args(x)[0], lg.Size):
        assert ours.tolist() == theirs.tolist()


def test_type_names_the_legacy_type_and_converts_to_one():
    x = lg.zeros(2)
    assert x.type() == "lazygrad.FloatTensor" and lg.tensor([1]).type() == "lazygrad.LongTensor"
    for t in ("torch.LongTensor", "lazygrad.LongTensor", lg.LongTensor, lg.int64):
        assert x.type(t).dtype == lg.int64
    assert x.type(x.type()).dtype == lg.float32
    for lib in (lg, torch):
        with pytest.raises(ValueError, match="invalid type: 'float'"):
            lib.zeros(2).type("float")
        with pytest.raises(TypeError, match="dtype must be a type, str, or dtype object"):
            lib.zeros(2).type(3)


# ---- uniform_ and normal_ as older tutorials use them (frontend/random_fill.py) -------------------

def test_initializing_parameters_through_data_as_older_tutorials_do(device):
    emb = lg.nn.Embedding(10, 4).to(device)
    emb.weight.data.uniform_(-0.1, 0.1)
    lin = lg.nn.Linear(4, 3).to(device)
    lin.bias.data.zero_()
    lin.weight.data.normal_(0, 0.02)
    assert emb.weight.requires_grad and emb.weight.abs().max().item() <= 0.1
    assert lin.bias.tolist() == [0.0] * 3 and 0 < lin.weight.abs().max().item() < 0.2
    lin(emb(lg.tensor([1, 2], device=device))).sum().backward()
    assert emb.weight.grad.shape == (10, 4)


def test_old_vae_reparameterisation_draws_a_noise_of_stds_shape(device):
    std = lg.ones(3, 4, device=device).mul(0.5).exp_()
    eps = std.data.new(std.size()).normal_()
    assert eps.shape == (3, 4) and eps.dtype == std.dtype and eps.device == device


# ---- torch.Tensor(2, 3): the legacy constructor's sizes form (frontend/legacy_sizes.py) ----------

@pytest.mark.parametrize("sizes", [(50, 16), (2, 3, 4), (1, 2, 1, 2, 1, 2), (0, 3)])
def test_tensor_of_sizes_is_a_default_dtype_tensor_of_that_shape_as_torchs(sizes, device):
    theirs, ours = torch.Tensor(*sizes), lg.Tensor(*sizes)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).split(".")[1]
    assert not ours.requires_grad
    w = lg.nn.Parameter(lg.Tensor(*sizes).to(device))  # as a graph convolution's kernel is made, then filled
    lg.nn.init.ones_(w)
    assert w.sum().item() == theirs.numel() and w.device.type == lg.device(device).type


def _same_legacy_result(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).split(".")[1]


@pytest.mark.parametrize("form", ["int", "size", "none", "tensor"])
def test_tensor_of_one_int_a_size_or_nothing_is_sizes_as_torchs(form, device):
    args = {"int": lambda m: (4,), "size": lambda m: (m.Size([2, 3]),), "none": lambda m: (),
            "tensor": lambda m: (m.ones(2, 3, dtype=m.float64),)}[form]
    theirs, ours = torch.Tensor(*args(torch)), lg.Tensor(*args(lg), device=device)
    _same_legacy_result(ours, theirs)
    assert ours.device.type == lg.device(device).type
    lg.nn.init.ones_(ours)  # (filled by an init_ function, as programs do)
    assert ours.sum().item() == theirs.numel()


@pytest.mark.parametrize("name", ["FloatTensor", "LongTensor", "DoubleTensor", "IntTensor"])
@pytest.mark.parametrize("args", [(3,), (2, 3), ([4],), ((1, 2),), ()], ids=str)
def test_typed_legacy_constructors_match_torchs(name, args):
    _same_legacy_result(getattr(lg, name)(*args), getattr(torch, name)(*args))


def test_one_int_with_a_dtype_and_lg_tensor_of_an_int_stay_the_number():
    assert lg.Tensor(0, dtype=lg.int64).shape == () and lg.tensor(4).shape == () and lg.as_tensor(4).shape == ()
    assert lg.tensor(4).item() == torch.tensor(4).item() and (lg.ones(2) + lg.tensor(3)).tolist() == [4.0, 4.0]


def test_tensor_of_a_negative_size_raises_as_torchs():
    with pytest.raises(RuntimeError, match="negative dimension") as theirs:
        torch.Tensor(2, -1)
    with pytest.raises(type(theirs.value), match=str(theirs.value).replace("[", r"\[").replace("]", r"\]")):
        lg.Tensor(2, -1)


def test_tensor_of_a_tensor_warns_as_torch_and_names_the_callers_line():
    with pytest.warns(UserWarning, match="To copy construct from a tensor") as theirs:
        torch.tensor(torch.ones(2))
    with pytest.warns(UserWarning) as ours:
        copy = lg.tensor(lg.ones(2))
    assert str(ours[0].message) == str(theirs[0].message) and ours[0].filename == __file__
    assert copy.tolist() == [1.0, 1.0]
