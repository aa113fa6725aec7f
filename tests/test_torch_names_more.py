"""More of torch's names, compared with torch: the numpy-style stacks and splits, atleast_*,
broadcasting helpers, finfo/iinfo/result_type, the *_copy functions (new storage, never an
alias), fill/rsub/scalar_tensor, the complex-number names on real tensors, and the questions a
program asks of a tensor (is_nonzero, nbytes, layout, data_ptr, is_inference, detach_ ...)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_torch_names import raised, same_class

import lazygrad as lg

torch = pytest.importorskip("torch")


def pair(a: np.ndarray, device: str):
    return lg.tensor(a, device=device), torch.tensor(a)


def same(ours, theirs) -> None:
    """Equal values, dtype and shape (tuples and lists of tensors element by element)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            same(o, t)
        return
    assert repr(ours.dtype).split(".")[-1] == repr(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
SHAPES = [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 1)]


# ---- stacks, atleast_*, flips, splits --------------------------------------------------------
@pytest.mark.parametrize("name", ["hstack", "vstack", "row_stack", "dstack", "column_stack"])
@pytest.mark.parametrize("shape", [(), (3,), (3, 1), (3, 2, 2)])
def test_the_stacks_join_as_torchs(device, name, shape):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    (x, tx), (y, ty) = pair(a, device), pair(a * 2, device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.row_stack's deprecation
        try:
            want = getattr(torch, name)([tx, ty])
        except RuntimeError:
            same_class(lambda: getattr(lg, name)([x, y]), lambda: getattr(torch, name)([tx, ty]))
            return
    same(getattr(lg, name)([x, y]), want)


def test_a_stack_takes_out_and_refuses_no_tensors(device):
    x, tx = pair(A[0], device)
    out, tout = lg.empty(0, device=device), torch.empty(0)
    assert lg.hstack((x, x), out=out) is out
    same(out, torch.hstack((tx, tx), out=tout))
    same_class(lambda: lg.vstack([]), lambda: torch.vstack([]))
    same_class(lambda: lg.hstack(x), lambda: torch.hstack(tx))


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", SHAPES)
def test_atleast_nd_views_as_torchs(device, n, shape):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    x, tx = pair(a, device)
    fn, tfn = getattr(lg, f"atleast_{n}d"), getattr(torch, f"atleast_{n}d")
    same(fn(x), tfn(tx))
    assert (fn(x) is x) == (tfn(tx) is tx)
    same(fn(x, x), tfn(tx, tx))
    same(fn([x, x]), tfn([tx, tx]))
    assert fn() == tfn() == ()


def test_broadcast_shapes_and_tensors_are_torchs(device):
    for shapes in [((2, 1), (3,)), (3, (2, 1)), (), ((0,), (1,)), ((5, 1, 4), (1, 3, 1), (4,))]:
        ours = lg.broadcast_shapes(*shapes) if isinstance(shapes, tuple) else lg.broadcast_shapes(shapes)
        assert tuple(ours) == tuple(torch.broadcast_shapes(*shapes)) and isinstance(ours, lg.Size)
    for bad in [((2, 3), (3, 2)), ((-1,), (2,))]:
        same_class(lambda bad=bad: lg.broadcast_shapes(*bad), lambda bad=bad: torch.broadcast_shapes(*bad))
    (x, tx), (y, ty) = pair(A[0, :, :1], device), pair(A[1, 0], device)
    same(lg.broadcast_tensors(x, y), torch.broadcast_tensors(tx, ty))
    assert lg.broadcast_tensors() == torch.broadcast_tensors() == ()
    same_class(lambda: lg.broadcast_tensors(x, lg.ones(2, 2, device=device)),
               lambda: torch.broadcast_tensors(tx, torch.ones(2, 2)))
    same_class(lambda: lg.broadcast_tensors([x, y]), lambda: torch.broadcast_tensors([tx, ty]))


@pytest.mark.parametrize("shape", SHAPES)
def test_fliplr_and_flipud_are_torchs(device, shape):
    a = np.arange(np.prod(shape), dtype=np.int32).reshape(shape)
    x, tx = pair(a, device)
    for name in ("fliplr", "flipud"):
        if raised(lambda name=name: getattr(torch, name)(tx)):
            same_class(lambda name=name: getattr(lg, name)(x), lambda name=name: getattr(torch, name)(tx))
            continue
        same(getattr(lg, name)(x), getattr(torch, name)(tx))
        same(getattr(x, name)(), getattr(tx, name)())


@pytest.mark.parametrize("name", ["hsplit", "vsplit", "dsplit"])
@pytest.mark.parametrize("shape", [(), (4,), (4, 6), (2, 4, 6)])
@pytest.mark.parametrize("sections", [2, 3, [1, 3], (0, 5)])
def test_the_numpy_splits_are_torchs(device, name, shape, sections):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    x, tx = pair(a, device)
    if raised(lambda: getattr(torch, name)(tx, sections)):
        same_class(lambda: getattr(lg, name)(x, sections), lambda: getattr(torch, name)(tx, sections))
        return
    same(getattr(lg, name)(x, sections), getattr(torch, name)(tx, sections))
    same(getattr(x, name)(sections), getattr(tx, name)(sections))


@pytest.mark.parametrize("indices", [[1, 3], (3, 1), [-1], (0, 5), [], [2, 2]])
def test_tensor_split_at_indices_is_torchs(device, indices):
    x, tx = pair(A, device)
    same(lg.tensor_split(x, indices, dim=2), torch.tensor_split(tx, indices, dim=2))
    same(x.tensor_split(lg.tensor(indices, dtype=lg.int64), 1), tx.tensor_split(torch.tensor(indices,
                                                                                              dtype=torch.int64), 1))


def test_split_with_sizes_views_as_torchs(device):
    x, tx = pair(A, device)
    same(lg.split_with_sizes(x, [1, 2], dim=1), torch.split_with_sizes(tx, [1, 2], dim=1))
    same(x.split_with_sizes([3, 0, 1], -1), tx.split_with_sizes([3, 0, 1], -1))
    for sizes in ([1, 2], [3, -1]):
        same_class(lambda sizes=sizes: x.split_with_sizes(sizes), lambda sizes=sizes: tx.split_with_sizes(sizes))
    parts = x.realize().split_with_sizes([1, 1])
    parts[0].add_(100)
    assert x.numpy()[0, 0, 0] == 100  # views, as torch's


@pytest.mark.parametrize("shape", [(2, 3), (4,), 6, (3, 1, 2), ()])
def test_unravel_index_is_torchs(device, shape):
    idx = np.array([[0, 4], [5, -1]], dtype=np.int64)
    x, tx = pair(idx, device)
    same(lg.unravel_index(x, shape), torch.unravel_index(tx, shape))
    same(lg.unravel_index(x.int(), shape), torch.unravel_index(tx.int(), shape))
    same(lg.unravel_index(x[0, 1], shape), torch.unravel_index(tx[0, 1], shape))


def test_unravel_index_raises_torchs_errors(device):
    x = lg.tensor([1], device=device)
    for args in [(x.float(), (2, 3)), (x.bool(), (2, 3)), (x, (2, -1)), (x, (2, 0)), (x, "ab")]:
        targs = (torch.tensor(args[0].numpy()), args[1])
        same_class(lambda args=args: lg.unravel_index(*args), lambda targs=targs: torch.unravel_index(*targs))


# ---- finfo, iinfo, result_type, is_signed, typename ------------------------------------------
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_is_torchs(name):
    ours, theirs = lg.finfo(getattr(lg, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)
    assert ours == lg.finfo(getattr(lg, name))


@pytest.mark.parametrize("name", INTS)
def test_iinfo_is_torchs(name):
    ours, theirs = lg.iinfo(getattr(lg, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
    assert repr(ours) == repr(theirs)


def test_finfo_defaults_to_the_default_dtype_and_the_wrong_kind_raises_type_error():
    assert lg.finfo().dtype == torch.finfo().dtype == "float32"
    lg.set_default_dtype(lg.float64)
    try:
        assert lg.finfo().dtype == "float64"
    finally:
        lg.set_default_dtype(lg.float32)
    for ours, theirs in [(lambda: lg.finfo(lg.int32), lambda: torch.finfo(torch.int32)),
                         (lambda: lg.finfo(lg.bool), lambda: torch.finfo(torch.bool)),
                         (lambda: lg.iinfo(lg.float32), lambda: torch.iinfo(torch.float32)),
                         (lambda: lg.iinfo(lg.bool), lambda: torch.iinfo(torch.bool)),
                         (lambda: lg.finfo("float32"), lambda: torch.finfo("float32"))]:
        same_class(ours, theirs)


RESULT_TYPE_CASES = [((2,), "int32", 2.5), ((2,), "float16", (), "float64"), ((), "int32", (2,), "uint8"),
                     ((2,), "bool", True), ((2,), "uint8", -3), ((), "int8", 1.0), ((2,), "int64", (2,), "float16")]


@pytest.mark.parametrize("case", RESULT_TYPE_CASES, ids=str)
def test_result_type_is_torchs(device, case):
    def make(lib, shape, name):
        return lib.ones(shape, dtype=getattr(lib, name)) if lib is torch else lg.ones(shape, dtype=getattr(lg, name),
                                                                                      device=device)
    ours = [make(lg, case[0], case[1]), *(case[2:] if len(case) == 3 else [make(lg, case[2], case[3])])]
    theirs = [make(torch, case[0], case[1]), *(case[2:] if len(case) == 3 else [make(torch, case[2], case[3])])]
    assert repr(lg.result_type(*ours)).split(".")[-1] == repr(torch.result_type(*theirs)).split(".")[-1]
    assert repr(lg.result_type(*ours[::-1])).split(".")[-1] == repr(torch.result_type(*theirs[::-1])).split(".")[-1]


def test_result_type_of_two_numbers_is_torchs():
    for a, b in [(2, 3.0), (True, 2), (True, False), (1.5, 2.5)]:
        assert repr(lg.result_type(a, b)).split(".")[-1] == repr(torch.result_type(a, b)).split(".")[-1]


@pytest.mark.parametrize("name", [*FLOATS, "uint8", "int8", "int32", "int64", "bool"])
def test_is_signed_is_torchs(device, name):
    x, tx = lg.zeros(1, dtype=getattr(lg, name), device=device), torch.zeros(1, dtype=getattr(torch, name))
    assert lg.is_signed(x) == torch.is_signed(tx) == x.is_signed() == tx.is_signed()


def test_typename_is_torchs_with_lazygrads_module_names():
    assert lg.typename(lg.ones(2)) == "lazygrad.FloatTensor" and torch.typename(torch.ones(2)) == "torch.FloatTensor"
    assert lg.typename(lg.ones(2, dtype=lg.int64)) == "lazygrad.LongTensor"
    assert lg.typename(1) == torch.typename(1) == "int"
    assert lg.typename(lg.nn.Linear) == "lazygrad.nn." + lg.nn.Linear.__module__.split("lazygrad.nn.")[1] + ".Linear"
    assert lg.typename(np.float32(1)) == torch.typename(np.float32(1))


# ---- *_copy: the view op's result in new storage ---------------------------------------------
COPIES = [("view_copy", ([4, 6],)), ("view_copy", ([-1],)), ("permute_copy", ((2, 0, 1),)),
          ("expand_copy", ((3, 2, 3, 4),)), ("transpose_copy", (0, 2)), ("squeeze_copy", ()),
          ("unsqueeze_copy", (1,)), ("select_copy", (1, -1)), ("slice_copy", (2, 1, None, 2)),
          ("slice_copy", (1, -10, 10)), ("diagonal_copy", (1, 1, 2)), ("detach_copy", ()), ("alias_copy", ()),
          ("unfold_copy", (2, 2, 1)), ("narrow_copy", (2, 1, 2))]


@pytest.mark.parametrize("name,args", COPIES, ids=[f"{n}{a}" for n, a in COPIES])
def test_a_view_copy_is_the_views_values_in_new_storage(device, name, args):
    x, tx = pair(A, device)
    x.realize()
    ours, theirs = getattr(lg, name)(x, *args), getattr(torch, name)(tx, *args)
    same(ours, theirs)
    assert ours.stride() == theirs.stride() and ours.is_contiguous()
    before = A.copy()
    ours.add_(1)
    np.testing.assert_array_equal(x.numpy(), before)  # never an alias
    out, tout = lg.empty(0, device=device), torch.empty(0)
    assert getattr(lg, name)(x, *args, out=out) is out
    same(out, getattr(torch, name)(tx, *args, out=tout))


def test_the_matrix_copies_take_torchs_arguments(device):
    (m, tm), (v, tv) = pair(A[0], device), pair(A[0, 0], device)
    same(lg.t_copy(m), torch.t_copy(tm))
    same(lg.t_copy(v), torch.t_copy(tv))
    same(lg.view_copy(m, lg.int32), torch.view_copy(tm, torch.int32))
    same(lg.squeeze_copy(m.reshape(1, 3, 1, 4), (0, 2)), torch.squeeze_copy(tm.reshape(1, 3, 1, 4), (0, 2)))
    same(lg.view_copy(m.T, [12]), torch.view_copy(tm.T, [12]))  # no view gives it: a reshape, as torch's
    same(m.narrow_copy(1, 1, 2), tm.narrow_copy(1, 1, 2))
    same_class(lambda: lg.slice_copy(m, 1, 0, None, 0), lambda: torch.slice_copy(tm, 1, 0, None, 0))
    same_class(lambda: lg.select_copy(m, 0, 5), lambda: torch.select_copy(tm, 0, 5))


@pytest.mark.parametrize("name,args", [("unbind_copy", (1,)), ("split_copy", (2, 2)),
                                       ("split_with_sizes_copy", ([1, 3], 2))])
def test_the_list_copies_are_torchs_and_fill_an_out_list(device, name, args):
    x, tx = pair(A, device)
    ours, theirs = getattr(lg, name)(x, *args), getattr(torch, name)(tx, *args)
    same(ours, theirs)
    outs = [lg.empty(0 if name != "split_copy" else t.shape, device=device) for t in ours]
    touts = [torch.empty(0 if name != "split_copy" else t.shape) for t in theirs]
    assert getattr(lg, name)(x, *args, out=outs) is None and getattr(torch, name)(tx, *args, out=touts) is None
    same(tuple(outs), touts)
    same_class(lambda: getattr(lg, name)(x, *args, out=outs[:1]), lambda: getattr(torch, name)(tx, *args, out=touts[:1]))
    if name == "split_copy":  # torch's split_copy copies into out as it is (no resizing an empty one)
        same_class(lambda: lg.split_copy(x, *args, out=[lg.empty(0, device=device) for _ in ours]),
                   lambda: torch.split_copy(tx, *args, out=[torch.empty(0) for _ in theirs]))
    wrong = [lg.empty(0, dtype=lg.int64, device=device) for _ in ours]
    twrong = [torch.empty(0, dtype=torch.int64) for _ in theirs]
    same_class(lambda: getattr(lg, name)(x, *args, out=wrong), lambda: getattr(torch, name)(tx, *args, out=twrong))


def test_a_copy_carries_the_gradient_of_its_view(device):
    x = lg.tensor(A, device=device, requires_grad=True)
    tx = torch.tensor(A, requires_grad=True)
    (lg.permute_copy(x, (2, 0, 1)) * lg.tensor(np.arange(24.0, dtype=np.float32).reshape(4, 2, 3),
                                               device=device)).sum().backward()
    (torch.permute_copy(tx, (2, 0, 1)) * torch.arange(24.0).reshape(4, 2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert not lg.detach_copy(x).requires_grad and lg.alias_copy(x).requires_grad


# ---- fill, rsub, scalar_tensor ---------------------------------------------------------------
def test_scalar_tensor_is_torchs(device):
    for value, dtype in [(3, None), (True, None), (2.5, None), (3, "int64"), (7, "uint8")]:
        ours = lg.scalar_tensor(value, dtype=None if dtype is None else getattr(lg, dtype), device=device)
        same(ours, torch.scalar_tensor(value, dtype=None if dtype is None else getattr(torch, dtype)))
        assert ours.device == device


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_fill_is_out_of_place_and_torchs(device, dtype):
    x = lg.tensor(A[0], device=device).to(getattr(lg, dtype)).realize()
    tx = torch.tensor(A[0]).to(getattr(torch, dtype))
    for value in (2, 0.0, True):
        same(lg.fill(x, value), torch.fill(tx, value))
    same(lg.fill(x, lg.tensor(3.7, device=device)), torch.fill(tx, torch.tensor(3.7)))
    same(x, tx)  # untouched
    same_class(lambda: lg.fill(x, lg.ones(1, device=device)), lambda: torch.fill(tx, torch.ones(1)))
    same(lg.fill_(x, 5), torch.fill_(tx, 5))
    same(x, tx)
    same(lg.zero_(x), torch.zero_(tx))


def test_fill_passes_the_value_tensors_gradient_and_none_to_input(device):
    x, tx = lg.ones(2, 3, device=device, requires_grad=True), torch.ones(2, 3, requires_grad=True)
    v, tv = lg.tensor(2.0, device=device, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    (lg.fill(x, v) * 3).sum().backward()
    (torch.fill(tx, tv) * 3).sum().backward()
    assert v.grad.item() == tv.grad.item() == 18.0
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


RSUB_CASES = [("float32", 2.5, 1), ("int32", 3, 2), ("int64", 2.5, 1), ("float16", 2, 0.5), ("int32", 3, 2.5),
              ("bool", True, 1), ("uint8", 2, 1)]


@pytest.mark.parametrize("dtype,other,alpha", RSUB_CASES)
def test_rsub_is_torchs(device, dtype, other, alpha):
    x = lg.tensor([[1, 2, 3], [4, 0, 1]], device=device).to(getattr(lg, dtype))
    tx = torch.tensor([[1, 2, 3], [4, 0, 1]]).to(getattr(torch, dtype))
    if raised(lambda: torch.rsub(tx, other, alpha=alpha)):
        same_class(lambda: lg.rsub(x, other, alpha=alpha), lambda: torch.rsub(tx, other, alpha=alpha))
        return
    same(lg.rsub(x, other, alpha=alpha), torch.rsub(tx, other, alpha=alpha))
    y, ty = lg.tensor([10.0, 20.0, 30.0], device=device), torch.tensor([10.0, 20.0, 30.0])
    if not raised(lambda: torch.rsub(tx, ty, alpha=alpha)):
        same(lg.rsub(x, y, alpha=alpha), torch.rsub(tx, ty, alpha=alpha))


# ---- complex names on real tensors -----------------------------------------------------------
def test_conj_and_its_kin_return_the_tensor_itself(device):
    x = lg.tensor(A, device=device)
    for name in ("conj", "resolve_conj", "resolve_neg", "conj_physical"):
        assert getattr(x, name)() is x and getattr(lg, name)(x) is x
    assert x.real is x and lg.real(x) is x
    assert x.is_conj() is False and lg.is_neg(x) is False and x.is_neg() is False
    same_class(lambda: x.imag, lambda: torch.tensor(A).imag)
    same_class(lambda: lg.imag(x), lambda: torch.imag(torch.tensor(A)))
    same(lg.isreal(x), torch.isreal(torch.tensor(A)))
    same(lg.tensor(3, device=device).isreal(), torch.tensor(3).isreal())


@pytest.mark.parametrize("shape", SHAPES)
def test_h_mh_and_adjoint_transpose_as_torchs(device, shape):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    x, tx = pair(a, device)
    for ours, theirs in [(lambda: x.H, lambda: tx.H), (lambda: x.mH, lambda: tx.mH),
                         (lambda: x.adjoint(), lambda: tx.adjoint()), (lambda: lg.adjoint(x), lambda: torch.adjoint(tx))]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 0-d: torch's deprecation warning (once a process, as ours)
            if raised(theirs):
                same_class(ours, theirs)
                continue
            same(ours(), theirs())


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"])
def test_angle_is_torchs(device, dtype):
    values = [-2.0, -0.0, 0.0, 3.0, float("nan"), float("inf"), -float("inf")]
    x = lg.tensor(values if dtype.startswith("float") else [-2, 0, 3, 1], device=device).to(getattr(lg, dtype))
    tx = torch.tensor(x.numpy())
    same(lg.angle(x), torch.angle(tx))
    same(x.angle(), tx.angle())
    out, tout = lg.empty(0, dtype=lg.angle(x).dtype, device=device), torch.empty(0, dtype=torch.angle(tx).dtype)
    same(lg.angle(x, out=out), torch.angle(tx, out=tout))


def test_angle_has_a_zero_gradient(device):
    x = lg.tensor([-1.0, 2.0, float("nan")], device=device, requires_grad=True)
    tx = torch.tensor([-1.0, 2.0, float("nan")], requires_grad=True)
    lg.angle(x).sum().backward()
    torch.angle(tx).sum().backward()
    assert lg.angle(x).requires_grad
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


# ---- what a program asks of a tensor ---------------------------------------------------------
def test_is_nonzero_and_is_same_size_are_torchs(device):
    for a in ([0.0], [[2]], float("nan"), [True], 0):
        x, tx = lg.tensor(a, device=device), torch.tensor(a)
        assert lg.is_nonzero(x) == torch.is_nonzero(tx) == x.is_nonzero()
    for a in ([1, 2], []):
        same_class(lambda a=a: lg.is_nonzero(lg.tensor(a, device=device)), lambda a=a: torch.is_nonzero(torch.tensor(a)))
    x, tx = pair(A[0], device)
    assert lg.is_same_size(x, x.T) == torch.is_same_size(tx, tx.T) and x.is_same_size(x + 1)


def test_sizes_flags_and_layout_are_torchs(device):
    x, tx = pair(A, device)
    for name in ("ndimension",):
        assert getattr(x, name)() == getattr(tx, name)()
    assert (x.nbytes, x.itemsize) == (tx.nbytes, tx.itemsize)
    assert (x.half().nbytes, x.long().itemsize) == (tx.half().nbytes, tx.long().itemsize)
    for name in ("is_meta", "is_sparse", "is_quantized", "is_mkldnn", "is_nested", "is_xpu", "is_mps", "is_ipu",
                 "is_xla", "is_vulkan", "is_maia", "is_mtia", "is_sparse_csr"):
        assert getattr(x, name) is False and getattr(tx, name) is False, name
    assert x.is_pinned() is False and x.is_shared() is False
    assert x.share_memory_() is x
    same_class(x.pin_memory, tx.pin_memory)  # torch without an accelerator, as lazygrad
    assert x.layout is lg.strided and repr(lg.strided) == "lazygrad.strided"
    assert lg.get_device(x) == x.get_device() == (-1 if x.is_cpu else 0)


def test_data_ptr_is_equal_exactly_for_the_same_storage_and_offset(device):
    x = lg.tensor(A, device=device)
    y = x.clone()
    ptrs = {x.data_ptr(), y.data_ptr(), x[1].data_ptr(), x[0, 1].data_ptr()}
    assert len(ptrs) == 4
    assert x[0].data_ptr() == x.data_ptr() == x.permute(2, 0, 1).data_ptr() == x.detach().data_ptr()
    assert x[1].data_ptr() - x.data_ptr() == 12 * 4 and x[0, 1].data_ptr() - x.data_ptr() == 4 * 4
    lazy = lg.ones(3, 4, device=device) * 2
    row = lazy[1]
    assert row.data_ptr() - lazy.data_ptr() == 4 * 4  # a lazy view group shares its base's storage
    before = x.data_ptr()
    x.add_(1)
    assert x.data_ptr() == before  # an in-place write keeps the storage
    assert lg.ones(0, device=device).data_ptr() == 0 == torch.ones(0).data_ptr()


def test_is_inference_is_torchs(device):
    x, tx = lg.ones(2, 3, device=device), torch.ones(2, 3)
    with lg.inference_mode():
        ours = [lg.ones(2, device=device), x[0], x + 1, x.detach()]
    with torch.inference_mode():
        theirs = [torch.ones(2), tx[0], tx + 1, tx.detach()]
    ours += [ours[0] + 1, ours[0][0]]
    theirs += [theirs[0] + 1, theirs[0][0]]
    assert [t.is_inference() for t in ours] == [t.is_inference() for t in theirs] == [True, False, True, False,
                                                                                     False, True]
    assert lg.is_inference(ours[0]) and not lg.is_inference(x)


def test_detach_in_place_is_torchs(device):
    y, ty = lg.ones(2, device=device, requires_grad=True), torch.ones(2, requires_grad=True)
    z, tz = y * 2, ty * 2
    assert z.detach_() is z and tz.detach_() is tz
    assert (z.requires_grad, z.grad_fn, z.is_leaf) == (tz.requires_grad, tz.grad_fn, tz.is_leaf) == (False, None, True)
    np.testing.assert_array_equal(z.numpy(), tz.numpy())
    same_class(lambda: y[0:1].detach_(), lambda: ty[0:1].detach_())
    same_class(lambda: lg.ones(3, device=device)[1:].detach_(), lambda: torch.ones(3)[1:].detach_())
    d, td = lg.ones(3, device=device).detach(), torch.ones(3).detach()
    assert d.detach_() is d and td.detach_() is td
