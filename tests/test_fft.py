"""lazygrad.fft against torch.fft: values, dtypes and shapes for every transform, n/s, dim and
norm, gradients through them, and the frequency helpers."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def same(ours, theirs, tol=1e-4):
    theirs = theirs.detach().resolve_conj()
    assert str(theirs.dtype).split(".")[1] == ours.dtype.name
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


CASES = [(None, -1, None), (5, -1, "ortho"), (11, 0, "forward"), (8, 1, "backward")]


@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "ihfft"])
def test_one_dim_transforms_of_real_signals(device, rng, name):
    x = rng.standard_normal((6, 8)).astype(np.float32)
    for n, dim, norm in CASES:
        same(getattr(lg.fft, name)(lg.tensor(x, device=device), n=n, dim=dim, norm=norm),
             getattr(torch.fft, name)(torch.tensor(x), n=n, dim=dim, norm=norm))


@pytest.mark.parametrize("name", ["fft", "ifft", "irfft", "hfft"])
def test_one_dim_transforms_of_complex_signals(device, rng, name):
    z = (rng.standard_normal((6, 8)) + 1j * rng.standard_normal((6, 8))).astype(np.complex64)
    for n, dim, norm in CASES + [(3, -1, None), (20, -1, "ortho")]:
        same(getattr(lg.fft, name)(lg.tensor(z, device=device), n=n, dim=dim, norm=norm),
             getattr(torch.fft, name)(torch.tensor(z), n=n, dim=dim, norm=norm))


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "fftn", "ifftn", "rfftn", "irfft2", "irfftn"])
def test_multi_dim_transforms(device, rng, name):
    x = rng.standard_normal((2, 4, 6))
    if name.startswith("irfft"):
        x = torch.fft.rfftn(torch.tensor(x)).numpy()
    for kwargs in ({}, {"s": (3, 5)}, {"dim": (0, 2), "norm": "ortho"}):
        same(getattr(lg.fft, name)(lg.tensor(x, device=device), **kwargs),
             getattr(torch.fft, name)(torch.tensor(x), **kwargs), tol=1e-9 if x.dtype == np.float64 else 1e-4)


def test_gradients_through_transforms(device, rng):
    x = rng.standard_normal((3, 8)).astype(np.float32)
    w = rng.standard_normal((3, 5)).astype(np.float32)
    lx, tx = lg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)

    def loss(m, t, w):
        spec = m.fft.rfft(t, norm="ortho")
        return ((spec * w).abs().sum() + m.fft.irfft(spec * 2, n=8).pow(2).sum() + m.fft.fft(t, n=6).abs().mean()
                + m.view_as_real(m.fft.ifft2(t)).sum())
    loss(lg, lx, lg.tensor(w, device=device)).backward()
    loss(torch, tx, torch.tensor(w)).backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_frequencies_and_shifts(device):
    for n, d in ((5, 1.0), (8, 0.5)):
        same(lg.fft.fftfreq(n, d, device=device), torch.fft.fftfreq(n, d))
        same(lg.fft.rfftfreq(n, d, device=device), torch.fft.rfftfreq(n, d))
    x = np.arange(12.0).reshape(3, 4)
    same(lg.fft.fftshift(lg.tensor(x, device=device)), torch.fft.fftshift(torch.tensor(x)))
    same(lg.fft.ifftshift(lg.tensor(x, device=device), dim=1), torch.fft.ifftshift(torch.tensor(x), dim=1))
    same(lg.fft.fftshift(lg.fft.fft(lg.tensor(x, device=device))), torch.fft.fftshift(torch.fft.fft(torch.tensor(x))))


def test_exact_twiddles_print_as_torch():
    assert repr(lg.fft.fft(lg.arange(4.0))) == repr(torch.fft.fft(torch.arange(4.0)))
    assert repr(lg.fft.rfft(lg.arange(8.0))) == repr(torch.fft.rfft(torch.arange(8.0)))


def test_bad_arguments_raise_as_torch():
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        lg.fft.fft(lg.ones(4), norm="bad")
    with pytest.raises(RuntimeError):
        lg.fft.fft(lg.ones(4), n=0)
    with pytest.raises(RuntimeError):
        lg.fft.rfft(lg.ones(4, dtype=lg.complex64))
    with pytest.raises(IndexError):
        lg.fft.fft(lg.ones(4), dim=2)
    assert lg.fft.fft(lg.arange(4)).dtype == lg.complex64
    assert lg.fft.fft(lg.ones(4, dtype=lg.float64)).dtype == lg.complex128


@pytest.mark.parametrize("kwargs", [{"n_fft": 16}, {"n_fft": 16, "hop_length": 5, "win_length": 10},
                                    {"n_fft": 15, "center": False, "onesided": False, "normalized": True},
                                    {"n_fft": 8, "pad_mode": "constant"}])
def test_stft_matches_torch(device, rng, kwargs):
    x = rng.standard_normal((2, 60)).astype(np.float32)
    win = kwargs.get("win_length", kwargs["n_fft"])
    lx, tx = lg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = lg.stft(lx, window=lg.hann_window(win, device=device), return_complex=True, **kwargs)
    theirs = torch.stft(tx, window=torch.hann_window(win), return_complex=True, **kwargs)
    same(ours, theirs)
    ours.abs().sum().backward()
    theirs.abs().sum().backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_stft_asks_for_return_complex():
    with pytest.raises(RuntimeError, match="return_complex"):
        lg.stft(lg.ones(32), 8)
    with pytest.raises(NotImplementedError):
        lg.stft(lg.ones(32, dtype=lg.complex64), 8, return_complex=True)


@pytest.mark.parametrize("kwargs", [{"n_fft": 16}, {"n_fft": 16, "hop_length": 5, "win_length": 10},
                                    {"n_fft": 15, "hop_length": 4, "center": False, "normalized": True},
                                    {"n_fft": 16, "hop_length": 6, "length": 50}, {"n_fft": 16, "onesided": False}])
def test_istft_matches_torch(device, rng, kwargs):
    x = rng.standard_normal((2, 60)).astype(np.float32)
    win = kwargs.get("win_length", kwargs["n_fft"])
    framing = {k: v for k, v in kwargs.items() if k != "length"}
    spec = torch.stft(torch.tensor(x), window=torch.hann_window(win, periodic=False) + 0.1, return_complex=True,
                      **framing)
    ls, ts = lg.tensor(spec.numpy(), device=device, requires_grad=True), spec.clone().requires_grad_()
    ours = lg.istft(ls, window=lg.hann_window(win, periodic=False, device=device) + 0.1, **kwargs)
    theirs = torch.istft(ts, window=torch.hann_window(win, periodic=False) + 0.1, **kwargs)
    same(ours, theirs)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    np.testing.assert_allclose(ls.grad.numpy(), ts.grad.numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", ["hfft2", "hfftn", "ihfft2", "ihfftn"])
def test_hermitian_multi_dim_transforms(device, rng, name):
    x = rng.standard_normal((2, 4, 6))
    if name.startswith("hfft"):
        x = x + 1j * rng.standard_normal((2, 4, 6))
    cases = ({}, {"s": (3, 5)}, {"dim": (0, 2), "norm": "ortho"}, {"s": (7,), "norm": "forward"},
             {"s": (3, 4), "dim": (2, 0)})
    for kwargs in cases if name.endswith("n") else cases[:3]:
        same(getattr(lg.fft, name)(lg.tensor(x, device=device), **kwargs),
             getattr(torch.fft, name)(torch.tensor(x), **kwargs), tol=1e-9)
    real = rng.standard_normal((3, 4)).astype(np.float32)
    same(getattr(lg.fft, name)(lg.tensor(real, device=device)), getattr(torch.fft, name)(torch.tensor(real)))
    same(getattr(lg.fft, name)(lg.arange(12, device=device).reshape(3, 4)),
         getattr(torch.fft, name)(torch.arange(12).reshape(3, 4)))


def test_gradients_through_hermitian_transforms(device, rng):
    x = rng.standard_normal((3, 4, 5))
    lx, tx = lg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)

    def loss(m, t):
        spec = m.fft.ihfftn(t, s=(4, 6), dim=(0, 2), norm="ortho")
        back = m.fft.hfft2(spec * spec, s=(3, 6))
        return m.view_as_real(spec).pow(2).sum() + back.sin().sum() + m.fft.hfftn(m.fft.ihfft2(t)).sum()
    loss(lg, lx).backward()
    loss(torch, tx).backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_hermitian_transforms_refuse_as_torch():
    z = lg.ones(2, 3, dtype=lg.complex128)
    for fn in (lg.fft.ihfftn, lg.fft.ihfft2):
        with pytest.raises(RuntimeError, match="Only supports floating-point dtypes, but found: ComplexDouble"):
            fn(z)
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        lg.fft.hfft2(z, norm="bad")
    with pytest.raises(RuntimeError, match="must have the same length"):
        lg.fft.hfftn(z, s=(2, 3), dim=(0,))
