"""torch's removed functions (torch.solve, lstsq, eig, symeig, matrix_rank; the Tensor methods
solve, lstsq, eig, symeig, reinforce) raise torch's RuntimeError with torch's words, and
Tensor.volatile warns and reads False, as torch 2.13 does."""
import warnings

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _raised(call):
    with pytest.raises(RuntimeError) as info:
        call()
    return str(info.value)


CALLS = [
    ("solve", lambda m, a: m.solve(a, a)),
    ("lstsq", lambda m, a: m.lstsq(a, a)),
    ("eig", lambda m, a: m.eig(a, eigenvectors=True)),
    ("symeig", lambda m, a: m.symeig(a, True, upper=False)),
    ("matrix_rank", lambda m, a: m.matrix_rank(a, tol=0.1, symmetric=True)),
    ("Tensor.solve", lambda m, a: a.solve(a)),
    ("Tensor.lstsq", lambda m, a: a.lstsq(a)),
    ("Tensor.eig", lambda m, a: a.eig()),
    ("Tensor.symeig", lambda m, a: a.symeig(eigenvectors=True)),
    ("Tensor.reinforce", lambda m, a: a.reinforce(a)),
]


@pytest.mark.parametrize("name, call", CALLS, ids=[c[0] for c in CALLS])
def test_removed_functions_raise_torchs_error(device, name, call):
    ours = _raised(lambda: call(lg, lg.eye(2, device=device)))
    assert ours == _raised(lambda: call(torch, torch.eye(2)))


def test_removed_functions_check_their_arguments_as_torch():
    with pytest.raises(TypeError):
        lg.solve(lg.eye(2))
    with pytest.raises(TypeError):
        lg.eye(2).reinforce()


def _volatile(m, x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = x.volatile
        x.volatile = True
        second = x.volatile
    return first, second, [str(w.message) for w in caught], [w.category for w in caught]


def test_volatile_is_false_and_warns_as_torch(device):
    assert _volatile(lg, lg.ones(2, device=device)) == _volatile(torch, torch.ones(2))
    assert _volatile(lg, lg.ones(2, device=device))[:2] == (False, False)
