"""torch's strides of views (frontend/torch_layout.py), and the overlap checks that read them,
against torch on random view chains: stride(), storage_offset(), is_contiguous(), and whether
an in-place write from one view of a storage into another raises, and what it writes."""
import random

import numpy as np
import pytest

import lazygrad

torch = pytest.importorskip("torch")


VIEWS = ["permute", "unsqueeze", "view", "narrow", "expand", "step", "select", "squeeze", "transpose", "detach",
         "flatten"]
# ops whose new tensor takes its input's memory order in torch, and those that copy or view by it
NEW_TENSORS = ["unary", "binary", "like", "reshape", "contiguous"]


def _random_view(rng: random.Random, x, steps: int, kinds=tuple(VIEWS)):
    """The same random chain of view ops, applied by each library (x is either's tensor)."""
    for _ in range(steps):
        kind = rng.choice(kinds)
        shape = tuple(x.shape)
        if kind == "permute" and shape:
            dims = list(range(len(shape)))
            rng.shuffle(dims)
            x = x.permute(*dims)
        elif kind == "unsqueeze":
            x = x.unsqueeze(rng.randint(-len(shape) - 1, len(shape)))
        elif kind == "view":
            n = int(np.prod(shape))
            target = rng.choice([(n,), (1, n), (n, 1), shape[::-1], (1,) + shape])
            try:
                x = x.view(target)
            except RuntimeError:  # both libraries must refuse it (checked by the caller's compare)
                return x, "view refused"
        elif kind == "narrow" and shape and shape[-1]:
            lo = rng.randrange(shape[-1])
            x = x.narrow(-1, lo, rng.randint(0, shape[-1] - lo))
        elif kind == "expand":
            target = tuple(rng.choice([1, 2]) if d == 1 else d for d in shape)
            target = ((rng.choice([1, 2]),) if rng.random() < 0.3 else ()) + target
            x = x.expand(*target) if target else x
        elif kind == "step" and shape and shape[0]:
            start = rng.randrange(shape[0])
            x = x[start::rng.randint(1, 3)]
        elif kind == "select" and shape and shape[0]:
            x = x[rng.randrange(shape[0])]
        elif kind == "squeeze":
            x = x.squeeze()
        elif kind == "transpose" and len(shape) >= 2:
            x = x.transpose(0, -1)
        elif kind == "detach":
            x = x.detach()
        elif kind == "flatten" and shape:
            x = x.reshape(-1) if x.is_contiguous() else x
        elif kind == "unary":  # elementwise results take their input's memory order, as torch's do
            x = rng.choice([lambda t: t.exp(), lambda t: t * 2, lambda t: t.abs(), lambda t: (t > 0).float()])(x)
        elif kind == "binary":
            lib = lazygrad if isinstance(x, lazygrad.Tensor) else torch
            kw = {"device": x.device} if lib is lazygrad else {}
            other = rng.choice([x.detach(), lib.ones(shape, **kw), lib.ones(shape[-1:], **kw)])
            x = x + other if rng.random() < 0.5 else other + x
        elif kind == "like":  # clone, a dtype conversion, zeros_like: a dense input's strides
            lib = lazygrad if isinstance(x, lazygrad.Tensor) else torch
            x = rng.choice([lambda t: t.clone(), lambda t: t.double(), lambda t, lib=lib: lib.zeros_like(t)])(x)
        elif kind == "reshape":
            x = x.reshape(rng.choice([(-1,), shape[::-1], (1, *shape)]))
        elif kind == "contiguous":
            x = x.contiguous()
    return x, "ok"


@pytest.mark.parametrize("seed", range(4))
def test_view_strides_match_torch(device, seed):
    rng_seed = 1000 * seed
    for case in range(150):
        base = [rng_seed + case]
        views = []
        for lib in (torch, lazygrad):
            rng = random.Random(base[0])
            shape = tuple(rng.choice([1, 2, 3]) for _ in range(rng.randint(0, 3)))
            kw = {"device": device} if lib is lazygrad else {}
            views.append(_random_view(rng, lib.zeros(shape, **kw), rng.randint(1, 5), VIEWS + NEW_TENSORS))
        (want, want_how), (got, got_how) = views
        where = f"case {base[0]}"
        assert got_how == want_how, where
        assert tuple(got.shape) == tuple(want.shape), where
        assert got.stride() == want.stride(), where
        assert got.storage_offset() == want.storage_offset(), where
        assert got.is_contiguous() == want.is_contiguous(), where


def _write(lib, device, seed: int, clone_source: bool = False):
    """Two random views of one storage; one written from the other. What happened: the error
    class, or the storage's values after the write."""
    rng = random.Random(seed)
    shape = tuple(rng.choice([1, 2, 3]) for _ in range(rng.randint(1, 3)))
    kw = {"device": device} if lib is lazygrad else {}
    x = lib.arange(float(np.prod(shape)), **kw).reshape(shape) + 0
    target, how_t = _random_view(rng, x, rng.randint(0, 3))
    source, how_s = _random_view(rng, x, rng.randint(0, 3))
    kind = rng.choice(["setitem", "copy_", "add_", "mul_"])
    if clone_source:
        source = source.clone()
    try:
        if kind == "setitem":
            target[...] = source
        else:
            getattr(target, kind)(source)
    except RuntimeError as e:
        return kind, how_t, how_s, "RuntimeError" if "memory location" in str(e) or "size" in str(e) \
            or "expand" in str(e) or "broadcast" in str(e) or "match" in str(e) else str(e)
    return kind, how_t, how_s, x.tolist()


@pytest.mark.parametrize("seed", range(4))
def test_overlapping_writes_match_torch(device, seed):
    for case in range(100):
        s = 7919 * seed + case
        want = _write(torch, "cpu", s)
        if want != _write(torch, "cpu", s, clone_source=True) and want[3] != "RuntimeError":
            continue  # torch read elements it had written already: its own order's result (documented)
        got = _write(lazygrad, device, s)
        assert got == want, f"case {s}: torch {want}, lazygrad {got}"


def test_the_seeded_run_case_of_a_size_1_dim(device):
    """Seed 9730 of the differential run: writing (1, 1, 3) into itself through three new dims
    compares a value expanded with stride 0 against strides of the new dims: torch raises."""
    def case(T, dev):
        v = (2 ** T.tensor([[[1.25]], [[-0.875]], [[-0.375]]], device=dev)).permute(2, 1, 0)
        try:
            v[None, :, None, :, None, :] = v
        except RuntimeError:
            return "RuntimeError"
        return v.tolist()
    assert case(lazygrad, device) == case(torch, "cpu") == "RuntimeError"


def test_an_elementwise_result_keeps_its_inputs_memory_order(device):
    """Differential seed 9790: torch's ceil of a transposed tensor is transposed too, so its
    flatten is a copy and a write into that copy leaves it alone. lazygrad's flatten was a
    view, and the write zeroed the tensor."""
    def run(lib, **kw):
        v = lib.tensor([[1.125, -3.875], [-2.125, -2.875], [-4.0, -2.375], [-2.25, 2.875]], **kw)
        out = {}
        c = v.t().ceil()
        flat = c.flatten()
        flat -= flat
        out["after a write into its flatten"] = c.tolist()
        try:
            c.view(-1)
            out["view"] = "ok"
        except RuntimeError:
            out["view"] = "RuntimeError"
        c.t().view(-1).mul_(2)  # transposed back it is contiguous: a view, the write reaches c
        out["after a write through a view"] = c.tolist()
        d = c.contiguous()
        d += 1
        out["after a write into its contiguous()"] = c.tolist()
        out["strides"] = (c.stride(), (c * 2).stride(), (2 + c).stride(), c.clone().stride(), d.stride())
        a, b = lib.zeros(3, 4, **kw).t(), lib.zeros(4, 3, **kw)
        mask = lib.zeros(4, 3, **kw) > 0  # where's condition is its first operand
        out["where"] = (lib.where(mask, a, b).stride(), lib.where(a > 0, b, a).stride(),
                        a.where(mask, b).stride(), b.where(a > 0, a).stride(), lib.where(mask, a, 0.0).stride())
        return out
    assert run(lazygrad, device=device) == run(torch)
