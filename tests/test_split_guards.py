"""Index-set splitting (codegen/split_guards.py): an innermost loop whose guards compare its
variable alone with constants runs as one loop a stretch, the guards folded. Values never
depend on it: pads, concatenations, flips and sums of padded rows against numpy on every
device, and the split Loop IR prints, parses back and runs to the same values."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad.codegen.loop_ir import Loop, walk_exprs, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.lower import lower
from lazygrad.codegen.split_guards import MAX_STRETCHES, split_guards, split_points
from lazygrad.debug_tool.execute import run_loop
from lazygrad.ir.ops import Op


def _kernel(t):
    return [k for k in t.schedule() if k.ast is not None][-1]


def _innermost(kernel):
    return [s for s in walk_stmts(kernel.body) if isinstance(s, Loop) and not any(isinstance(x, Loop) for x in s.body)]


def _guarded_by(loop) -> bool:
    """Whether a comparison in the loop's body reads its variable."""
    return any(e.op is Op.CMPLT and loop.var in str(e) for e in walk_exprs(loop.body))


def test_a_padded_copy_splits_into_its_edges_and_a_middle_without_guards():
    x = lg.Tensor(np.ones((4, 3, 32, 32), np.float32), device="c")
    k = _kernel(F.pad(x, (1, 1, 1, 1)) + 0)
    plain = lower(k.ast, k.name)
    (inner,) = _innermost(plain)
    assert split_points(inner) == [1, 33] and _guarded_by(inner)
    split = split_guards(plain)
    stretches = _innermost(split)
    assert [s.extent for s in stretches] == [1, 32, 1]
    assert not any(_guarded_by(s) for s in stretches)
    assert split_guards(split) == split  # nothing left to split


def test_guards_on_other_variables_or_sums_of_variables_do_not_split():
    """A conv's `i3 + r2 < 33` flips at an iteration that depends on r2: no fixed point."""
    x = lg.Tensor(np.ones((1, 2, 5, 7), np.float32), device="c")  # (no lanes: their guards are i3 + const)
    w = lg.Tensor(np.ones((3, 2, 3, 3), np.float32), device="c")
    k = _kernel(F.conv2d(x, w, padding=1))
    plain = lower(k.ast, k.name)
    for loop in _innermost(plain):
        assert split_points(loop) == []


def test_at_most_max_stretches():
    parts = [lg.Tensor(np.full((2, 5), i, np.float32), device="c") for i in range(MAX_STRETCHES + 2)]
    k = _kernel(lg.cat(parts, 1))
    plain = lower(k.ast, k.name)
    assert split_guards(plain) == plain
    parts = parts[:3]
    k = _kernel(lg.cat(parts, 1))
    plain = lower(k.ast, k.name)
    assert [s.extent for s in _innermost(split_guards(plain))] == [5, 5, 5]


CASES = {
    "pad": lambda x: F.pad(x, (1, 2, 3, 0)) * 2,
    "pad wide": lambda x: F.pad(x, (7, 9)),
    "reflect": lambda x: F.pad(x, (2, 2), mode="reflect"),
    "cat": lambda x: lg.cat([x, x * 2, -x], -1),
    "flip pad": lambda x: F.pad(x.flip(-1), (3, 1)),
    "padded row sum": lambda x: F.pad(x, (5, 4)).sum(-1),
    "padded row max": lambda x: F.pad(x, (5, 4), value=-1.0).amax(-1),
    "strided pad": lambda x: F.pad(x[..., ::2], (1, 1)),
}
NUMPY = {
    "pad": lambda a: np.pad(a, ((0, 0), (3, 0), (1, 2))) * 2,
    "pad wide": lambda a: np.pad(a, ((0, 0), (0, 0), (7, 9))),
    "reflect": lambda a: np.pad(a, ((0, 0), (0, 0), (2, 2)), mode="reflect"),
    "cat": lambda a: np.concatenate([a, a * 2, -a], -1),
    "flip pad": lambda a: np.pad(a[..., ::-1], ((0, 0), (0, 0), (3, 1))),
    "padded row sum": lambda a: np.pad(a, ((0, 0), (0, 0), (5, 4))).sum(-1),
    "padded row max": lambda a: np.pad(a, ((0, 0), (0, 0), (5, 4)), constant_values=-1.0).max(-1),
    "strided pad": lambda a: np.pad(a[..., ::2], ((0, 0), (0, 0), (1, 1))),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("width", [1, 6, 37])
def test_guarded_kernels_match_numpy_on_every_device(device, rng, case, width):
    a = rng.standard_normal((2, 3, width)).astype(np.float32)
    if case == "reflect" and width < 3:
        return
    out = CASES[case](lg.Tensor(a, device=device)).numpy()
    np.testing.assert_allclose(out, NUMPY[case](a), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ["pad", "cat", "flip pad", "padded row sum"])
def test_split_loop_ir_prints_parses_and_runs_to_the_same_values_on_every_device(device, rng, case):
    a = rng.standard_normal((2, 3, 37)).astype(np.float32)
    k = _kernel(CASES[case](lg.Tensor(a, device="c")))
    split = split_guards(lower(k.ast, k.name))
    assert len(_innermost(split)) > 1
    text = print_loop_ir(split)
    assert parse_loop_ir(text) == split
    result = run_loop(parse_loop_ir(text), device, [a.reshape(-1)], np.random.default_rng(0), 1)
    want = NUMPY[case](a).reshape(-1)
    np.testing.assert_allclose(result.outputs[0][:want.size], want, rtol=1e-6, atol=1e-6)
