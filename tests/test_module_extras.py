"""nn.Module's type(), to_empty(), share_memory(), compile() and the accelerator moves, against
torch: type() casts integer buffers too, the others keep the module (or raise torch's error)."""
from __future__ import annotations

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def test_module_extras_are_torchs(device):
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = T.nn.BatchNorm1d(2).to(**kw)
        weight = m.weight
        assert m.type(T.float64) is m and m.weight is weight
        m2 = T.nn.Linear(2, 2)
        raised = []
        for move in (m2.xpu, m2.ipu, m2.mtia):
            with pytest.raises((AssertionError, RuntimeError)) as info:
                move()
            raised.append(type(info.value).__name__)
        seen.append(([str(t.dtype).split(".")[-1] for t in (m.weight, m.running_mean, m.num_batches_tracked)],
                     tuple(m2.to_empty(device="cpu").weight.shape), m2.share_memory() is m2, m2.compile(), raised))
    assert seen[0] == seen[1]
