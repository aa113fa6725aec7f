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


def test_nn_modules_utils_as_torchs():
    """torch.nn.modules.utils: _pair and friends custom layers import, and the helper that
    strips DataParallel's "module." prefix from a state dict (its _metadata too), in place."""
    from torch.nn.modules import utils as theirs

    from lazygrad.nn.modules import utils as ours
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for value in (3, (1, 2), [4, 5, 6]):
            assert getattr(ours, name)(value) == getattr(theirs, name)(value)
    assert ours._reverse_repeat_tuple((1, 2, 3), 2) == theirs._reverse_repeat_tuple((1, 2, 3), 2)
    assert ours._list_with_default([None, 3], [1, 2, 5, 7]) == theirs._list_with_default([None, 3], [1, 2, 5, 7])
    states = []
    for T, utils in ((lg, ours), (torch, theirs)):
        model = T.nn.Sequential(T.nn.Linear(2, 2), T.nn.BatchNorm1d(2))
        sd = {"module." + k: v for k, v in model.state_dict().items()}
        sd = type(model.state_dict())(sd)
        sd._metadata = {"module": {"version": 1}, "module.1": {"version": 2}, "": {"version": 1}}
        utils.consume_prefix_in_state_dict_if_present(sd, "module.")
        model.load_state_dict(sd)
        states.append((list(sd), dict(sd._metadata)))
    assert states[0] == states[1]
    assert lg.nn.modules.utils.consume_prefix_in_state_dict_if_present is ours.consume_prefix_in_state_dict_if_present
