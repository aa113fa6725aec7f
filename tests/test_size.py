"""lg.Size (torch.Size): what x.shape and x.size() return, as torch's."""
import pickle

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _behaviour(T, **kw):
    x = T.zeros(2, 3, 4, **kw)
    s = x.shape
    return [type(s).__name__, list(s), isinstance(s, tuple), isinstance(s, T.Size), s == (2, 3, 4),
            hash(s) == hash((2, 3, 4)), type(s[1:]).__name__, list(s[1:]), s[-1], type(s + (5,)).__name__,
            type((1,) + s).__name__, list((1,) + s), type(s * 2).__name__, s.numel(), x.size() == s,
            x.size(1), type(x.size()).__name__, list(pickle.loads(pickle.dumps(s))), list(T.Size()),
            list(T.Size([T.tensor(2), 5])), T.zeros(s, **kw).shape == s, x.reshape(s[::-1]).shape == (4, 3, 2),
            x.view(T.Size([6, 4])).shape == (6, 4), s.count(3), s.index(4)]


def test_shape_is_a_size_as_torchs(device):
    assert _behaviour(lg, device=device) == _behaviour(torch)
    assert repr(lg.zeros(2, 3, device=device).shape) == "lazygrad.Size([2, 3])"


def test_a_size_takes_only_integers():
    for T in (torch, lg):
        with pytest.raises(TypeError, match="item 1 is 'float'"):
            T.Size([2, 3.0])
