"""linalg.ldl_factor(_ex) and ldl_solve against torch: LD and LAPACK's pivots on symmetric,
indefinite, singular and unsymmetric (lower triangle read) inputs, info and check_errors, the
solve, torch's refusal to differentiate, and its errors for bad shapes and dtypes."""
import functools

import numpy as np
import pytest
import torch

import lazygrad as lg

RNG = np.random.default_rng(11)


def _cases():
    sym = RNG.standard_normal((2, 5, 5))
    sym = sym + np.swapaxes(sym, -1, -2)
    singular = sym.copy()
    singular[1, 2, :] = singular[1, :, 2] = 0.0
    return {
        "indefinite_batch": sym,
        "zero_diagonal": np.array([[0.0, 1, 2], [1, 0, 3], [2, 3, 0]]),  # 2x2 pivots from the start
        "unsymmetric": RNG.standard_normal((6, 6)),  # only the lower triangle is read
        "singular_one_of_batch": singular,
        "integers": np.round(2 * RNG.standard_normal((3, 4, 4))),  # ties in the pivot search
        "nan_off_diagonal": np.array([[1.0, np.nan], [np.nan, 1.0]]),
        "nan_diagonal": np.array([[np.nan, 1.0], [1.0, 1.0]]),
        "empty_batch": np.zeros((0, 3, 3)),
    }


CASES = _cases()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_ld_pivots_and_info_match_torch(name, dtype, device):
    a = CASES[name].astype(dtype)
    want = torch.linalg.ldl_factor_ex(torch.tensor(a), hermitian=name == "unsymmetric")
    got = lg.linalg.ldl_factor_ex(lg.tensor(a, device=device), hermitian=name == "unsymmetric")
    assert type(got).__name__ == "linalg_ldl_factor_ex" and got.pivots.dtype == lg.int32 == got.info.dtype
    np.testing.assert_array_equal(got.pivots.numpy(), want.pivots.numpy())
    np.testing.assert_array_equal(got.info.numpy(), want.info.numpy())
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got.LD.numpy(), want.LD.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ldl_solve_matches_torch_with_batches_broadcast(dtype, device):
    a = CASES["indefinite_batch"].astype(dtype)
    b = RNG.standard_normal((3, 2, 5, 2)).astype(dtype)
    ld, piv = lg.linalg.ldl_factor(lg.tensor(a, device=device))
    got = lg.linalg.ldl_solve(ld, piv, lg.tensor(b, device=device), hermitian=True)
    t_ld, t_piv = torch.linalg.ldl_factor(torch.tensor(a))  # (torch 2.13 crashes broadcasting LD's batch: expand it)
    want = torch.linalg.ldl_solve(t_ld.expand(3, 2, 5, 5).contiguous(), t_piv.expand(3, 2, 5).contiguous(),
                                  torch.tensor(b))
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-5)
    one = lg.linalg.ldl_solve(ld[0], piv[0].long(), lg.tensor(b[0, 0], device=device))  # int64 pivots too
    np.testing.assert_allclose(one.numpy(), np.linalg.solve(a[0], b[0, 0]), rtol=1e-3, atol=1e-4)


def test_a_large_matrix_gives_lapacks_blocked_pivots(device):
    a = RNG.standard_normal((80, 80))
    a = a + a.T
    want = torch.linalg.ldl_factor(torch.tensor(a))
    got = lg.linalg.ldl_factor(lg.tensor(a, device=device))
    np.testing.assert_array_equal(got.pivots.numpy(), want.pivots.numpy())
    np.testing.assert_allclose(got.LD.numpy(), want.LD.numpy(), atol=1e-9)


def test_a_zero_in_d_raises_runtime_error_where_torch_does(device):
    singular = CASES["singular_one_of_batch"]
    for fn in (lambda m, a: m.linalg.ldl_factor(a), lambda m, a: m.linalg.ldl_factor_ex(a, check_errors=True)):
        with pytest.raises(RuntimeError):
            fn(torch, torch.tensor(singular))
        with pytest.raises(RuntimeError, match=r"\(Batch element 1\): .*D\[3,3\] is zero"):
            fn(lg, lg.tensor(singular, device=device))
    assert lg.linalg.ldl_factor_ex(lg.tensor(singular, device=device)).info.tolist() == [0, 3]


def test_results_require_grad_but_backward_raises_as_torchs(device):
    a = lg.tensor(CASES["indefinite_batch"], device=device, requires_grad=True)
    ld, piv, info = lg.linalg.ldl_factor_ex(a)
    assert ld.requires_grad and not piv.requires_grad and not info.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex is not implemented"):
        ld.sum().backward()
    b = lg.tensor(RNG.standard_normal((5, 1)), device=device, requires_grad=True)
    x = lg.linalg.ldl_solve(ld.detach(), piv, b)
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_solve is not implemented"):
        x.sum().backward()
    with lg.no_grad():
        assert not lg.linalg.ldl_factor(a).LD.requires_grad


def test_out_tensors_receive_the_results(device):
    a = lg.tensor(CASES["indefinite_batch"][0], device=device)
    out = (lg.empty(5, 5, dtype=lg.float64, device=device), lg.empty(5, dtype=lg.int32, device=device))
    result = lg.linalg.ldl_factor(a, out=out)
    assert result.LD is out[0] and result.pivots is out[1]
    b = lg.ones(5, 1, dtype=lg.float64, device=device)
    assert lg.linalg.ldl_solve(*out, b, out=b) is b
    np.testing.assert_allclose(b.numpy(), np.linalg.solve(CASES["indefinite_batch"][0], np.ones((5, 1))))


def _errors(m, float_dtype, int_dtype, half, **device):
    eye = m.eye(3, dtype=float_dtype, **device)
    piv = m.arange(1, 4, **device).to(int_dtype)
    ones = functools.partial(m.ones, **device)
    return [
        lambda: m.linalg.ldl_factor(ones(3)),
        lambda: m.linalg.ldl_factor(ones(3, 4)),
        lambda: m.linalg.ldl_factor_ex(ones(3, 3).long()),
        lambda: m.linalg.ldl_factor(ones(3, 3).to(half)),
        lambda: m.linalg.ldl_solve(eye[0], piv, ones(3, 1, dtype=float_dtype)),
        lambda: m.linalg.ldl_solve(eye[:2], piv, ones(3, 1, dtype=float_dtype)),
        lambda: m.linalg.ldl_solve(eye.int(), piv[:2], ones(3)),
        lambda: m.linalg.ldl_solve(eye, piv.double(), ones(3, 1).double()),
        lambda: m.linalg.ldl_solve(eye, piv[:2], ones(3, dtype=float_dtype)),
        lambda: m.linalg.ldl_solve(eye, piv[:2], ones(2, 1, dtype=float_dtype)),
        lambda: m.linalg.ldl_solve(eye, piv[:2].double(), ones(3, 1, dtype=float_dtype)),
        lambda: m.linalg.ldl_solve(eye, piv.double(), ones(3, 1, dtype=float_dtype)),
        lambda: m.linalg.ldl_solve(eye.to(half), piv, ones(3, 1, dtype=half)),
        lambda: m.linalg.ldl_solve(eye.expand(2, 3, 3), piv.expand(2, 3), ones(4, 3, 1, dtype=float_dtype)),
    ]


def test_bad_inputs_raise_torchs_error_classes_and_messages(device):
    ours = _errors(lg, lg.float32, lg.int32, lg.float16, device=device)
    theirs = _errors(torch, torch.float32, torch.int32, torch.float16)
    for mine, reference in zip(ours, theirs):
        with pytest.raises(Exception) as want:
            reference()
        with pytest.raises(type(want.value)) as got:
            mine()
        assert str(got.value) == str(want.value)
