"""torch.return_types: max(dim), sort, topk, ... return a named tuple type of their own, which
prints, unpacks, indexes, compares and pickles as torch's."""
import pickle

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

DATA = [[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]]

OPS = {  # name -> the call, on a tensor of DATA and the library
    "max": lambda x, T: x.max(1),
    "min": lambda x, T: T.min(x, 0, keepdim=True),
    "sort": lambda x, T: x.sort(descending=True),
    "topk": lambda x, T: x.topk(2),
    "kthvalue": lambda x, T: x.kthvalue(2, 1),
    "median": lambda x, T: x.median(1),
    "nanmedian": lambda x, T: x.nanmedian(0),
    "mode": lambda x, T: x.mode(1),
    "cummax": lambda x, T: x.cummax(1),
    "cummin": lambda x, T: T.cummin(x, 0),
    "aminmax": lambda x, T: T.aminmax(x, dim=1),
    "frexp": lambda x, T: T.frexp(x),
    "slogdet": lambda x, T: T.slogdet(x[:, :2]),
}


def _both(name, device):
    ours = OPS[name](lg.tensor(DATA, device=device), lg)
    theirs = OPS[name](torch.tensor(DATA), torch)
    return ours, theirs


@pytest.mark.parametrize("name", list(OPS))
def test_the_result_prints_as_torchs_named_tuple(device, name):
    ours, theirs = _both(name, device)
    assert str(ours) == repr(ours)
    ours = type(ours)(t.cpu() for t in ours)  # (a tensor off the default device says where it is)
    assert repr(ours) == repr(theirs).replace("torch.", "lazygrad.")


@pytest.mark.parametrize("name", list(OPS))
def test_the_result_unpacks_indexes_and_names_its_fields(device, name):
    ours, theirs = _both(name, device)
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert isinstance(ours, getattr(lg.return_types, name)) and isinstance(ours, tuple)
    first, second = ours
    fields = [f for f in dir(theirs) if not f.startswith("_") and f not in dir(tuple) and not f.startswith("n_")]
    for field in fields:
        np.testing.assert_array_equal(getattr(ours, field).numpy(), getattr(theirs, field).numpy())
    assert getattr(ours, fields[0]) is not None and len(ours) == 2 == ours.n_fields == ours.n_sequence_fields
    assert ours[0] is first and ours[-1] is second and ours[:1] == (first,)


def test_a_return_type_is_built_from_one_sequence_of_its_length():
    for T in (lg, torch):
        r = T.return_types.max((1, 2))
        assert r.values == 1 and r.indices == 2 and r == (1, 2) and hash(r) == hash((1, 2))
    for bad in ((1,), 5):
        with pytest.raises(TypeError) as theirs:
            torch.return_types.max(bad)
        with pytest.raises(TypeError) as ours:
            lg.return_types.max(bad)
        assert str(ours.value) == str(theirs.value).replace("torch.", "lazygrad.")


def test_a_result_pickles_as_its_own_type(device):
    r = lg.tensor(DATA, device=device).max(0)
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is lg.return_types.max
    np.testing.assert_array_equal(back.values.numpy(), r.values.numpy())


def test_gradients_flow_through_a_named_tuples_values(device):
    def grad(T, kw):
        x = T.tensor(DATA, requires_grad=True, **kw)
        x.sort(1).values[:, 0].sum().backward()
        return x.grad.numpy()
    np.testing.assert_array_equal(grad(lg, {"device": device}), grad(torch, {}))
