"""Training with complex parameters against torch: SGD (with momentum and weight decay), Adam
and AdamW step a complex leaf as torch does (its view_as_real pair), nn.Parameter of complex
data, a Module's state_dict with complex entries, lg.save / lg.load of complex tensors (and
files torch's safetensors reads and writes), and lg.autograd.grad with complex inputs."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

A = np.array([1 + 2j, -0.5 + 0.25j, 3 - 1j], dtype=np.complex64)
W = np.array([2 - 1j, 0.5j, -1 + 0.5j], dtype=np.complex64)
OPTIMIZERS = {
    "SGD": {"lr": 0.1}, "SGD momentum": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
    "Adam": {"lr": 0.1}, "Adam amsgrad": {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True},
    "AdamW": {"lr": 0.1, "weight_decay": 0.1}, "RMSprop": {"lr": 0.05, "momentum": 0.5, "centered": True},
    "Adagrad": {"lr": 0.1, "initial_accumulator_value": 0.1}}


def loss(m, z, w):
    return (z * w - 1).abs().square().sum() + (m.view_as_real(z) * m.view_as_real(w)).sum()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_optimizer_steps_a_complex_parameter_as_torch(device, name):
    cls, kw = name.split()[0], OPTIMIZERS[name]
    z, t = lg.nn.Parameter(lg.tensor(A, device=device)), torch.nn.Parameter(torch.tensor(A))
    ours, theirs = getattr(lg.optim, cls)([z], **kw), getattr(torch.optim, cls)([t], **kw)
    w, tw = lg.tensor(W, device=device), torch.tensor(W)
    for _ in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        loss(lg, z, w).backward()
        loss(torch, t, tw).backward()
        ours.step()
        theirs.step()
    assert z.is_leaf and z.dtype == lg.complex64 and isinstance(z, lg.nn.Parameter)
    np.testing.assert_allclose(z.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_complex_parameter_in_a_module(device, tmp_path):
    m = lg.nn.Module()
    m.w = lg.nn.Parameter(lg.tensor(A, device=device))
    assert [type(p) for p in m.parameters()] == [type(m.w)] and m.w.requires_grad and m.w.is_complex()
    assert repr(lg.nn.Parameter(lg.tensor(A))) == repr(torch.nn.Parameter(torch.tensor(A)))
    state = m.state_dict()
    assert state["w"].dtype == lg.complex64 and not state["w"].requires_grad
    m.load_state_dict({"w": lg.tensor(W, device=device)})
    assert m.w.is_leaf and np.array_equal(m.w.detach().numpy(), W)
    m.load_state_dict({"w": lg.tensor([1.0, 2.0, 3.0], device=device)})  # a real checkpoint: imaginary parts 0
    assert m.w.tolist() == [1, 2, 3] and m.w.dtype == lg.complex64
    assert not lg.nn.Parameter(lg.tensor(A), requires_grad=False).requires_grad


def test_save_and_load_round_trip_complex_tensors_and_read_torchs_files(device, tmp_path):
    z = lg.tensor(A, device=device)
    m = lg.nn.Module()
    m.w = lg.nn.Parameter(z * 2)
    lg.save({"z": z, "x": lg.ones(2, device=device)}, tmp_path / "a.safetensors")
    back = lg.load(tmp_path / "a.safetensors", device=device)
    assert back["z"].dtype == lg.complex64 and np.array_equal(back["z"].numpy(), A) and back["x"].tolist() == [1, 1]
    theirs = safetensors_torch.load_file(str(tmp_path / "a.safetensors"))
    assert theirs["z"].dtype == torch.complex64 and np.array_equal(theirs["z"].numpy(), A)
    lg.save(m.state_dict(), tmp_path / "m.safetensors")
    fresh = lg.nn.Module()
    fresh.w = lg.nn.Parameter(lg.zeros(3, dtype=lg.complex64, device=device))
    fresh.load_state_dict(lg.load(tmp_path / "m.safetensors", device=device))
    assert np.array_equal(fresh.w.detach().numpy(), A * 2)
    lg.save([z, {"nested": z[1:]}], tmp_path / "n.safetensors")
    nested = lg.load(tmp_path / "n.safetensors", device=device)
    assert np.array_equal(nested[1]["nested"].numpy(), A[1:])
    safetensors_torch.save_file({"t": torch.tensor(W)}, str(tmp_path / "t.safetensors"))
    assert np.array_equal(lg.load(tmp_path / "t.safetensors", device=device)["t"].numpy(), W)
    with pytest.raises(TypeError, match="complex128"):
        lg.save({"z": z.cdouble()}, tmp_path / "d.safetensors")


def test_autograd_grad_with_complex_inputs_and_outputs(device):
    z, t = lg.tensor(A, device=device, requires_grad=True), torch.tensor(A, requires_grad=True)
    x, tx = lg.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True), torch.tensor([1.0, 2.0, 3.0],
                                                                                        requires_grad=True)
    ours = lg.autograd.grad((z * x).abs().sum() + z.sqrt().real.sum(), [z, x])
    theirs = torch.autograd.grad((t * tx).abs().sum() + t.sqrt().real.sum(), [t, tx])
    for o, r in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-5, atol=1e-6)
    (gz,) = lg.autograd.grad(z * 2j, z, lg.tensor(W, device=device))
    (gt,) = torch.autograd.grad(t * 2j, t, torch.tensor(W))
    np.testing.assert_allclose(gz.numpy(), gt.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        lg.autograd.grad((z * 2j).sum(), z)


def test_optimizers_without_a_complex_rule_refuse_complex_parameters():
    z = lg.nn.Parameter(lg.tensor(A))
    z.grad = lg.tensor(W)
    with pytest.raises(RuntimeError, match="Adafactor does not support complex"):
        lg.optim.Adafactor([z]).step()
    square = lg.nn.Parameter(lg.tensor(np.stack([A, W])))
    square.grad = lg.tensor(np.stack([W, A]))
    with pytest.raises(NotImplementedError, match="Muon"):
        lg.optim.Muon([square]).step()
