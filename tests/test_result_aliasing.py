"""Whether an op's result shares its input's storage is torch's: a write into the result
reaches the input exactly where torch's does. Ops with a shortcut for trivial arguments
(interpolate to the input's own size, pixel_shuffle by 1, x ** 1) once handed back the input
itself, so writing into the result silently changed the input; torch gives new storage there.
Each row states the outcome (checked against torch itself where it is installed)."""
import numpy as np
import pytest

import lazygrad as lg
from torch_reference import installed_torch

SHARES, OWN = "shares the input's storage", "has storage of its own"


def _f(T):
    return T.nn.functional


CASES = [  # (name, outcome, the op on a (1, 1, 2, 2) float32 tensor x of ones)
    ("interpolate nearest, same size", OWN, lambda T, x: _f(T).interpolate(x, size=(2, 2))),
    ("interpolate bilinear, same size", OWN, lambda T, x: _f(T).interpolate(x, size=(2, 2), mode="bilinear")),
    ("interpolate bicubic, scale 1", OWN, lambda T, x: _f(T).interpolate(x, scale_factor=1, mode="bicubic")),
    ("interpolate area, same size", OWN, lambda T, x: _f(T).interpolate(x, size=(2, 2), mode="area")),
    ("interpolate nearest-exact, same size", OWN,
     lambda T, x: _f(T).interpolate(x, size=(2, 2), mode="nearest-exact")),
    ("nn.Upsample to the same size", OWN, lambda T, x: T.nn.Upsample(size=(2, 2))(x)),
    ("interpolate nearest, scale 2", OWN, lambda T, x: _f(T).interpolate(x, scale_factor=2)),
    ("pixel_shuffle by 1", OWN, lambda T, x: _f(T).pixel_shuffle(x, 1)),
    ("pixel_unshuffle by 1", OWN, lambda T, x: _f(T).pixel_unshuffle(x, 1)),
    ("channel_shuffle of 1 group", OWN, lambda T, x: T.nn.ChannelShuffle(1)(x)),
    ("x ** 1", OWN, lambda T, x: x ** 1),
    ("x.pow(1.0)", OWN, lambda T, x: x.pow(1.0)),
    ("x * 1", OWN, lambda T, x: x * 1),
    ("pad by nothing", OWN, lambda T, x: _f(T).pad(x, (0, 0))),
    ("roll by 0", OWN, lambda T, x: x.roll(0, 0)),
    ("repeat once", OWN, lambda T, x: x.repeat(1, 1, 1, 1)),
    ("cat of one", OWN, lambda T, x: T.cat([x])),
    ("clamp within", OWN, lambda T, x: x.clamp(-9, 9)),
    ("adaptive average pool to the same size", OWN, lambda T, x: _f(T).adaptive_avg_pool2d(x, 2)),
    ("max pool of 1", OWN, lambda T, x: _f(T).max_pool2d(x, 1)),
    ("contiguous", SHARES, lambda T, x: x.contiguous()),
    ("detach", SHARES, lambda T, x: x.detach()),
    ("dropout in eval", SHARES, lambda T, x: _f(T).dropout(x, 0.5, training=False)),
    ("view_as", SHARES, lambda T, x: x.view_as(x)),
    ("permute to the same order", SHARES, lambda T, x: x.permute(0, 1, 2, 3)),
    ("x[:]", SHARES, lambda T, x: x[:]),
    ("narrow to all", SHARES, lambda T, x: x.narrow(0, 0, 1)),
    ("chunk into 1", SHARES, lambda T, x: x.chunk(1)[0]),
    ("expand_as", SHARES, lambda T, x: x.expand_as(x)),
    ("squeeze", SHARES, lambda T, x: x.squeeze()),
    ("to its own dtype", SHARES, lambda T, x: x.to(T.float32)),
    ("unfold into windows that do not overlap", SHARES, lambda T, x: x.unfold(3, 1, 1)),
    ("unfold of a transpose", SHARES, lambda T, x: x.transpose(2, 3).unfold(2, 2, 2)),
]


def _write_reaches_input(T, device, call) -> str:
    x = T.ones(1, 1, 2, 2, device=device)
    y = call(T, x)
    with T.no_grad():
        y.add_(1)
    return SHARES if not np.array_equal(x.numpy(), np.ones((1, 1, 2, 2), np.float32)) else OWN


@pytest.mark.parametrize("name,outcome,call", CASES, ids=[c[0] for c in CASES])
def test_a_write_into_the_result_reaches_the_input_where_torchs_does(device, name, outcome, call):
    torch = installed_torch()
    if torch is not None:
        assert _write_reaches_input(torch, "cpu", call) == outcome, "torch's outcome differs from the case's"
    assert _write_reaches_input(lg, device, call) == outcome
