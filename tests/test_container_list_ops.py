"""Sequential and ModuleList take torch's list operations, with torch's keys afterwards:
`model.classifier[-1] = nn.Linear(...)` (a new head for transfer learning) keeps the replaced
key, `del` and `pop` renumber, `insert` shifts, `+`, `+=`, `*` build from the same modules; and
print(ModuleList) folds a run of alike modules into `(0-2): 3 x Block(...)`. Compared with torch."""
from collections import OrderedDict

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _seq(nn):
    return nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())


def _named(nn):
    return nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh()), ("c", nn.Sigmoid())]))


def _list(nn):
    return nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])


def _set(c, i, m):
    c[i] = m
    return c


def _del(c, i):
    del c[i]
    return c


def _pop(c, i):
    c.pop(i)
    return c


def _insert(c, i, m):
    c.insert(i, m)
    return c


def _iadd(c, other):
    c += other
    return c


def _imul(c, n):
    c *= n
    return c


CASES = {
    "seq[-1] = Linear": lambda nn: _set(_seq(nn), -1, nn.Linear(2, 2)),
    "named seq[1] = Linear": lambda nn: _set(_named(nn), 1, nn.Linear(2, 2)),
    "del seq[0]": lambda nn: _del(_seq(nn), 0),
    "del named seq[1]": lambda nn: _del(_named(nn), 1),
    "del seq[0:2]": lambda nn: _del(_seq(nn), slice(0, 2)),
    "seq.pop(1)": lambda nn: _pop(_seq(nn), 1),
    "seq.insert(1, m)": lambda nn: _seq(nn).insert(1, nn.Linear(1, 1)),
    "seq.insert(-1, m)": lambda nn: _seq(nn).insert(-1, nn.Linear(1, 1)),
    "seq.extend": lambda nn: _seq(nn).extend([nn.Linear(1, 1)]),
    "seq + named": lambda nn: _seq(nn) + _named(nn),
    "seq += named": lambda nn: _iadd(_seq(nn), _named(nn)),
    "seq * 2": lambda nn: _seq(nn) * 2,
    "2 * named": lambda nn: 2 * _named(nn),
    "seq *= 2": lambda nn: _imul(_seq(nn), 2),
    "list[0] = Linear": lambda nn: _set(_list(nn), 0, nn.Linear(1, 1)),
    "del list[0]": lambda nn: _del(_list(nn), 0),
    "list.pop(1)": lambda nn: _pop(_list(nn), 1),
    "list + list": lambda nn: _list(nn) + _list(nn),
    "list += [m]": lambda nn: _iadd(_list(nn), [nn.Linear(1, 1)]),
    "list.insert(0, m)": lambda nn: _insert(_list(nn), 0, nn.Linear(1, 1)),
}


def _layout(c):
    return [(k, type(m).__name__) for k, m in c._modules.items()], [n for n, _ in c.named_parameters()], repr(c)


@pytest.mark.parametrize("case", CASES)
def test_container_list_operation_leaves_torchs_keys(case):
    assert _layout(CASES[case](lg.nn)) == _layout(CASES[case](torch.nn))


ERRORS = {
    "seq[3] = m": (lambda nn: _set(_seq(nn), 3, nn.ReLU()), IndexError),
    "seq + list": (lambda nn: _seq(nn) + [nn.ReLU()], ValueError),
    "seq * 0": (lambda nn: _seq(nn) * 0, ValueError),
    "seq * 1.5": (lambda nn: _seq(nn) * 1.5, TypeError),
    "seq.insert(1, 5)": (lambda nn: _seq(nn).insert(1, 5), AssertionError),
    "seq.insert(7, m)": (lambda nn: _seq(nn).insert(7, nn.ReLU()), IndexError),
}


@pytest.mark.parametrize("case", ERRORS)
def test_container_misuse_raises_torchs_error_class(case):
    make, error = ERRORS[case]
    for nn in (lg.nn, torch.nn):
        with pytest.raises(error):
            make(nn)


def test_a_replaced_head_is_used_in_forward(device):
    model = lg.nn.Sequential(lg.nn.Linear(3, 4), lg.nn.ReLU(), lg.nn.Linear(4, 5)).to(device)
    model[-1] = lg.nn.Linear(4, 2).to(device)
    with lg.no_grad():
        for p in model.parameters():
            p.fill_(0.5)
    out = model(lg.ones(2, 3, device=device))
    np.testing.assert_allclose(out.numpy(), np.full((2, 2), 4 * 2.0 * 0.5 + 0.5, np.float32))
    assert [n for n, _ in model.named_parameters()][-2:] == ["2.weight", "2.bias"]


@pytest.mark.parametrize("modules", ["3 Linear and a ReLU", "ReLU runs and a nested list", "an encoder", "empty"])
def test_module_list_folds_alike_modules_when_printed_as_torch(modules):
    def build(nn):
        return {"3 Linear and a ReLU": lambda: nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()]),
                "ReLU runs and a nested list": lambda: nn.ModuleList(
                    [nn.ReLU(), nn.ReLU(), nn.Tanh(), nn.ReLU(), nn.ModuleList([nn.ReLU(), nn.ReLU()])]),
                "an encoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 3,
                                                            enable_nested_tensor=False),
                "empty": lambda: nn.ModuleList()}[modules]()
    assert repr(build(lg.nn)) == repr(build(torch.nn))
