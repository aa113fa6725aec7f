"""nn.Module's state_dict protocol against torch running the same program: modules that
override _save_to_state_dict or _load_from_state_dict (converting an old checkpoint by its
version in _metadata), extra state, the state_dict and load_state_dict hooks with their
arguments and order, strict's errors as the load post-hooks leave the keys, assign=True, hook
removal, and hooks surviving deepcopy and pickling."""
from __future__ import annotations

import copy
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def values(x):
    return np.round(np.array(x.detach().tolist(), dtype=np.float64), 5).tolist()


def set_weights(T, m) -> None:
    with T.no_grad():
        for i, p in enumerate(m.parameters()):
            p.copy_(T.arange(p.numel(), dtype=T.float32).reshape(p.shape) * 0.1 - 0.2 * i)


def scale_class(T):
    class Scale(T.nn.Module):
        """Version 2 renamed the parameter `w` to `weight`: an old checkpoint is converted on load."""
        _version = 2

        def __init__(self):
            super().__init__()
            self.weight = T.nn.Parameter(T.ones(2))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                                  unexpected_keys, error_msgs):
            version = local_metadata.get("version")
            if (version is None or version < 2) and prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                          unexpected_keys, error_msgs)

        def forward(self, x):
            return x * self.weight
    return Scale


def renamed_key_program(T, kw):
    Scale = scale_class(T)
    m = T.nn.Sequential(Scale(), T.nn.Linear(2, 2)).to(**kw)
    set_weights(T, m)
    saved = m.state_dict()
    old = OrderedDict([("0.w", T.tensor([3.0, -1.0], **kw)), ("1.weight", saved["1.weight"]),
                       ("1.bias", saved["1.bias"])])
    old._metadata = OrderedDict([("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 1})])
    fresh = T.nn.Sequential(Scale(), T.nn.Linear(2, 2)).to(**kw)
    result = fresh.load_state_dict(old)
    no_metadata = T.nn.Sequential(Scale(), T.nn.Linear(2, 2)).to(**kw)
    no_metadata.load_state_dict({"0.w": T.tensor([0.5, 2.0], **kw), "1.weight": saved["1.weight"],
                                 "1.bias": saved["1.bias"]})
    x = T.tensor([[1.0, 2.0]], **kw)
    return (list(saved), dict(saved._metadata), repr(result), values(fresh(x)), values(no_metadata(x)),
            values(fresh[0].weight))


def saved_differently_program(T, kw):
    class Transposed(T.nn.Linear):
        """Keeps its weight transposed in the checkpoint, under another name."""
        def _save_to_state_dict(self, destination, prefix, keep_vars):
            destination[prefix + "weight_t"] = self.weight.detach().t()
            destination[prefix + "bias"] = self.bias.detach()

    m = T.nn.Sequential(T.nn.ReLU(), Transposed(3, 2)).to(**kw)
    set_weights(T, m)
    sd = m.state_dict()
    return [(k, list(v.shape), values(v)) for k, v in sd.items()], dict(sd._metadata)


def extra_state_program(T, kw):
    class Counter(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = T.nn.Parameter(T.ones(1))
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return x * self.scale

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]

    m = T.nn.Sequential(Counter(), Counter()).to(**kw)
    m(m(T.ones(1, **kw)))
    m[1](T.ones(1, **kw))
    sd = m.state_dict()
    other = T.nn.Sequential(Counter(), Counter()).to(**kw)
    other.load_state_dict(sd)
    shown = [(k, v if isinstance(v, dict) else values(v)) for k, v in sd.items()]
    partial = {k: v for k, v in sd.items() if k != "1._extra_state"}
    return shown, [c.calls for c in other], repr(Counter().to(**kw).load_state_dict(partial, strict=False))


@pytest.mark.parametrize("program", [renamed_key_program, saved_differently_program, extra_state_program])
def test_state_dict_protocol_is_torchs(device, program):
    assert program(lg, {"device": device}) == program(torch, {})


def _key_errors(T, model, state, **kwargs):
    """What strict's RuntimeError says, one line a kind, without lazygrad's shape notes."""
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state, **kwargs)
    return [re.sub(r" \((expected )?shape [^)]*\)", "", line).rstrip(". ") for line in str(info.value).split("\n\t")]


def test_extra_state_without_a_setter_is_unexpected_and_without_its_key_missing():
    seen = []
    for T in (lg, torch):
        class Saves(T.nn.Module):
            def get_extra_state(self):
                return 5

        class Loads(T.nn.Module):
            def set_extra_state(self, state):
                pass

        assert dict(Saves().state_dict()) == {"_extra_state": 5}
        seen.append((_key_errors(T, Saves(), {"_extra_state": 5}), _key_errors(T, Loads(), {}),
                     repr(Loads().load_state_dict({}, strict=False)), type(T.nn.Module().get_extra_state)))
        with pytest.raises(RuntimeError, match="should never be called"):
            T.nn.Module().get_extra_state()
    assert seen[0][:3] == seen[1][:3]


def hook_program(T, kw):
    log = []

    def shapes(d):
        return sorted((k, list(v.shape)) for k, v in d.items())

    m = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.Sequential(T.nn.Linear(3, 1))).to(**kw)
    child = m[1]
    child.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(
        ("pre", mod._get_name(), prefix, keep_vars)))
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: log.append(("pre", mod._get_name(), prefix)))
    child.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(
        ("post", prefix, meta, shapes(sd))))
    child._register_state_dict_hook(lambda mod, sd, prefix, meta: {"ignored": 1})  # (not the root: ignored)
    gone = m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append("removed"))
    gone.remove()
    sd = m.state_dict(keep_vars=True)
    log.append(("keys", shapes(sd), sorted({type(v).__name__ for v in sd.values()})))
    root_hook = m._register_state_dict_hook(lambda mod, sd, prefix, meta: OrderedDict(
        (k, v) for k, v in sd.items() if "bias" not in k))
    log.append(("legacy root", list(m.state_dict())))
    root_hook.remove()

    m[0].register_load_state_dict_pre_hook(lambda mod, sd, prefix, meta, strict, missing, unexpected, errors: log.append(
        ("load pre", mod._get_name(), prefix, meta, strict, list(missing), list(unexpected), list(errors),
         sorted(sd))))
    child._register_load_state_dict_pre_hook(lambda sd, prefix, meta, strict, missing, unexpected, errors: log.append(
        ("load pre without module", prefix, meta, sorted(sd))))
    child._register_load_state_dict_pre_hook(lambda mod, *rest: log.append(("with module", mod._get_name())),
                                             with_module=True)
    child.register_load_state_dict_post_hook(lambda mod, keys: log.append(
        ("load post", mod._get_name(), list(keys.missing_keys), list(keys.unexpected_keys))))
    m.register_load_state_dict_post_hook(lambda mod, keys: log.append(("root post", repr(keys))))
    state = m.state_dict()
    log.append(("all keys", repr(m.load_state_dict(state))))
    del state["1.0.bias"]
    state["1.0.extra"] = T.zeros(1, **kw)
    log.append(("not strict", repr(m.load_state_dict(state, strict=False))))
    log.append(("assign", repr(m.load_state_dict(m.state_dict(), assign=True))))
    return log


def test_state_dict_hooks_see_torchs_arguments_in_torchs_order(device):
    ours, theirs = hook_program(lg, {"device": device}), hook_program(torch, {})
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == b


def post_hook_strict_program(T):
    m = T.nn.Linear(2, 2)
    state = m.state_dict()
    state["stale"] = T.zeros(1)
    forgive = m.register_load_state_dict_post_hook(lambda mod, keys: keys.unexpected_keys.clear())
    forgiven = repr(m.load_state_dict(state))
    forgive.remove()
    m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.append("invented"))
    blamed = _key_errors(T, m, m.state_dict())
    m2 = T.nn.Linear(2, 2)
    m2.register_load_state_dict_post_hook(lambda mod, keys: keys)
    with pytest.raises(AssertionError, match="not expected to return new values"):
        m2.load_state_dict(m2.state_dict())
    m3 = T.nn.Linear(2, 2)
    m3.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd)
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m3.state_dict()
    return forgiven, blamed


def test_load_post_hooks_decide_stricts_error_as_in_torch():
    assert post_hook_strict_program(lg) == post_hook_strict_program(torch)


def assign_program(T, kw):
    m = T.nn.BatchNorm1d(2).to(**kw)
    m.weight.requires_grad_(False)
    old_weight, old_mean = m.weight, m.running_mean
    state = {"weight": T.tensor([2.0, 3.0], **kw), "bias": T.nn.Parameter(T.tensor([1.0, 1.0], **kw)),
             "running_mean": T.tensor([0.5, 0.5], **kw), "running_var": T.tensor([2.0, 2.0], **kw),
             "num_batches_tracked": T.tensor(4, **kw)}
    m.load_state_dict(state, assign=True)
    return (m.weight is old_weight, type(m.weight).__name__, m.weight.requires_grad, m.bias.requires_grad,
            m.running_mean is old_mean, m.running_mean is state["running_mean"], values(m.weight),
            [n for n, _ in m.named_parameters()], values(m(T.tensor([[1.0, 2.0], [3.0, 5.0]], **kw))))


def test_assign_makes_the_checkpoints_tensors_the_modules(device):
    assert assign_program(lg, {"device": device}) == assign_program(torch, {})


def test_state_dict_takes_torchs_positional_legacy_form():
    seen = []
    for T in (lg, torch):
        m = T.nn.Linear(2, 1)
        out = OrderedDict()
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            got = m.state_dict(out, "net.", True)
        seen.append((got is out, [(k, type(v).__name__) for k, v in out.items()], hasattr(out, "_metadata")))
        m.state_dict(destination=out, prefix="again.")
    assert seen[0] == seen[1]


def test_a_value_that_is_no_tensor_is_reported_with_the_other_errors():
    for T in (lg, torch):
        with pytest.raises(RuntimeError, match='While copying the parameter named "bias", expected .*Tensor or '
                                               "Tensor-like object from checkpoint but received <class 'str'>"):
            T.nn.Linear(2, 1).load_state_dict({"weight": T.zeros(1, 2), "bias": "zero"})
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
            T.nn.Linear(2, 1).load_state_dict([])


def test_arrays_and_lazygrad_tensors_still_load_and_lazy_modules_take_their_shapes():
    m = lg.nn.LazyLinear(2)
    m.load_state_dict({"weight": np.ones((2, 3), np.float32), "bias": lg.tensor([1.0, -1.0])})
    assert m(lg.ones(1, 3)).tolist() == [[4.0, 2.0]]


def _log_hook(log):
    def hook(mod, sd, prefix, meta, strict, missing, unexpected, errors):
        log.append(mod)
    return hook


def test_hooks_survive_deepcopy_and_pickling_and_see_the_copy():
    for T in (lg, torch):
        log = []
        m = T.nn.Linear(2, 2)
        m.register_load_state_dict_pre_hook(_log_hook(log))
        twin = copy.deepcopy(m)
        twin.load_state_dict(twin.state_dict())
        assert log == [twin]
        plain = pickle.loads(pickle.dumps(T.nn.Linear(2, 2)))  # (a module that never had hooks)
        plain.register_state_dict_pre_hook(lambda *args, log=log: log.append("pickled"))
        plain.state_dict()
        assert log[-1] == "pickled"


def test_a_removed_hook_stays_in_a_deepcopy_made_before():
    for T in (lg, torch):
        log = []
        m = T.nn.Linear(2, 2)
        handle = m.register_state_dict_pre_hook(lambda *args, log=log: log.append("hook"))
        twin = copy.deepcopy(m)
        handle.remove()
        m.state_dict()
        twin.state_dict()
        assert log == ["hook"]


def test_module_class_attributes_are_torchs():
    for T in (lg, torch):
        m = T.nn.Sequential(T.nn.Linear(2, 2))
        assert (T.nn.Module._version, T.nn.Module.call_super_init, T.nn.Module.dump_patches) == (1, False, False)
        assert m._get_name() == "Sequential"
        assert [n for n, _ in m._named_members(lambda mod: mod._parameters.items(), prefix="p")] == \
            ["p.0.weight", "p.0.bias"]


def test_a_shared_module_is_named_under_each_name_without_removing_duplicates():
    seen = []
    for T in (lg, torch):
        shared = T.nn.Linear(2, 2)
        m = T.nn.Sequential(shared, shared)
        seen.append(([n for n, _ in m.named_parameters(remove_duplicate=False)], [n for n, _ in m.named_parameters()],
                     list(m.state_dict())))
    assert seen[0] == seen[1]


def test_non_persistent_buffers_are_neither_saved_nor_expected():
    seen = []
    for T in (lg, torch):
        m = T.nn.Module()
        m.register_buffer("kept", T.zeros(1))
        m.register_buffer("scratch", T.zeros(1), persistent=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            seen.append((list(m.state_dict()), _key_errors(T, m, {"kept": T.ones(1), "scratch": T.ones(1)})))
    assert seen[0] == seen[1]


def old_batch_norm_program(T, kw):
    """A checkpoint from before num_batches_tracked (version 1, or no metadata) loads strictly."""
    m = T.nn.Sequential(T.nn.BatchNorm1d(2), T.nn.InstanceNorm1d(2, track_running_stats=True)).to(**kw)
    state = {k: v for k, v in m.state_dict().items() if "num_batches_tracked" not in k}
    state["0.running_mean"] = T.tensor([1.0, 2.0], **kw)
    result = m.load_state_dict(state)
    versioned = OrderedDict(state)
    versioned._metadata = {"0": {"version": 2}, "1": {"version": 2}}
    return (repr(result), dict(m.state_dict()._metadata), values(m[0].running_mean),
            _key_errors(T, m, versioned))


def test_batch_norm_state_dicts_are_version_2_and_older_ones_load(device):
    assert old_batch_norm_program(lg, {"device": device}) == old_batch_norm_program(torch, {})


def test_a_lazy_modules_hooks_stay_once_its_first_input_sets_its_size():
    seen = []
    for T in (lg, torch):
        log = []
        m = T.nn.LazyLinear(2)
        m.register_forward_hook(lambda mod, args, out, log=log: log.append("forward"))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta, log=log: log.append(sorted(sd)))
        m(T.ones(1, 3))
        m.state_dict()
        seen.append((log, type(m).__name__))
    assert seen[0] == seen[1]
