"""torch.nn.utils.rnn on lazygrad: padding and packing as torch lays them out, and the
recurrent layers over a PackedSequence (outputs, final states and gradients as torch's), on
every device."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import nn

torch = pytest.importorskip("torch")
IN, HIDDEN = 3, 4
LENGTHS = [2, 5, 3]


def _sequences(lib, device=None, grad=False):
    arrays = [np.random.default_rng(i).standard_normal((n, IN)).astype(np.float32) for i, n in enumerate(LENGTHS)]
    if lib is torch:
        return [torch.tensor(a, requires_grad=grad) for a in arrays]
    return [lg.tensor(a, device=device, requires_grad=grad) for a in arrays]


def _same(ours, theirs, atol=1e-6):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_pack_and_back_lay_out_as_torch(device, batch_first):
    ours, theirs = _sequences(lg, device), _sequences(torch)
    for side in ("right", "left"):
        _same(nn.utils.rnn.pad_sequence(ours, batch_first, -1.0, side),
              torch.nn.utils.rnn.pad_sequence(theirs, batch_first, -1.0, side))
    for enforce in (False,):
        packed = nn.utils.rnn.pack_sequence(ours, enforce_sorted=enforce)
        reference = torch.nn.utils.rnn.pack_sequence(theirs, enforce_sorted=enforce)
        _same(packed.data, reference.data)
        assert packed.batch_sizes.tolist() == reference.batch_sizes.tolist()
        assert packed.sorted_indices.tolist() == reference.sorted_indices.tolist()
        padded, lengths = nn.utils.rnn.pad_packed_sequence(packed, batch_first, 9.0, total_length=7)
        t_padded, t_lengths = torch.nn.utils.rnn.pad_packed_sequence(reference, batch_first, 9.0, total_length=7)
        _same(padded, t_padded)
        assert lengths.tolist() == t_lengths.tolist()
        for a, b in zip(nn.utils.rnn.unpack_sequence(packed), torch.nn.utils.rnn.unpack_sequence(reference)):
            _same(a, b)
    padded = nn.utils.rnn.pad_sequence(ours, batch_first)
    by_lengths = nn.utils.rnn.pack_padded_sequence(padded, lg.tensor(LENGTHS), batch_first, enforce_sorted=False)
    _same(by_lengths.data, torch.nn.utils.rnn.pack_padded_sequence(
        torch.nn.utils.rnn.pad_sequence(theirs, batch_first), torch.tensor(LENGTHS), batch_first,
        enforce_sorted=False).data)


def test_bad_lengths_raise_torchs_errors():
    padded = lg.zeros(5, 3, IN)
    for lengths, enforce in (([2, 5, 3], True), ([5, 0, 3], False)):
        with pytest.raises(RuntimeError):
            torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(5, 3, IN), lengths, enforce_sorted=enforce)
        with pytest.raises(RuntimeError):
            nn.utils.rnn.pack_padded_sequence(padded, lengths, enforce_sorted=enforce)
    packed = nn.utils.rnn.pack_sequence([lg.zeros(3, IN), lg.zeros(2, IN)])
    with pytest.raises(ValueError, match="total_length"):
        nn.utils.rnn.pad_packed_sequence(packed, total_length=2)


LAYERS = [("LSTM", False, 2), ("GRU", True, 1)]  # the mask across layers; reversed steps


@pytest.mark.parametrize("mode, bidirectional, layers", LAYERS)
def test_a_layer_over_a_packed_sequence_matches_torch(device, mode, bidirectional, layers):
    theirs = getattr(torch.nn, mode)(IN, HIDDEN, num_layers=layers, bidirectional=bidirectional)
    ours = getattr(nn, mode)(IN, HIDDEN, num_layers=layers, bidirectional=bidirectional, device=device)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    t_seqs, o_seqs = _sequences(torch, grad=True), _sequences(lg, device, grad=True)
    directions = 2 if bidirectional else 1
    h0 = np.random.default_rng(9).standard_normal((layers * directions, 3, HIDDEN)).astype(np.float32)
    t_h0, o_h0 = torch.tensor(h0), lg.tensor(h0, device=device)
    t_state = (t_h0, t_h0 * 0.5) if mode == "LSTM" else t_h0
    o_state = (o_h0, o_h0 * 0.5) if mode == "LSTM" else o_h0
    t_out, t_h = theirs(torch.nn.utils.rnn.pack_sequence(t_seqs, enforce_sorted=False), t_state)
    o_out, o_h = ours(nn.utils.rnn.pack_sequence(o_seqs, enforce_sorted=False), o_state)
    _same(o_out.data, t_out.data)
    assert o_out.batch_sizes.tolist() == t_out.batch_sizes.tolist()
    for a, b in zip(o_h if mode == "LSTM" else [o_h], t_h if mode == "LSTM" else [t_h]):
        _same(a, b)
    first = o_h[0] if mode == "LSTM" else o_h
    t_first = t_h[0] if mode == "LSTM" else t_h
    (o_out.data.sum() + first.pow(2).sum()).backward()
    (t_out.data.sum() + t_first.pow(2).sum()).backward()
    for a, b in zip(o_seqs, t_seqs):
        _same(a.grad, b.grad, atol=1e-5)
