"""A float32 model fed float64 data raises, as in torch: matrix products (matmul and @ in each
rank form, mm, bmm, mv, dot, addmm, tensordot, a contracting einsum), F.linear and nn.Linear,
convolutions and transposed ones each raise torch 2.13's error for that form. Elementwise ops,
and einsum steps that only multiply, keep promoting; a transposed conv's bias is added in the
input's dtype. Compared with torch on every device."""
from __future__ import annotations

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

F32, F64 = "float32", "float64"


def _t(T, shape, dtype, kw):
    return T.ones(*shape, dtype=getattr(T, dtype), **kw)


CASES = {  # name: (lib, kw) -> result
    "mm": lambda T, kw: T.mm(_t(T, (2, 3), F32, kw), _t(T, (3, 2), F64, kw)),
    "matrix @ matrix": lambda T, kw: _t(T, (2, 3), F64, kw) @ _t(T, (3, 2), F32, kw),
    "vector @ matrix": lambda T, kw: _t(T, (3,), F32, kw) @ _t(T, (3, 2), F64, kw),
    "matrix @ vector": lambda T, kw: _t(T, (2, 3), F32, kw) @ _t(T, (3,), F64, kw),
    "batch @ vector": lambda T, kw: T.matmul(_t(T, (2, 2, 3), F64, kw), _t(T, (3,), F32, kw)),
    "batch @ matrix": lambda T, kw: _t(T, (2, 2, 3), F32, kw) @ _t(T, (3, 2), F64, kw),
    "matrix @ batch": lambda T, kw: _t(T, (2, 3), F32, kw) @ _t(T, (2, 3, 2), F64, kw),
    "dot": lambda T, kw: T.dot(_t(T, (3,), F64, kw), _t(T, (3,), F32, kw)),
    "mv": lambda T, kw: _t(T, (2, 3), F32, kw).mv(_t(T, (3,), F64, kw)),
    "bmm": lambda T, kw: T.bmm(_t(T, (1, 2, 3), F32, kw), _t(T, (1, 3, 2), F64, kw)),
    "int64 @ int32": lambda T, kw: _t(T, (2, 3), "int64", kw) @ _t(T, (3, 2), "int32", kw),
    "float32 @ float16": lambda T, kw: _t(T, (2, 3), F32, kw) @ _t(T, (3, 2), "float16", kw),
    "addmm(float64 self)": lambda T, kw: T.addmm(_t(T, (2, 2), F64, kw), _t(T, (2, 3), F32, kw),
                                                 _t(T, (3, 2), F32, kw)),
    "addmm(float64 mat1)": lambda T, kw: T.addmm(_t(T, (2, 2), F32, kw), _t(T, (2, 3), F64, kw),
                                                 _t(T, (3, 2), F32, kw)),
    "tensordot": lambda T, kw: T.tensordot(_t(T, (2, 3), F32, kw), _t(T, (3, 2), F64, kw), 1),
    "einsum contracting": lambda T, kw: T.einsum("ij,jk->ik", _t(T, (2, 3), F32, kw), _t(T, (3, 2), F64, kw)),
    "F.linear": lambda T, kw: T.nn.functional.linear(_t(T, (2, 3), F64, kw), _t(T, (4, 3), F32, kw)),
    "F.linear(float64 bias)": lambda T, kw: T.nn.functional.linear(
        _t(T, (2, 3), F32, kw), _t(T, (4, 3), F32, kw), _t(T, (4,), F64, kw)),
    "nn.Linear(float64 input)": lambda T, kw: T.nn.Linear(3, 4, **kw)(_t(T, (5, 2, 3), F64, kw)),
    "nn.Linear(bias=False)": lambda T, kw: T.nn.Linear(3, 4, bias=False, **kw)(_t(T, (3,), F64, kw)),
    "F.conv1d": lambda T, kw: T.nn.functional.conv1d(_t(T, (1, 2, 5), F64, kw), _t(T, (3, 2, 3), F32, kw)),
    "F.conv2d(float64 weight)": lambda T, kw: T.nn.functional.conv2d(_t(T, (1, 2, 5, 5), F32, kw),
                                                                     _t(T, (3, 2, 3, 3), F64, kw)),
    "F.conv2d(float64 bias)": lambda T, kw: T.nn.functional.conv2d(
        _t(T, (1, 2, 5, 5), F32, kw), _t(T, (3, 2, 3, 3), F32, kw), _t(T, (3,), F64, kw)),
    "F.conv3d": lambda T, kw: T.nn.functional.conv3d(_t(T, (1, 2, 4, 4, 4), F64, kw),
                                                     _t(T, (3, 2, 3, 3, 3), F32, kw)),
    "nn.Conv2d(float64 input)": lambda T, kw: T.nn.Conv2d(2, 3, 3, **kw)(_t(T, (1, 2, 5, 5), F64, kw)),
    "nn.Conv2d unbatched": lambda T, kw: T.nn.Conv2d(2, 3, 3, bias=False, **kw)(_t(T, (2, 5, 5), F64, kw)),
    "nn.ConvTranspose2d": lambda T, kw: T.nn.ConvTranspose2d(2, 3, 3, **kw)(_t(T, (1, 2, 5, 5), F64, kw)),
    "F.conv_transpose1d": lambda T, kw: T.nn.functional.conv_transpose1d(_t(T, (1, 2, 5), F64, kw),
                                                                         _t(T, (2, 3, 3), F32, kw)),
    "F.conv_transpose3d": lambda T, kw: T.nn.functional.conv_transpose3d(_t(T, (1, 2, 3, 3, 3), F32, kw),
                                                                         _t(T, (2, 3, 2, 2, 2), F64, kw)),
    "nn.MultiheadAttention": lambda T, kw: T.nn.MultiheadAttention(3, 1, **kw)(
        *[_t(T, (1, 2, 3), F64, kw)] * 3),
    "F.layer_norm(float64 input)": lambda T, kw: T.nn.functional.layer_norm(
        _t(T, (2, 3), F64, kw), (3,), _t(T, (3,), F32, kw), _t(T, (3,), F32, kw)),
    "F.layer_norm(float64 weight)": lambda T, kw: T.nn.functional.layer_norm(
        _t(T, (2, 3), F32, kw), (3,), _t(T, (3,), F64, kw)),
    "nn.BatchNorm1d(float64 input)": lambda T, kw: T.nn.BatchNorm1d(3, **kw)(_t(T, (2, 3), F64, kw)),
    "F.batch_norm(bfloat16 stats)": lambda T, kw: T.nn.functional.batch_norm(
        _t(T, (2, 3), F32, kw), _t(T, (3,), "bfloat16", kw), _t(T, (3,), "bfloat16", kw)),
    "F.bilinear": lambda T, kw: T.nn.functional.bilinear(_t(T, (2, 3), F32, kw), _t(T, (2, 3), F64, kw),
                                                         _t(T, (4, 3, 3), F32, kw)),
    "nn.Bilinear(float64 inputs)": lambda T, kw: T.nn.Bilinear(3, 3, 4, **kw)(*[_t(T, (2, 3), F64, kw)] * 2),
    "nn.GroupNorm(float64 input)": lambda T, kw: T.nn.GroupNorm(1, 3, **kw)(_t(T, (2, 3, 2), F64, kw)),
}
PROMOTING = {  # these promote (or keep one dtype) in torch, and here
    "add": lambda T, kw: _t(T, (2, 3), F32, kw) + _t(T, (2, 3), F64, kw) * 2,
    "outer": lambda T, kw: T.outer(_t(T, (2,), F32, kw), _t(T, (3,), F64, kw)),
    "einsum that only multiplies": lambda T, kw: T.einsum("i,i->i", _t(T, (3,), F32, kw),
                                                          _t(T, (3,), F64, kw)),
    "float32 @ float32": lambda T, kw: _t(T, (2, 3), F32, kw) @ T.tensor([1.0, 2.0, 3.0], **kw),
    "conv_transpose2d(float64 bias)": lambda T, kw: T.nn.functional.conv_transpose2d(
        _t(T, (1, 2, 3, 3), F32, kw), _t(T, (2, 3, 2, 2), F32, kw), _t(T, (3,), F64, kw) / 4),
}


HALF_NORMS = {  # a float16/bfloat16 input with float32 parameters: computed in float32, returned in its dtype
    "layer_norm": lambda T, x: T.nn.functional.layer_norm(x, (3,), T.ones(3, device=x.device) * 1.5,
                                                          T.zeros(3, device=x.device) + 0.1),
    "batch_norm": lambda T, x: T.nn.functional.batch_norm(
        x, T.zeros(3, device=x.device), T.ones(3, device=x.device), T.ones(3, device=x.device) * 1.5),
    "batch_norm(training)": lambda T, x: T.nn.BatchNorm1d(3).to(x.device)(x),
    "group_norm": lambda T, x: T.nn.functional.group_norm(x, 1, T.ones(3, device=x.device) * 1.5),
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", HALF_NORMS)
def test_half_inputs_with_float32_parameters_normalise_as_torch(name, dtype, device):
    data = [[0.0, 1.0, 2.5], [3.0, 4.0, 5.5], [-1.0, 0.5, 7.0]]
    ours = HALF_NORMS[name](lg, lg.tensor(data, device=device).to(getattr(lg, dtype)))
    theirs = HALF_NORMS[name](torch, torch.tensor(data).to(getattr(torch, dtype)))
    assert ours.dtype.name == dtype
    assert ours.float().tolist() == theirs.float().tolist()


def _error(T, call, kw):
    with pytest.raises(RuntimeError) as caught:
        call(T, kw)
    return str(caught.value)


@pytest.mark.parametrize("name", CASES)
def test_products_of_two_dtypes_raise_torchs_error(name, device):
    assert _error(lg, CASES[name], {"device": device}) == _error(torch, CASES[name], {})


@pytest.mark.parametrize("name", PROMOTING)
def test_elementwise_mixes_still_promote(name, device):
    ours, theirs = PROMOTING[name](lg, {"device": device}), PROMOTING[name](torch, {})
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()
