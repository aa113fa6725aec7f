"""torch.jit's names on lazygrad (lazygrad/jit.py): script and trace give back the model or
function, whose calls match torch's scripted or traced one; the markers return what they mark;
freeze's and save's refusals; and `lg.jit(fn)`, lazygrad's record-and-replay, still works
through the same callable module."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")


def _models(device):
    w = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ours, theirs = lg.nn.Linear(4, 3, device=device), torch.nn.Linear(4, 3)
    with lg.no_grad():
        ours.weight.copy_(lg.tensor(w, device=device))
        ours.bias.zero_()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.zero_()
    return ours, theirs


@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_scripted_or_traced_model_computes_as_torchs(how, device):
    ours, theirs = _models(device)
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    make = {"script": lambda lib, m, ex: lib.jit.script(m), "trace": lambda lib, m, ex: lib.jit.trace(m, ex)}[how]
    s_ours = make(lg, ours, lg.tensor(x, device=device))
    s_theirs = make(torch, theirs, torch.tensor(x))
    assert s_ours is ours  # (lazygrad compiles the model itself)
    np.testing.assert_allclose(s_ours(lg.tensor(x, device=device)).detach().numpy(), s_theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    assert list(s_ours.state_dict()) == list(s_theirs.state_dict())


def test_a_traced_function_is_not_frozen_to_its_examples_branch(device):
    def f(x):
        return x * 2 if float(x.sum()) > 0 else x - 1
    traced = lg.jit.trace(f, (lg.ones(2, device=device),))
    np.testing.assert_array_equal(traced(-lg.ones(2, device=device)).numpy(), [-2.0, -2.0])  # (torch: -2, frozen)


def test_markers_and_queries_are_torchs():
    for lib in (lg, torch):
        @lib.jit.ignore
        def plain(x):
            return x + 1

        @lib.jit.ignore(drop=True)
        def dropped(x):
            return x + 2

        @lib.jit.unused
        def unused(x):
            return x + 3

        @lib.jit.export
        def exported(x):
            return x + 4
        assert [plain(1), dropped(1), unused(1), exported(1)] == [2, 3, 4, 5]
        assert lib.jit.is_scripting() is False and lib.jit.is_tracing() is False
        assert lib.jit.annotate(list, [1]) == [1]
        future = lib.jit.fork(lambda a, b: a * b, 3, b=4)
        assert lib.jit.wait(future) == 12 and future.done()
        assert lib.jit.Final is __import__("typing").Final


def test_freeze_and_optimize_for_inference_want_an_eval_module():
    for lib in (lg, torch):
        model = lib.jit.script(lib.nn.Linear(2, 2))
        with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
            lib.jit.freeze(model)
        lib.jit.freeze(model.eval())
        with pytest.raises(RuntimeError, match="Freezing expects a ScriptModule as input"):
            lib.jit.freeze(lambda x: x)
    model = lg.nn.Linear(2, 2).eval()
    assert lg.jit.freeze(model) is model
    model.train()
    assert lg.jit.optimize_for_inference(model) is model and not model.training


@pytest.mark.parametrize("name, call", [
    ("script", lambda lib: lib.jit.script(lib.nn.Linear(2, 2))),
    ("trace", lambda lib: lib.jit.trace(lib.nn.Linear(2, 2), lib.ones(1, 2))),
    ("fork", lambda lib: lib.jit.fork(lambda: 1)),
    ("freeze", lambda lib: lib.jit.freeze(lib.jit.script(lib.nn.Linear(2, 2)).eval())),
])
def test_deprecation_warnings_are_torchs(name, call):
    for lib in (lg, torch):
        with pytest.warns(DeprecationWarning, match=f"`torch.jit.{name}` is deprecated. Please"):
            call(lib)


def test_torchscript_archives_are_refused_with_what_to_use_instead(tmp_path):
    with pytest.raises(NotImplementedError, match=r"lg.save\(model.state_dict\(\), path\)"):
        lg.jit.save(lg.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(NotImplementedError, match="cannot read TorchScript archives"):
        lg.jit.load(tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_the_namespace_imports_as_torchs_and_lg_jit_still_records_and_replays(device):
    import lazygrad.jit
    from lazygrad.jit import ScriptModule, script
    assert script is lg.jit.script and lazygrad.jit is lg.jit
    assert not isinstance(lg.nn.Linear(2, 2), ScriptModule)
    calls = []

    @lg.jit
    def double(x):
        calls.append(1)
        return x * 2
    for k in range(4):
        np.testing.assert_array_equal(double(lg.full((3,), float(k), device=device)).numpy(), [2.0 * k] * 3)
    assert len(calls) == 2  # (a run, a recording, then replays)
    assert isinstance(double, lg.jit.JitFunction)
