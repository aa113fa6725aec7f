"""The small torch names of tensor_more_names.py against torch."""
import warnings

import numpy as np
import pytest
import torch

import lazygrad as lg


def test_frombuffer_reads_bytes_as_torch():
    raw = b"\x01\x00\x00\x00\x02\x00\x00\x00"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kw in ({}, {"count": 1, "offset": 4}):
            assert lg.frombuffer(bytearray(raw), dtype=lg.int32, **kw).tolist() == \
                torch.frombuffer(bytearray(raw), dtype=torch.int32, **kw).tolist()
    for bad in (bytearray(b"\x01\x02\x03"), bytearray(b"")):
        with pytest.raises(ValueError):
            torch.frombuffer(bad, dtype=torch.int32)
        with pytest.raises(ValueError):
            lg.frombuffer(bad, dtype=lg.int32)


@pytest.mark.parametrize("data,size,fill", [([[1, 0], [0, 1]], 3, -1), ([[1, 0], [0, 1]], 1, 5), ([1, 0, 2], 4, -7)])
def test_nonzero_static_as_torch(device, data, size, fill):
    got = lg.nonzero_static(lg.tensor(data, device=device), size=size, fill_value=fill)
    want = torch.nonzero_static(torch.tensor(data), size=size, fill_value=fill)
    assert got.tolist() == want.tolist() and got.dtype == lg.int64
    assert lg.tensor(data, device=device).nonzero_static(size=size).shape == want.shape
    with pytest.raises(RuntimeError, match="non-negative"):
        lg.nonzero_static(lg.tensor(data), size=-1)


def test_module_level_spellings_as_torch(device):
    assert lg.put(lg.arange(6.0, device=device), lg.tensor([0, -1], device=device), lg.tensor([9.0, 8.0], device=device),
                  accumulate=True).tolist() == \
        torch.put(torch.arange(6.0), torch.tensor([0, -1]), torch.tensor([9.0, 8.0]), accumulate=True).tolist()
    a, ta = lg.ones(2, device=device), torch.ones(2)
    assert lg.addmv_(a, lg.ones(2, 3, device=device), lg.ones(3, device=device), beta=2, alpha=3) is a
    torch.addmv_(ta, torch.ones(2, 3), torch.ones(3), beta=2, alpha=3)
    assert a.tolist() == ta.tolist()
    d = lg.ones(2, device=device, requires_grad=True) * 2
    assert lg.detach_(d) is d and not d.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.index_reduce(torch.ones(3, 2), 0, torch.tensor([0, 0, 2]), torch.arange(6.0).reshape(3, 2), "prod")
    got = lg.index_reduce(lg.ones(3, 2, device=device), 0, lg.tensor([0, 0, 2], device=device),
                          lg.arange(6.0, device=device).reshape(3, 2), "prod")
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = lg.ones(2, device=device)
    assert lg.conj_physical_(x) is x and x.conj_physical_() is x


@pytest.mark.parametrize("make", [
    lambda m: m.ones(2, 3, 4), lambda m: m.ones(2, 3).t(), lambda m: m.ones(1, 3).expand(4, 3),
    lambda m: m.ones(2, 1, 3).permute(2, 1, 0), lambda m: m.ones(2, 3)[::2],
    lambda m: m.ones(2, 3, 4, 5).to(memory_format=m.channels_last)])
def test_dim_order_as_torch(make):
    assert make(lg).dim_order() == make(torch).dim_order()


def test_dim_order_ambiguity_check_as_torch():
    assert lg.ones(2, 3).dim_order(ambiguity_check=True) == (0, 1)
    with pytest.raises(RuntimeError, match="unique dim order"):
        lg.ones(2, 1).dim_order(ambiguity_check=True)


def test_tensor_queries_as_torch(device):
    x = lg.ones(4, device=device)
    assert x.name is None and x.output_nr == 0 and x.split(2)[1].output_nr == 0
    assert x.const_data_ptr() == x.data_ptr()
    assert not x.is_distributed() and not lg.is_distributed(x)
    assert lg.init_num_threads() is None
    w = lg.ones(6, device=device, requires_grad=True)
    assert [p.output_nr for p in w.split(2)] == [0, 1, 2] and (w * 2).unbind()[4].output_nr == 4
    with pytest.raises(NotImplementedError):  # rows 2:4: split(2)'s piece 1 and split([1, 1, 2, 2])'s 2
        _ = (w.split(2)[1], w.split([1, 1, 2, 2])[2])[0].output_nr
    with pytest.raises(NotImplementedError):  # (aminmax's max carries amax's record: no guess)
        _ = lg.aminmax(w * 1)[1].output_nr


def test_resize_is_a_deprecated_view(device):
    x = lg.ones(2, 3, device=device)
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        y = x.resize(3, 2)
    assert y.shape == (3, 2)
    y.add_(1)
    assert x.tolist() == [[2.0] * 3] * 2
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="autograd's resize"):
        x.resize(7)


def test_grad_is_a_class_attribute_that_keeps_its_behaviour(device):
    assert isinstance(lg.Tensor.grad, property)
    w = lg.ones(2, device=device, requires_grad=True)
    assert w.grad is None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    w.grad = None
    assert w.grad is None


@pytest.mark.parametrize("name", ["pi", "e", "inf", "nan", "newaxis", "short"])
def test_torchs_constants_and_dtype_aliases_exist(name):
    """`torch.pi` in a positional encoding, `-torch.inf` in a mask, `torch.short`: as torch's."""
    ours, theirs = getattr(lg, name), getattr(torch, name)
    if isinstance(theirs, float):
        assert ours == theirs or (np.isnan(ours) and np.isnan(theirs))
    else:
        assert ours is None if theirs is None else ours.name == str(theirs).removeprefix("torch.")


def test_constants_in_use(device):
    x = lg.tensor([1.0, 2.0, 3.0], device=device)
    masked = x.masked_fill(x > 1, -lg.inf).softmax(0)
    assert masked.tolist() == torch.tensor([1.0, 2.0, 3.0]).masked_fill(torch.tensor([False, True, True]),
                                                                        -torch.inf).softmax(0).tolist()
    assert x[:, lg.newaxis].shape == (3, 1) and (x * lg.pi).tolist() == (torch.tensor([1.0, 2.0, 3.0]) * torch.pi).tolist()
    assert lg.ones(2, dtype=lg.short, device=device).dtype == lg.int16


@pytest.mark.parametrize("question", ["is_available", "device_count", "current_device", "is_initialized", "synchronize"])
def test_torch_cpu_answers_as_torch(question):
    assert getattr(lg.cpu, question)() == getattr(torch.cpu, question)()


@pytest.mark.parametrize("dtype", [None, "float16"])
def test_deprecated_cpu_amp_autocast_lowers_as_torchs(device, dtype):
    kw = {} if dtype is None else {"dtype": getattr(lg, dtype)}
    deprecated = r"torch\.cpu\.amp\.autocast\(args\.\.\.\)` is deprecated"
    with pytest.warns(FutureWarning, match=deprecated), lg.cpu.amp.autocast(**kw):
        ours = (lg.ones(2, 2, device=device) @ lg.ones(2, 2, device=device)).dtype
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.cpu.amp.autocast(**({} if dtype is None else {"dtype": getattr(torch, dtype)})):
            theirs = (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
    assert ours.name == str(theirs).removeprefix("torch.")


def test_torch_compiler_markers_as_torch():
    import importlib
    assert importlib.import_module("lazygrad.compiler") is lg.compiler
    assert importlib.import_module("lazygrad.cpu") is lg.cpu
    assert lg.compiler.is_compiling() is torch.compiler.is_compiling() is False
    assert lg.compiler.is_dynamo_compiling() is torch.compiler.is_dynamo_compiling()

    def twice(x):
        return x * 2
    for lib in (lg, torch):
        assert lib.compiler.disable(twice) is twice or lib is torch
        assert lib.compiler.disable(twice)(3) == lib.compiler.disable(recursive=False)(twice)(3) == 6
        assert lib.compiler.reset() is None
    # (torch's allow_in_graph registers the function with dynamo for the whole process: called
    # with a builtin there, it broke every later torch.cond and torch.while_loop in the worker)
    assert lg.compiler.allow_in_graph(twice) is twice
