"""torch names a program reaches for around its model, compared with torch: the sym_* scalar
helpers, lg.cond and lg.while_loop run eagerly, lg.fork/lg.wait, lg.from_file, DLPack in and out,
the build questions, and the tensor methods to_dense, resize_as, is_set_to, storage_type and
xpu/ipu/mtia."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from device_dtypes import require_dtype

import lazygrad as lg

torch = pytest.importorskip("torch")


def outcome(fn):
    """(value, type) or the class of the exception fn raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = fn()
    except Exception as e:  # noqa: BLE001  (the class is the result)
        return type(e)
    return value, type(value)


def same_outcome(ours, theirs) -> None:
    got, want = outcome(ours), outcome(theirs)
    if isinstance(want, type):
        assert isinstance(got, type) and issubclass(got, want), (got, want)
    elif isinstance(want[0], float) and math.isnan(want[0]):
        assert math.isnan(got[0]) and got[1] is want[1]
    else:
        assert got == want, (got, want)


def lg_t(value, device):
    return lg.tensor(value, device=device)


# ---- sym_* on Python numbers ------------------------------------------------------------------

SYM_CASES = [
    ("sym_int", (3.7,)), ("sym_int", (-3.7,)), ("sym_int", (True,)), ("sym_int", ("3",)), ("sym_int", (math.inf,)),
    ("sym_int", (math.nan,)), ("sym_int", (np.float32(2.5),)),
    ("sym_float", (3,)), ("sym_float", (True,)), ("sym_float", ("x",)),
    ("sym_max", (1, 2.0)), ("sym_max", (2, 1.0)), ("sym_max", (True, 0)), ("sym_max", (1, 1.0)),
    ("sym_max", (math.nan, 1)), ("sym_max", (1, math.nan)), ("sym_max", (np.int64(1), 2)),
    ("sym_max", (np.float32(1), 2)), ("sym_max", (None, 1)), ("sym_max", ("a", 1)),
    ("sym_min", (1, 2.0)), ("sym_min", (3, 2.0)), ("sym_min", (math.nan, 1)), ("sym_min", (2, 3)),
    ("sym_not", (True,)), ("sym_not", (0,)), ("sym_not", (2.5,)),
    ("sym_sqrt", (4,)), ("sym_sqrt", (2.0,)), ("sym_sqrt", (-1,)), ("sym_sqrt", (True,)), ("sym_sqrt", ("4",)),
    ("sym_sum", ([1, 2, 3],)), ("sym_sum", ([1, 2.5],)), ("sym_sum", ([],)), ("sym_sum", ((True, True),)),
    ("sym_sum", (1, 2, 3)), ("sym_sum", (1,)), ("sym_sum", (iter([1, 2]),)),
    ("sym_ite", (True, 1, 2)), ("sym_ite", (False, 1, 2)), ("sym_ite", (False, 1, 2.0)), ("sym_ite", (1, 1, 2)),
]


@pytest.mark.parametrize(("name", "args"), SYM_CASES)
def test_sym_helpers_give_torchs_value_type_and_error(name, args):
    same_outcome(lambda: getattr(lg, name)(*args), lambda: getattr(torch, name)(*args))


TENSOR_SYM_CASES = [("sym_int", ([3.7],)), ("sym_int", (3.7,)), ("sym_float", (3,)), ("sym_not", (True,)),
                    ("sym_not", ([1, 0],)), ("sym_sqrt", (4.0,)), ("sym_sqrt", ([4.0],)), ("sym_max", (3, "n")),
                    ("sym_min", ([3.0], "n")), ("sym_ite", (True, "t")), ("sym_ite", ("t",))]


@pytest.mark.parametrize(("name", "args"), TENSOR_SYM_CASES)
def test_sym_helpers_take_tensors_where_torch_does(name, args, device):
    """A one-element tensor gives its value to sym_int/sym_float/sym_not/sym_sqrt; sym_max/min
    and sym_ite's condition refuse tensors (AssertionError), as torch's. "n" is a number, "t"
    a tensor of the first value."""
    def build(make):
        first = make(args[0])
        rest = [2 if a == "n" else first if a == "t" else a for a in args[1:]]
        return (first, *rest) if not (name == "sym_ite" and args[0] == "t") else (first, 1, 2)
    same_outcome(lambda: getattr(lg, name)(*build(lambda v: lg_t(v, device))),
                 lambda: getattr(torch, name)(*build(torch.tensor)))


def test_sym_sum_adds_tensors_as_torchs(device):
    ours = lg.sym_sum([lg_t(1.0, device), 2])
    assert isinstance(ours, lg.Tensor) and ours.item() == torch.sym_sum([torch.tensor(1.0), 2]).item()


# ---- cond -------------------------------------------------------------------------------------

def plus(a):
    return a + 1


def minus(a):
    return a - 1


COND_CASES = {  # name: (pred, true_fn, false_fn, operands); "x" is the tensor [1., 2.]
    "python_true": (True, plus, minus, ("x",)),
    "int_pred": (1, plus, minus, ("x",)),
    "float_pred": (2.5, plus, minus, ("x",)),
    "python_pred_skips_checks": (True, plus, lambda a: a.sum(), ("x",)),
    "tensor_false": ("F", plus, minus, ("x",)),
    "one_element_float": ([0.0], plus, minus, ("x",)),
    "one_element_2d": ([[2]], plus, minus, ("x",)),
    "two_element_pred": ([True, False], plus, minus, ("x",)),
    "string_pred": ("a", plus, minus, ("x",)),
    "numpy_bool_pred": (np.bool_(True), plus, minus, ("x",)),
    "branch_not_callable": ("T", 1, minus, ("x",)),
    "operand_not_tensor": ("T", lambda a, b: a + b, lambda a, b: a - b, ("x", 3)),
    "operands_a_tensor": ("T", plus, minus, "x"),
    "no_operands": ("T", lambda: 5, lambda: 6, ()),
    "shapes_differ": ("T", plus, lambda a: a.sum(), ("x",)),
    "dtypes_differ": ("T", plus, lambda a: a.int(), ("x",)),
    "structures_differ": ("T", lambda a: (a + 1, a * 2), plus, ("x",)),
    "returns_operand": ("T", lambda a: a, lambda a: a, ("x",)),
    "returns_none": ("T", lambda a: None, lambda a: None, ("x",)),
    "returns_ints": ("T", lambda a: 1, lambda a: 2, ("x",)),
    "dict_operand": ("T", lambda d: d["k"] + 1, lambda d: d["k"] - 1, ({"k": "x"},)),
    "list_operands": (True, plus, minus, ["x"]),
}


def _cond_args(case, tensor):
    pred, t, f, operands = case
    x = tensor([1.0, 2.0])
    pred = {"T": tensor(True), "F": tensor(False)}.get(pred, pred) if isinstance(pred, str) and pred in "TF" else \
        tensor(pred) if isinstance(pred, list) else pred

    def fill(o):
        return x if o == "x" else {k: fill(v) for k, v in o.items()} if isinstance(o, dict) else o
    operands = x if operands == "x" else type(operands)(fill(o) for o in operands)
    return pred, t, f, operands


def _plain(v):
    if isinstance(v, (lg.Tensor, torch.Tensor)):
        return v.tolist()
    if isinstance(v, (tuple, list)):
        return type(v)(_plain(x) for x in v)
    return v


@pytest.mark.parametrize("name", list(COND_CASES))
def test_cond_runs_the_branch_pred_picks_with_torchs_checks(name, device):
    case = COND_CASES[name]
    got = outcome(lambda: _plain(lg.cond(*_cond_args(case, lambda v: lg_t(v, device)))))
    want = outcome(lambda: _plain(torch.cond(*_cond_args(case, torch.tensor))))
    if isinstance(want, type):  # torch's dynamo errors are RuntimeErrors
        assert isinstance(got, type) and issubclass(got, RuntimeError if issubclass(want, RuntimeError) else want)
    else:
        assert got == want


def test_cond_differentiates_through_the_branch_taken(device):
    x = lg_t([1.0, 2.0], device).requires_grad_()
    lg.cond(lg_t(True, device), lambda a: (a * a).sum(), lambda a: a.sum(), (x,)).backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_cond_leaves_operands_alone_in_the_branch_not_taken(device):
    x = lg_t([1.0, 2.0], device)
    out = lg.cond(lg_t(True, device), lambda a: a + 1, lambda a: a.add_(10) * 1, (x,))
    assert out.tolist() == [2.0, 3.0] and x.tolist() == [1.0, 2.0]


# ---- while_loop -------------------------------------------------------------------------------

WHILE_CASES = {  # name: (cond_fn, body_fn, carried); "i" is tensor(0), "x" the tensor [1., 2.]
    "counts": (lambda i, x: i < 3, lambda i, x: (i + 1, x * 2), ("i", "x")),
    "zero_iterations": (lambda i, x: i < 0, lambda i, x: (i + 1, x * 2), ("i", "x")),
    "list_inputs": (lambda i, x: i < 0, lambda i, x: (i + 1, x * 2), ["i", "x"]),
    "list_body": (lambda i, x: i < 3, lambda i, x: [i + 1, x * 2], ("i", "x")),
    "list_body_zero_iterations": (lambda i: i < 0, lambda i: [i + 1], ("i",)),
    "bare_tensor_body": (lambda i: i < 3, lambda i: i + 1, ("i",)),
    "int_carried": (lambda i, x: i < 3, lambda i, x: (i + 1, x * 2), (0, "x")),
    "dict_carried": (lambda d: d["i"] < 3, lambda d: ({"i": d["i"] + 1},), ({"i": "i"},)),
    "too_few_outputs": (lambda i, x: i < 3, lambda i, x: (i + 1,), ("i", "x")),
    "shape_changes": (lambda i, x: i < 3, lambda i, x: (i + 1, x.sum()), ("i", "x")),
    "dtype_changes": (lambda i, x: i < 3, lambda i, x: (i + 1, x.int()), ("i", "x")),
    "float_cond": (lambda i, x: (i < 3).float(), lambda i, x: (i + 1, x * 2), ("i", "x")),
    "vector_cond": (lambda i, x: x < 3, lambda i, x: (i + 1, x * 2), ("i", "x")),
    "float_carried": (lambda i, x: i < 3, lambda i, x: (i + 1, x * 2), (0.5, "x")),
    "cond_not_callable": (1, lambda i, x: (i + 1, x * 2), ("i", "x")),
    "returns_input": (lambda i, x: i < 3, lambda i, x: (i, x), ("i", "x")),
}


def _while_args(case, tensor):
    cond_fn, body_fn, carried = case
    values = {"i": lambda: tensor(0), "x": lambda: tensor([1.0, 2.0])}

    def fill(o):
        return values[o]() if isinstance(o, str) else {k: fill(v) for k, v in o.items()} if isinstance(o, dict) else o
    return cond_fn, body_fn, type(carried)(fill(o) for o in carried)


def _plain_tree(v):
    if isinstance(v, dict):
        return {k: _plain_tree(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return type(v)(_plain_tree(x) for x in v)
    return _plain(v)


@pytest.mark.parametrize("name", list(WHILE_CASES))
def test_while_loop_runs_body_while_cond_holds_with_torchs_checks(name, device):
    case = WHILE_CASES[name]
    got = outcome(lambda: _plain_tree(lg.while_loop(*_while_args(case, lambda v: lg_t(v, device)))))
    want = outcome(lambda: _plain_tree(torch.while_loop(*_while_args(case, torch.tensor))))
    if isinstance(want, type):
        assert isinstance(got, type) and issubclass(got, RuntimeError if issubclass(want, RuntimeError) else want)
    else:
        assert got == want


def test_while_loop_returns_copies_and_differentiates(device):
    x = lg_t([1.0, 2.0], device).requires_grad_()
    i, y = lg.while_loop(lambda i, x: i < 2, lambda i, x: (i + 1, x * 3), (lg_t(0, device), x))
    y.sum().backward()
    assert x.grad.tolist() == [9.0, 9.0] and int(i) == 2
    zero = lg.while_loop(lambda a: a.sum() < 0, lambda a: (a + 1,), (x,))
    assert zero[0] is not x and zero[0].tolist() == x.tolist()


# ---- fork / wait ------------------------------------------------------------------------------

def test_fork_runs_at_once_and_wait_gives_the_value():
    for mod in (lg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch.fork, unlike torch.jit.fork, does not warn
            f = mod.fork(lambda a, b=1: a + b, 3, b=5)
            assert (f.done(), f.wait(), f.value(), mod.wait(f)) == (True, 8, 8, 8)
    same_outcome(lambda: lg.fork(lambda: 1 / 0), lambda: torch.fork(lambda: 1 / 0))
    same_outcome(lambda: lg.wait(3), lambda: torch.wait(3))


def test_build_questions_answer_as_torch():
    assert lg.compiled_with_cxx11_abi() == torch.compiled_with_cxx11_abi()
    assert lg.is_vulkan_available() == torch.is_vulkan_available()


# ---- from_file --------------------------------------------------------------------------------

FILE_CASES = [((False, 3), {"dtype": "int32"}), ((False, 12), {"dtype": "uint8"}), ((False, 3), {}),
              ((False, 12), {}), ((False, 4), {"dtype": "int32"}), ((False, 0), {}), ((), {}), ((None, 1), {"dtype": "float64"}),
              ((False, 6), {"dtype": "float16"}), ((False, 6), {"dtype": "bfloat16"}), ((False, 12), {"dtype": "bool"}),
              ((False, 3), {"dtype": "int32", "requires_grad": True}), ((False, 3), {"requires_grad": True})]


@pytest.mark.parametrize(("args", "kwargs"), FILE_CASES)
def test_from_file_reads_a_copy_of_the_files_bytes(tmp_path, args, kwargs, device):
    if "dtype" in kwargs:
        require_dtype(device, kwargs["dtype"])
        if kwargs["dtype"] == "bfloat16" and outcome(lambda: lg.ones(1, device=device).to(lg.bfloat16).tolist()) \
                is lg.DTypeError:
            pytest.skip(f"{device} cannot run bfloat16 kernels")
    path = tmp_path / "data.bin"
    path.write_bytes(bytes([49, 50, 51, 52, 97, 98, 0, 100, 1, 102, 103, 63]))

    def call(mod, **extra):
        kw = {k: getattr(mod, v) if k == "dtype" else v for k, v in kwargs.items()}
        t = mod.from_file(str(path), *args, **kw, **extra)
        return t.tolist(), str(t.dtype).split(".")[-1], t.requires_grad
    same_outcome(lambda: call(lg, device=device), lambda: call(torch))


def test_from_file_raises_torchs_error_for_a_missing_file(tmp_path):
    same_outcome(lambda: lg.from_file(str(tmp_path / "none"), False, 3),
                 lambda: torch.from_file(str(tmp_path / "none"), False, 3))


def test_from_file_refuses_to_share_rather_than_forget_writes(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(8))
    with pytest.raises(NotImplementedError, match="shared=True"):
        lg.from_file(str(path), True, 2)


# ---- DLPack -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16", "uint8"])
def test_dlpack_copies_in_and_out_with_torch_and_numpy(dtype, device):
    data = np.array([[1, 0, 3], [4, 5, 0]]).astype(dtype)
    ours = lg.tensor(data, device=device)
    theirs = torch.from_dlpack(lg.to_dlpack(ours))
    assert theirs.tolist() == data.tolist() and str(theirs.dtype) == f"torch.{dtype}"
    assert torch.from_dlpack(ours).tolist() == data.tolist() and np.from_dlpack(ours).tolist() == data.tolist()
    for source in (torch.tensor(data), data, torch.to_dlpack(torch.tensor(data)), data.T, torch.tensor(data).t()):
        back = lg.from_dlpack(source, device=device)
        expect = np.asarray(source if type(source).__name__ != "PyCapsule" else data)
        assert back.tolist() == np.asarray(expect).tolist() and back.dtype == getattr(lg, dtype)


def test_dlpack_imports_are_copies_and_refuse_to_share(device):
    data = np.arange(3.0)
    t = lg.from_dlpack(data, device=device)
    data[0] = 9.0
    assert t.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(BufferError, match="copy=False"):
        lg.from_dlpack(data, copy=False)
    same_outcome(lambda: lg.from_dlpack(3), lambda: torch.from_dlpack(3))
    same_outcome(lambda: lg.to_dlpack(3), lambda: torch.to_dlpack(3))
    same_outcome(lambda: lg.from_dlpack(lg.ones(2, requires_grad=True)),
                 lambda: torch.from_dlpack(torch.ones(2, requires_grad=True)))


# ---- tensor methods ---------------------------------------------------------------------------

def test_to_dense_of_a_dense_tensor_is_itself(device):
    x = lg_t([1.0, 2.0], device)
    assert x.to_dense() is x and x.to_dense(masked_grad=True) is x
    y = x.to_dense(dtype=lg.float64)
    assert y.dtype == lg.float64 and y.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("shape", [(3,), (1,), (2, 1), (1, 2, 1)])
def test_resize_as_is_torchs_deprecated_autograd_resize(shape, device):
    def call(mod, x):
        with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
            y = x.resize_as(mod.zeros(*shape))
        y.sum().backward()
        return y.tolist(), x.grad.tolist()
    same_outcome(lambda: call(lg, lg_t([1.0, 2.0], device).requires_grad_()),
                 lambda: call(torch, torch.tensor([1.0, 2.0]).requires_grad_()))
    same_outcome(lambda: lg_t([1.0], device).resize_as(3), lambda: torch.tensor([1.0]).resize_as(3))


def test_is_set_to_asks_same_storage_offset_shape_and_strides(device):
    def cases(mod, x):
        return [x.is_set_to(x), x.is_set_to(x.view(4)), x.is_set_to(x.clone()), x.is_set_to(x[:1]),
                x.is_set_to(x.view(2, 2)), x[1:].is_set_to(x[1:]), x.view(2, 2).t().is_set_to(x.view(2, 2)),
                mod.zeros(0).is_set_to(mod.zeros(0))]
    assert cases(lg, lg_t([1.0, 2.0, 3.0, 4.0], device)) == cases(torch, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    same_outcome(lambda: lg_t([1.0], device).is_set_to(3), lambda: torch.tensor([1.0]).is_set_to(3))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
                                   "uint8", "bool", "uint16", "uint32"])
def test_storage_type_is_the_legacy_class_of_the_dtype(dtype, device):
    ours = lg.zeros(2, dtype=getattr(lg, dtype), device=device)
    theirs = torch.zeros(2, dtype=getattr(torch, dtype))
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        got = ours.storage_type()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = theirs.storage_type()
        assert (got is None) == (want is None)
        if want is not None:
            assert got.__name__ == want.__name__ and isinstance(ours.storage(), got)
            other = lg.int8 if dtype != "int8" else lg.uint8
            assert not isinstance(lg.zeros(1, dtype=other).storage(), got)


CALLS = [((), {}), ((0,), {}), (("xpu:0",), {}), ((), {"non_blocking": True})]


@pytest.mark.parametrize("method", ["xpu", "ipu", "mtia"])
@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_devices_torch_is_built_without_raise_torchs_error(method, args, kwargs, device):
    if method != "xpu" and args == ("xpu:0",):
        args = (f"{method}:0",)
    same_outcome(lambda: getattr(lg_t([1.0], device), method)(*args, **kwargs),
                 lambda: getattr(torch.tensor([1.0]), method)(*args, **kwargs))
