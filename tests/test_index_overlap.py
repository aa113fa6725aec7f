"""Indexed writes that read their own target: torch's index_put_, index_copy_, scatter_ and kin
refuse values or indices that share any element with the tensor written (the very same
elements too), while a fill from a 0-dim value (masked_fill_, index_fill_, x[mask] = v) reads
the value once and goes on. Each case states torch's outcome, checked against torch itself
where it is installed, and lazygrad must give the same one on every device."""

import numpy as np
import pytest
from torch_reference import installed_torch

import lazygrad as lg

RAISES, RUNS = "raises", "runs"


def _start(m, device, kind):
    """The tensor written: floats 0..9, ints 0..9, or floats 0..7 as 2 rows of 4."""
    made = m.arange(10.0, device=device) if m is lg else m.arange(10.0)
    if kind == "ints":
        return made.long()
    return made[:8].reshape(2, 4) if kind == "rows" else made


def _ix(m, device, *values):
    return m.tensor(list(values), device=device) if m is lg else m.tensor(list(values))


# (name, torch's outcome, the tensor written, the write: f(module, device, x))
CASES = [
    ("index_from_a_slice_of_itself", RAISES, "floats", lambda m, d, x: x.__setitem__(_ix(m, d, 0, 1, 2), x[2:5])),
    ("index_from_all_of_itself", RAISES, "floats", lambda m, d, x: x.__setitem__(_ix(m, d, *range(10)), x)),
    ("index_from_a_disjoint_slice_of_itself", RAISES, "floats", lambda m, d, x: x.__setitem__(_ix(m, d, 0, 1), x[5:7])),
    ("index_from_one_element_of_itself", RAISES, "floats", lambda m, d, x: x.__setitem__(_ix(m, d, 0, 1), x[3])),
    ("index_from_a_clone", RUNS, "floats", lambda m, d, x: x.__setitem__(_ix(m, d, 0, 1, 2), x[2:5].clone())),
    ("index_tensor_is_the_target", RAISES, "ints", lambda m, d, x: x.__setitem__(x[:3], 5)),
    ("row_index_from_another_row", RAISES, "rows", lambda m, d, x: x.__setitem__(_ix(m, d, 0), x[1])),
    ("view_target_from_its_own_slice", RAISES, "rows", lambda m, d, x: x[1].__setitem__(_ix(m, d, 0, 1), x[1, 2:])),
    ("view_target_from_another_row", RUNS, "rows", lambda m, d, x: x[0].__setitem__(_ix(m, d, 0, 1), x[1, 2:])),
    ("mask_from_a_slice_of_itself", RAISES, "floats", lambda m, d, x: x.__setitem__(x > 3, x[:6])),
    ("mask_from_one_element_of_itself", RUNS, "floats", lambda m, d, x: x.__setitem__(x > 3, x[0])),
    ("index_put_from_itself", RAISES, "floats", lambda m, d, x: x.index_put_((_ix(m, d, 0, 1, 2),), x[1:4])),
    ("index_put_accumulate_from_itself", RAISES, "floats",
     lambda m, d, x: x.index_put_((_ix(m, d, 0, 1, 2),), x[1:4], accumulate=True)),
    ("index_copy_from_itself", RAISES, "floats", lambda m, d, x: x.index_copy_(0, _ix(m, d, 1, 2), x[4:6])),
    ("index_add_from_itself", RAISES, "floats", lambda m, d, x: x.index_add_(0, _ix(m, d, 1, 2), x[4:6])),
    ("scatter_from_itself", RAISES, "floats", lambda m, d, x: x.scatter_(0, _ix(m, d, 1, 2), x[4:6])),
    ("scatter_index_from_itself", RAISES, "ints", lambda m, d, x: x.scatter_(0, x[:2], 7)),
    ("scatter_add_from_itself", RAISES, "floats", lambda m, d, x: x.scatter_add_(0, _ix(m, d, 1, 2), x[4:6])),
    ("put_from_itself", RAISES, "floats", lambda m, d, x: x.put_(_ix(m, d, 1, 2), x[4:6])),
    ("index_fill_with_its_own_element", RUNS, "floats", lambda m, d, x: x.index_fill_(0, _ix(m, d, 1), x[2])),
    ("index_fill_index_from_itself", RAISES, "ints", lambda m, d, x: x.index_fill_(0, x[1:3], 7)),
    ("masked_fill_with_its_own_element", RUNS, "floats", lambda m, d, x: x.masked_fill_(x > 3, x[0])),
]


@pytest.mark.parametrize("name,outcome,kind,write", CASES, ids=[c[0] for c in CASES])
def test_indexed_write_reading_its_target(device, name, outcome, kind, write):
    torch = installed_torch()
    if torch is not None:  # the table says what torch does
        if outcome == RAISES:
            with pytest.raises(RuntimeError, match="single memory location"):
                write(torch, None, _start(torch, None, kind))
        else:
            write(torch, None, _start(torch, None, kind))
    if outcome == RAISES:
        with pytest.raises(RuntimeError, match="single memory location"):
            write(lg, device, _start(lg, device, kind))
    else:
        write(lg, device, _start(lg, device, kind))


def test_a_refused_write_changes_nothing(device):
    x = lg.arange(10.0, device=device)
    with pytest.raises(RuntimeError, match="clone"):
        x[lg.tensor([0, 1, 2], device=device)] = x[2:5]
    np.testing.assert_array_equal(x.numpy(), np.arange(10.0))


def test_a_write_from_a_clone_reads_the_old_values(device):
    x = lg.arange(10.0, device=device)
    x[lg.tensor([0, 1, 2], device=device)] = x[2:5].clone()
    np.testing.assert_array_equal(x.numpy(), [2, 3, 4, 3, 4, 5, 6, 7, 8, 9])


def _expanded(m, device):
    """[1, -1, 2] seen as 4 rows of 3 (strides 0, 1): each element held 4 times."""
    base = m.tensor([1.0, -1.0, 2.0], device=device) if m is lg else m.tensor([1.0, -1.0, 2.0])
    return base, base.unsqueeze(0).expand(4, 3)


# torch writes a fill into an expanded view (with a deprecation warning): an element is filled
# where any of its copies is selected, the same value at every copy, so no loop order shows
EXPANDED_FILLS = [
    ("masked_fill_by_value", lambda m, d, y: y.masked_fill_(y > 0, -0.5)),
    ("masked_fill_one_copy", lambda m, d, y: y.masked_fill_(_ix(m, d, *[[False] * 3] * 3, [True, False, False]), 9.0)),
    ("masked_fill_transposed", lambda m, d, y: y.t().masked_fill_(_ix(m, d, [False] * 4, [False, True, False, False],
                                                                     [False] * 4), 9.0)),
    ("index_fill_along_the_copies", lambda m, d, y: y.index_fill_(0, _ix(m, d, 2), 7.0)),
    ("index_fill_along_the_elements", lambda m, d, y: y.index_fill_(1, _ix(m, d, 0, 2), 7.0)),
    ("mask_setitem_scalar", lambda m, d, y: y.__setitem__(_ix(m, d, True, False, False, False), 5.0)),
]


@pytest.mark.parametrize("name,write", EXPANDED_FILLS, ids=[c[0] for c in EXPANDED_FILLS])
def test_a_fill_into_an_expanded_view_writes_each_element_once(device, name, write):
    torch = pytest.importorskip("torch")
    want, view = _expanded(torch, device)
    with pytest.warns(UserWarning, match="on expanded tensors is deprecated"):
        write(torch, device, view)
    got, view = _expanded(lg, device)
    with pytest.warns(UserWarning, match="on expanded tensors is deprecated"):
        write(lg, device, view)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_fill_into_an_expanded_view_without_torch(device):
    base, view = _expanded(lg, device)
    with pytest.warns(UserWarning, match="masked_fill_ on expanded tensors"):
        view.masked_fill_(lg.tensor([[False, False, True]] + [[False] * 3] * 3, device=device), 0.0)
    np.testing.assert_array_equal(base.numpy(), [1.0, -1.0, 0.0])
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers"):
        view.add_(1)  # a value that differs between copies: torch refuses it
