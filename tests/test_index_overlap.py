"""Indexed writes that read their own target: torch's index_put_, index_copy_, scatter_ and kin
refuse values or indices that share any element with the tensor written (the very same
elements too), while a fill from a 0-dim value (masked_fill_, index_fill_, x[mask] = v) reads
the value once and goes on. Each case states torch's outcome, checked against torch itself
where it is installed, and lazygrad must give the same one on every device."""
import importlib

import numpy as np
import pytest

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
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        torch = None
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
