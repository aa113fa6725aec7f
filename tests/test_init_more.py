"""nn.init's structured initializers and torch's deprecated names, against torch: shapes,
orthogonality, gain, patterns and statistics (random draws follow lg.manual_seed, not torch's
generator), and errors."""
import numpy as np
import pytest
import torch

import lazygrad as lg


@pytest.mark.parametrize("shape", [(3, 5), (6, 2, 2)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(device, shape):
    w = lg.nn.init.orthogonal_(lg.empty(*shape, device=device), gain=2.0)
    flat = w.numpy().reshape(shape[0], -1)
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-5)
    t = torch.nn.init.orthogonal_(torch.empty(*shape), gain=2.0).reshape(shape[0], -1)
    t_small = (t @ t.T if flat.shape[0] <= flat.shape[1] else t.T @ t).numpy()
    np.testing.assert_allclose(small, t_small, atol=1e-5)


def test_orthogonal_follows_the_seed(device):
    draws = []
    for _ in range(2):
        lg.manual_seed(3)
        draws.append(lg.nn.init.orthogonal_(lg.empty(4, 4, device=device)).numpy())
    np.testing.assert_array_equal(draws[0], draws[1])


def test_trunc_normal_stays_in_its_bounds_with_torchs_statistics(device):
    w = lg.nn.init.trunc_normal_(lg.empty(4000, device=device), mean=0.5, std=1.0, a=-1.0, b=1.5).numpy()
    t = torch.nn.init.trunc_normal_(torch.empty(4000), mean=0.5, std=1.0, a=-1.0, b=1.5).numpy()
    assert w.min() >= -1.0 and w.max() <= 1.5
    assert abs(w.mean() - t.mean()) < 0.06 and abs(w.std() - t.std()) < 0.06


def test_eye_and_dirac_match_torch(device):
    eye = lg.nn.init.eye_(lg.empty(2, 3, device=device))
    np.testing.assert_array_equal(eye.numpy(), torch.nn.init.eye_(torch.empty(2, 3)).numpy())
    for shape, groups in (((4, 2, 3), 2), ((2, 3, 3, 3), 1), ((2, 2, 1, 3, 3), 1)):
        got = lg.nn.init.dirac_(lg.empty(*shape, device=device), groups)
        np.testing.assert_array_equal(got.numpy(), torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())


def test_sparse_zeroes_the_same_count_per_column_as_torch(device):
    w = lg.nn.init.sparse_(lg.empty(10, 6, device=device), sparsity=0.3, std=0.5).numpy()
    t = torch.nn.init.sparse_(torch.empty(10, 6), sparsity=0.3, std=0.5).numpy()
    np.testing.assert_array_equal((w == 0).sum(0), (t == 0).sum(0))


@pytest.mark.parametrize("name, args", [("normal", ()), ("uniform", ()), ("constant", (0.5,)),
                                        ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()),
                                        ("kaiming_normal", ()), ("orthogonal", ()), ("sparse", (0.5,)),
                                        ("eye", ()), ("dirac", ())])
def test_deprecated_names_warn_as_torch_and_initialize(device, name, args):
    shape = (4, 4, 3) if name == "dirac" else (4, 4)
    with pytest.warns(FutureWarning) as theirs:
        getattr(torch.nn.init, name)(torch.empty(*shape), *args)
    w = lg.empty(*shape, device=device)
    with pytest.warns(FutureWarning) as ours:
        out = getattr(lg.nn.init, name)(w, *args)
    assert str(ours[0].message) == str(theirs[0].message)
    assert out is w and np.isfinite(w.numpy()).all()


def test_bad_shapes_raise_torchs_value_errors(device):
    init = lg.nn.init
    for call, message in ((lambda: init.orthogonal_(lg.empty(3, device=device)), "2 or more dimensions"),
                          (lambda: init.eye_(lg.empty(2, 2, 2, device=device)), "2 dimensions"),
                          (lambda: init.dirac_(lg.empty(2, 2, device=device)), "3, 4, or 5"),
                          (lambda: init.dirac_(lg.empty(3, 2, 3, device=device), 2), "divisible by groups"),
                          (lambda: init.sparse_(lg.empty(3, device=device), 0.5), "2 dimensions")):
        with pytest.raises(ValueError, match=message):
            call()


def test_a_given_generator_decides_the_draw(device):
    draws = []
    for _ in range(2):
        g = lg.Generator()
        g.manual_seed(5)
        draws.append(lg.nn.init.trunc_normal_(lg.empty(6, device=device), generator=g).numpy())
    np.testing.assert_array_equal(draws[0], draws[1])


def test_layers_without_inputs_initialize_as_torch_with_its_warning(device):
    """nn.Linear(0, 3): torch's kaiming init warns that a zero-element tensor is left as it is
    (its fan is 0), and the bias bound is 0."""
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = lg.nn.Linear(0, 3).to(device)
    assert tuple(layer.weight.shape) == (3, 0) and layer.bias.tolist() == [0.0, 0.0, 0.0]
    out = layer(lg.ones(2, 0, device=device))
    assert out.tolist() == [[0.0] * 3] * 2
    with pytest.warns(UserWarning, match="no-op"):
        lg.nn.init.kaiming_normal_(lg.empty(0, 4, device=device))


@pytest.mark.parametrize("name, kwargs", [("uniform_", {"a": -2.0, "b": 3.0}), ("normal_", {"mean": 1.0, "std": 2.0}),
                                          ("kaiming_uniform_", {"a": 5 ** 0.5}), ("kaiming_normal_", {}),
                                          ("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {})])
def test_initializers_draw_from_a_given_generator(device, name, kwargs):
    """torch's `generator=` of the initializers: the same seed gives the same values, the
    tensor stays a leaf, and the values keep the initializer's law (bounds, spread)."""
    init = getattr(lg.nn.init, name)
    draws = []
    for seed in (3, 3, 4):
        w = lg.nn.Parameter(lg.empty(64, 32, device=device))
        assert init(w, **kwargs, generator=lg.Generator().manual_seed(seed)) is w
        assert w.is_leaf and w.grad_fn is None and w.requires_grad
        draws.append(w.detach().numpy())
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])
    t = torch.empty(64, 32)
    getattr(torch.nn.init, name)(t, **kwargs, generator=torch.Generator().manual_seed(3))
    ref = t.numpy()
    assert abs(draws[0].std() - ref.std()) < 0.1 * ref.std() and abs(draws[0].mean() - ref.mean()) < 0.1 * ref.std() + 0.05
    if "uniform" in name:
        assert draws[0].min() >= ref.min() - 0.05 * ref.std() and draws[0].max() <= ref.max() + 0.05 * ref.std()
