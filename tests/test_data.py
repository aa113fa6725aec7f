"""lazygrad.utils.data against torch.utils.data: datasets, samplers, collation and the DataLoader,
in one process and with worker processes. Where torch's behaviour is deterministic (batch
contents and order without shuffling, len(), collated structure and dtypes, split sizes,
exception classes) the two are compared; random orders are checked for what they must be
(permutations, reproducible under a seed), as they are numpy's, not torch's (docs/data.md).
"""
from __future__ import annotations

import collections
import copy
import os
import pickle
import time

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn, optim
from lazygrad.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

Point = collections.namedtuple("Point", ["x", "y"])


def plain(value):
    """A structure of Python values both libraries' results reduce to: a tensor becomes
    ("tensor", dtype name, shape, values); containers keep their kind."""
    if isinstance(value, lg.Tensor):
        return ("tensor", value.dtype.name, tuple(value.shape), value.tolist())
    if type(value).__module__.startswith("torch") and hasattr(value, "dtype"):
        return ("tensor", str(value.dtype).removeprefix("torch."), tuple(value.shape), value.tolist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return (type(value).__name__, *(plain(v) for v in value))
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def torch_data():
    """torch.utils.data, or a skip where torch is not installed."""
    return pytest.importorskip("torch").utils.data


class Squares(Dataset):
    """Sample i is (i, i * i) as Python ints; a map-style dataset both libraries can read."""

    def __init__(self, n: int):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"i": i, "sq": float(i * i)}

    def __len__(self) -> int:
        return self.n


def stream_type(data):
    """An IterableDataset of data's (lazygrad.utils.data or torch.utils.data) yielding 0..n-1; in a
    worker only the values v with v % num_workers == worker id."""

    def __iter__(self):
        info = data.get_worker_info()
        first, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(first, self.n, step))

    name = "Stream" if data is lg.utils.data else "TorchStream"
    return type(name, (data.IterableDataset,), {"__init__": lambda self, n: setattr(self, "n", n),
                                                 "__iter__": __iter__, "__module__": __name__})


Stream = stream_type(lg.utils.data)  # a module-level name, so spawned workers can unpickle it


def torch_stream(n: int):
    return stream_type(torch_data())(n)


# ---- module and exports ----------------------------------------------------------------------

def test_torch_programs_reach_it_as_torch_utils_data():
    import lazygrad as torch
    import lazygrad.utils.data
    from lazygrad.utils.data import DataLoader as imported

    assert torch.utils.data.DataLoader is imported is lazygrad.utils.data.DataLoader


def test_public_names_are_torchs():
    data = torch_data()
    ours = {n for n in dir(lg.utils.data) if not n.startswith("__")}
    assert ours - set(dir(data)) == set(), "names torch.utils.data does not have"
    assert {"DataLoader", "TensorDataset", "random_split", "default_collate", "get_worker_info"} <= ours


# ---- datasets --------------------------------------------------------------------------------

def test_tensor_dataset_indexes_every_tensor_along_dim_0(device):
    x = lg.tensor(np.arange(12, dtype=np.float32).reshape(4, 3), device=device)
    y = lg.tensor([5, 6, 7, 8], device=device)
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    assert xi.tolist() == [6.0, 7.0, 8.0] and yi.item() == 7 and xi.device == device


def test_tensor_dataset_size_mismatch_raises_torchs_class():
    with pytest.raises(AssertionError, match="size mismatch"):
        TensorDataset(lg.zeros(3), lg.zeros(4))
    torch = pytest.importorskip("torch")
    data = torch.utils.data
    with pytest.raises(AssertionError):
        data.TensorDataset(torch.zeros(3), torch.zeros(4))


def test_adding_datasets_concatenates_or_chains():
    both = Squares(2) + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both[3]["i"] == 1
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 0, 1, 2]


@pytest.mark.parametrize("index", [0, 2, 3, 6, -1, -7])
def test_concat_dataset_reads_across_its_parts_as_torch(index):
    data = torch_data()
    ours = ConcatDataset([Squares(3), Squares(4)])
    theirs = data.ConcatDataset([Squares(3), Squares(4)])
    assert ours.cumulative_sizes == theirs.cumulative_sizes == [3, 7]
    assert ours[index] == theirs[index]


@pytest.mark.parametrize("index, error", [(7, IndexError), (-8, ValueError)])
def test_concat_dataset_out_of_range_raises_torchs_class(index, error):
    with pytest.raises(error):
        ConcatDataset([Squares(3), Squares(4)])[index]
    data = torch_data()
    with pytest.raises(error):
        data.ConcatDataset([Squares(3), Squares(4)])[index]


def test_concat_and_chain_refuse_the_other_kind():
    with pytest.raises(AssertionError):
        ConcatDataset([Squares(2), Stream(2)])
    with pytest.raises(AssertionError):
        ConcatDataset([])
    with pytest.raises(AssertionError):
        list(ChainDataset([Stream(2), Squares(2)]))


def test_subset_reads_its_indices_in_order_one_or_a_batch_at_a_time():
    sub = Subset(Squares(10), [7, 2, 5])
    assert len(sub) == 3 and sub[0]["i"] == 7
    assert [s["i"] for s in sub.__getitems__([2, 0])] == [5, 7]


def test_a_subset_subclass_reading_its_own_way_must_say_how_to_read_a_batch():
    class Doubled(Subset):
        def __getitem__(self, i):
            return 2 * super().__getitem__(i)["i"]

    with pytest.raises(NotImplementedError, match="__getitems__"):
        Doubled(Squares(4), [1, 2])


def test_stack_dataset_zips_datasets_as_tuples_or_dicts():
    assert StackDataset(Squares(3), Squares(3))[1] == ({"i": 1, "sq": 1.0}, {"i": 1, "sq": 1.0})
    named = StackDataset(a=Squares(3), b=Subset(Squares(5), [4, 3, 2]))
    assert named.__getitems__([0, 2]) == [{"a": {"i": 0, "sq": 0.0}, "b": {"i": 4, "sq": 16.0}},
                                          {"a": {"i": 2, "sq": 4.0}, "b": {"i": 2, "sq": 4.0}}]
    with pytest.raises(ValueError):
        StackDataset(Squares(3), Squares(4))


SPLITS = [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (30, [0.3, 0.3, 0.4]), (7, [0.1, 0.2, 0.7]),
          (5, [1.0])]


@pytest.mark.parametrize("n, lengths", SPLITS)
def test_random_split_sizes_are_torchs_and_the_splits_partition_the_dataset(n, lengths):
    torch = pytest.importorskip("torch")
    data = torch.utils.data
    lg.manual_seed(0)
    ours = random_split(range(n), lengths)
    theirs = data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))


def test_random_split_is_reproducible_under_a_seed_or_a_generator():
    lg.manual_seed(3)
    first = [list(s) for s in random_split(range(20), [0.5, 0.5])]
    lg.manual_seed(3)
    assert [list(s) for s in random_split(range(20), [0.5, 0.5])] == first
    a = random_split(range(20), [5, 15], generator=lg.random.RandomState(1))
    b = random_split(range(20), [5, 15], generator=lg.random.RandomState(1))
    assert [list(s) for s in a] == [list(s) for s in b]
    assert list(a[0]) != list(random_split(range(20), [5, 15], generator=lg.random.RandomState(2))[0])


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [-0.5, 1.5]])
def test_random_split_bad_lengths_raise_value_error_as_torch(lengths):
    with pytest.raises(ValueError):
        random_split(range(10), lengths)
    data = torch_data()
    with pytest.raises(ValueError):
        data.random_split(range(10), lengths)


# ---- samplers --------------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)])
def test_sequential_batches_and_their_count_are_torchs(n, batch_size, drop_last):
    data = torch_data()
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = data.BatchSampler(data.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_random_sampler_gives_a_new_permutation_each_epoch_and_repeats_under_a_seed():
    sampler = RandomSampler(range(50))
    lg.manual_seed(0)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(50)) and first != second
    lg.manual_seed(0)
    assert list(sampler) == first


def test_random_sampler_draws_num_samples_with_or_without_replacement():
    with_replacement = list(RandomSampler(range(4), replacement=True, num_samples=100))
    assert len(with_replacement) == 100 and set(with_replacement) == {0, 1, 2, 3}
    cycled = list(RandomSampler(range(4), num_samples=10, generator=lg.random.RandomState(5)))
    assert len(cycled) == 10 and sorted(cycled[:4]) == sorted(cycled[4:8]) == [0, 1, 2, 3]
    assert len(RandomSampler(range(4), num_samples=10)) == 10


@pytest.mark.parametrize("kwargs, error", [({"replacement": 1}, TypeError), ({"num_samples": 0}, ValueError),
                                           ({"num_samples": 2.5}, ValueError)])
def test_random_sampler_bad_arguments_raise_torchs_class(kwargs, error):
    with pytest.raises(error):
        RandomSampler(range(4), **kwargs)
    data = torch_data()
    with pytest.raises(error):
        data.RandomSampler(range(4), **kwargs)


def test_subset_random_sampler_permutes_the_given_indices():
    drawn = list(SubsetRandomSampler([10, 20, 30, 40], generator=np.random.default_rng(0)))
    assert sorted(drawn) == [10, 20, 30, 40]


def test_weighted_random_sampler_never_draws_a_zero_weight():
    drawn = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200))
    assert set(drawn) == {1, 3} and drawn.count(3) > drawn.count(1)
    assert sorted(WeightedRandomSampler([1, 2, 0, 4], 3, replacement=False)) == [0, 1, 3]
    sampler = WeightedRandomSampler(lg.tensor([1.0, 2.0]), 5)
    assert sampler.weights.dtype == lg.float64 and len(sampler) == 5


def test_weighted_sampling_without_replacement_draws_zero_weights_only_after_the_others():
    drawn = list(WeightedRandomSampler([0.0, 3.0, 0.0, 1.0, 0.0], 4, replacement=False))
    assert sorted(drawn[:2]) == [1, 3] and len(set(drawn)) == 4 and set(drawn[2:]) <= {0, 2, 4}


@pytest.mark.parametrize("weights, num_samples, replacement, error", [
    ([1.0, 2.0], 0, True, ValueError),
    ([1.0, 2.0], 2, 1, ValueError),
    ([[1.0, 2.0]], 2, True, ValueError),
    ([1.0, 2.0], 3, False, RuntimeError),
    ([-1.0, 2.0], 2, True, RuntimeError),
    ([0.0, 0.0], 2, True, RuntimeError),
])
def test_weighted_random_sampler_errors_are_torchs(weights, num_samples, replacement, error):
    with pytest.raises(error):
        list(WeightedRandomSampler(weights, num_samples, replacement))
    data = torch_data()
    with pytest.raises(error):
        list(data.WeightedRandomSampler(weights, num_samples, replacement))


@pytest.mark.parametrize("batch_size, drop_last", [(0, False), (True, False), (2, 1)])
def test_batch_sampler_bad_arguments_raise_value_error_as_torch(batch_size, drop_last):
    with pytest.raises(ValueError):
        BatchSampler(range(4), batch_size, drop_last)
    data = torch_data()
    with pytest.raises(ValueError):
        data.BatchSampler(range(4), batch_size, drop_last)


# ---- collation -------------------------------------------------------------------------------

COLLATE_CASES = {
    "ints": [0, 1, 2],
    "floats": [0.5, 1.0],
    "bools": [True, False],
    "ints and floats": [1, 2.5],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "numpy float32 scalars": [np.float32(1.5), np.float32(2)],
    "numpy int16 scalars": [np.int16(1), np.int16(2)],
    "numpy bool scalars": [np.bool_(True), np.bool_(False)],
    "numpy arrays": [np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)],
    "0-d numpy arrays": [np.array(1.5), np.array(2.5)],
    "numpy arrays of two dtypes": [np.ones(2, np.float32), np.ones(2, np.int64)],
    "dicts": [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "tuples": [(1, "x"), (2, "y")],
    "lists": [[1, 2], [3, 4]],
    "nested": [{"p": Point(np.zeros(2, np.float32), "s"), "t": (1,)}] * 2,
}


@pytest.mark.parametrize("case", COLLATE_CASES)
def test_default_collate_structure_dtypes_and_values_are_torchs(case):
    data = torch_data()
    batch = COLLATE_CASES[case]
    assert plain(default_collate(batch)) == plain(data.default_collate(batch))


@pytest.mark.parametrize("case", ["ints", "numpy float32 scalars", "numpy arrays", "dicts", "namedtuples", "tuples",
                                  "nested"])
def test_default_convert_is_torchs(case):
    data = torch_data()
    batch = COLLATE_CASES[case]
    assert plain(default_convert(batch)) == plain(data.default_convert(batch))


@pytest.mark.parametrize("batch, error", [
    ([object(), object()], TypeError),
    ([np.array(["a"]), np.array(["b"])], TypeError),
    ([None, None], TypeError),
    ([[1, 2], [3]], RuntimeError),
    ([np.zeros(2), np.zeros(3)], RuntimeError),
])
def test_what_cannot_be_collated_raises_torchs_class(batch, error):
    with pytest.raises(error):
        default_collate(batch)
    data = torch_data()
    with pytest.raises(error):
        data.default_collate(batch)


def test_collating_tensors_stacks_them_on_their_device(device):
    rows = [lg.tensor([1.0, 2.0], device=device), lg.tensor([3.0, 4.0], device=device)]
    out = default_collate([(r, i) for i, r in enumerate(rows)])
    assert out[0].device == device and out[0].tolist() == [[1.0, 2.0], [3.0, 4.0]] and out[1].tolist() == [0, 1]


def test_a_tensor_dataset_batch_collates_to_the_gathered_tensors_or_to_a_stack_once_changed(device):
    x = lg.tensor(np.arange(10, dtype=np.float32).reshape(5, 2), device=device)
    ds = TensorDataset(x, lg.arange(5, device=device))
    batch = ds.__getitems__([4, 0, 2])
    assert [[row.tolist() for row in sample] for sample in batch] == [[[8.0, 9.0], 4], [[0.0, 1.0], 0],
                                                                      [[4.0, 5.0], 2]]
    assert plain(default_collate(batch)) == plain(default_collate(list(batch)))
    batch.pop()
    xs, ys = default_collate(batch)
    assert xs.tolist() == [[8.0, 9.0], [0.0, 1.0]] and ys.tolist() == [4, 0]


# ---- pickling tensors ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [lg.float32, lg.int64, lg.bool_, lg.float16])
def test_tensors_pickle_with_their_value_dtype_and_device(device, dtype):
    t = lg.tensor(np.arange(6).reshape(2, 3) % 3, dtype=dtype, device=device)
    back = pickle.loads(pickle.dumps(t[:, 1:]))
    assert (back.dtype, back.device, back.shape) == (dtype, device, (2, 2))
    assert back.tolist() == t[:, 1:].tolist()


def test_a_pickled_tensor_keeps_requires_grad_and_its_class_but_not_its_graph(device):
    w = nn.Parameter(lg.ones(2, device=device))
    back = pickle.loads(pickle.dumps(w))
    assert type(back) is nn.Parameter and back.requires_grad and back.device == device
    result = pickle.loads(pickle.dumps(w * 2))
    assert result.requires_grad and result.tolist() == [2.0, 2.0]
    result.sum().backward()
    assert result.grad.tolist() == [1.0, 1.0] and w.grad is None


def test_deepcopy_of_a_module_copies_its_parameters(device):
    model = nn.Linear(2, 2).to(device)
    twin = copy.deepcopy(model)
    with lg.no_grad():
        twin.weight.mul_(0.0)
    assert isinstance(twin.weight, nn.Parameter) and np.abs(model.weight.detach().numpy()).sum() > 0


# ---- DataLoader, one process -----------------------------------------------------------------

LOADERS = {
    "batch 4": {"batch_size": 4},
    "batch 4, drop last": {"batch_size": 4, "drop_last": True},
    "no batching": {"batch_size": None},
    "batch sampler": {"batch_sampler": [[3, 1], [0], [9, 8, 7]]},
    "sampler": {"sampler": [5, 3, 1], "batch_size": 2},
    "collate_fn": {"batch_size": 3, "collate_fn": lambda samples: [s["i"] for s in samples]},
}


@pytest.mark.parametrize("case", LOADERS)
def test_map_style_batches_and_len_are_torchs(case):
    data = torch_data()
    ours = DataLoader(Squares(10), **LOADERS[case])
    theirs = data.DataLoader(Squares(10), **LOADERS[case])
    assert len(ours) == len(theirs)
    assert plain(list(ours)) == plain(list(theirs))


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}])
def test_iterable_batches_are_torchs(kwargs):
    data = torch_data()
    assert plain(list(DataLoader(Stream(7), **kwargs))) == plain(list(data.DataLoader(torch_stream(7), **kwargs)))


@pytest.mark.parametrize("kwargs", [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}])
def test_len_of_an_iterable_loader_is_torchs(kwargs):
    sized = type("Sized", (Stream,), {"__len__": lambda self: self.n})
    with pytest.raises(TypeError):
        len(DataLoader(Stream(7), **kwargs))
    data = torch_data()
    torch_sized = type("Sized", (type(torch_stream(0)),), {"__len__": lambda self: self.n})
    assert len(DataLoader(sized(7), **kwargs)) == len(data.DataLoader(torch_sized(7), **kwargs))
    with pytest.raises(TypeError):
        len(data.DataLoader(torch_stream(7), **kwargs))


MISUSES = [
    ("map", {"shuffle": True, "sampler": [0, 1]}),
    ("map", {"batch_sampler": [[0]], "batch_size": 2}),
    ("map", {"batch_sampler": [[0]], "shuffle": True}),
    ("map", {"batch_sampler": [[0]], "drop_last": True}),
    ("map", {"batch_sampler": [[0]], "sampler": [0]}),
    ("map", {"batch_size": None, "drop_last": True}),
    ("map", {"num_workers": -1}),
    ("map", {"timeout": -1}),
    ("map", {"prefetch_factor": 2}),
    ("map", {"persistent_workers": True}),
    ("map", {"multiprocessing_context": "fork"}),
    ("map", {"num_workers": 1, "multiprocessing_context": "no such method"}),
    ("iterable", {"shuffle": True}),
    ("iterable", {"sampler": [0]}),
    ("iterable", {"batch_sampler": [[0]]}),
]


@pytest.mark.parametrize("kind, kwargs", MISUSES)
def test_conflicting_options_raise_value_error_as_torch(kind, kwargs):
    with pytest.raises(ValueError):
        DataLoader(Squares(4) if kind == "map" else Stream(4), **kwargs)
    data = torch_data()
    with pytest.raises(ValueError):
        data.DataLoader(Squares(4) if kind == "map" else torch_stream(4), **kwargs)


def test_options_that_shape_a_pass_cannot_change_after_construction():
    loader = DataLoader(Squares(4))
    for name in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError):
            setattr(loader, name, None)
    loader.num_workers = 0  # others may


def test_shuffling_reads_each_sample_once_a_new_order_each_epoch_repeated_under_a_seed():
    loader = DataLoader(Squares(30), batch_size=7, shuffle=True)
    lg.manual_seed(1)
    epochs = [[i for b in loader for i in b["i"].tolist()] for _ in range(2)]
    assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(30)) and epochs[0] != epochs[1]
    lg.manual_seed(1)
    assert [i for b in loader for i in b["i"].tolist()] == epochs[0]
    seeded = [[b["i"].tolist() for b in DataLoader(Squares(30), batch_size=7, shuffle=True,
                                                   generator=lg.random.RandomState(9))] for _ in range(2)]
    assert seeded[0] == seeded[1]


def test_get_worker_info_is_none_in_the_main_process():
    assert get_worker_info() is None


def test_a_tensor_dataset_loads_on_its_device(device):
    x = lg.tensor(np.arange(14, dtype=np.float32).reshape(7, 2), device=device)
    batches = list(DataLoader(TensorDataset(x, lg.arange(7, device=device)), batch_size=3))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[2][0].tolist() == [[12.0, 13.0]] and batches[0][0].device == device


def test_a_shuffled_training_loop_lowers_the_loss(device):
    lg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    loader = DataLoader(TensorDataset(lg.tensor(x, device=device), lg.tensor(y, device=device)), batch_size=16,
                        shuffle=True)
    model = nn.Linear(3, 1).to(device)
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(6):
        total = 0.0
        for xb, yb in loader:
            loss = F.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / len(x))
    assert losses[-1] < 0.1 * losses[0], losses


# ---- DataLoader, worker processes ------------------------------------------------------------

class WhoLoads(Dataset):
    """Sample i says which worker read it and what worker_init_fn left on that worker's copy."""

    def __init__(self, n: int):
        self.n = n
        self.tag = "not initialized"

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "worker": info.id, "pid": os.getpid(), "tag": self.tag, "seed": info.seed}

    def __len__(self) -> int:
        return self.n


def tag_worker(worker_id: int) -> None:
    get_worker_info().dataset.tag = f"initialized {worker_id}"


def test_two_workers_keep_the_sampler_order_and_run_worker_init_fn():
    loader = DataLoader(WhoLoads(11), batch_size=2, num_workers=2, worker_init_fn=tag_worker)
    batches = list(loader)
    assert len(batches) == len(loader) == 6
    assert [i for b in batches for i in b["i"].tolist()] == list(range(11))
    assert [b["worker"].tolist()[0] for b in batches] == [0, 1, 0, 1, 0, 1]
    assert all(b["tag"] == [f"initialized {b['worker'].tolist()[0]}"] * len(b["tag"]) for b in batches)
    pids = {b["pid"].tolist()[0] for b in batches}
    assert len(pids) == 2 and os.getpid() not in pids
    seeds = {b["worker"].tolist()[0]: b["seed"].tolist()[0] for b in batches}
    assert seeds[1] == seeds[0] + 1


def test_two_workers_shard_an_iterable_dataset_in_torchs_order():
    ours = [b.tolist() for b in DataLoader(Stream(9), batch_size=2, num_workers=2)]
    assert sorted(i for b in ours for i in b) == list(range(9))
    data = torch_data()
    assert ours == [b.tolist() for b in data.DataLoader(torch_stream(9), batch_size=2, num_workers=2)]


class Failing(Dataset):
    def __getitem__(self, i):
        if i == 3:
            raise KeyError(f"no sample {i}")
        return i

    def __len__(self) -> int:
        return 6


def test_an_error_in_a_worker_is_raised_in_the_main_process_with_its_class():
    loader = iter(DataLoader(Failing(), batch_size=2, num_workers=2))
    assert next(loader).tolist() == [0, 1]
    with pytest.raises(KeyError, match="no sample 3"):
        next(loader)


def test_persistent_workers_serve_every_epoch_from_the_same_processes():
    loader = DataLoader(WhoLoads(4), batch_size=2, num_workers=2, persistent_workers=True, worker_init_fn=tag_worker)
    epochs = [list(loader) for _ in range(2)]
    pids = [sorted(b["pid"].tolist()[0] for b in epoch) for epoch in epochs]
    assert pids[0] == pids[1]
    assert [[i for b in epoch for i in b["i"].tolist()] for epoch in epochs] == [[0, 1, 2, 3]] * 2


class Dying(Dataset):
    def __getitem__(self, i):
        os._exit(3)

    def __len__(self) -> int:
        return 2


def test_a_worker_that_dies_is_reported_with_its_pid():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"):
        list(DataLoader(Dying(), num_workers=1))


def test_an_iterable_dataset_longer_than_its_len_warns_as_torch():
    class Overlong(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Overlong(4), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="reported a length of 2"):
        assert list(loader) == [0, 1, 2, 3]


class Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(0.8)
        return i

    def __len__(self) -> int:
        return 2


def test_a_worker_slower_than_timeout_raises_runtime_error():
    loader = iter(DataLoader(Slow(), num_workers=1, timeout=0.1))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out"):
        try:
            next(loader)
        finally:
            waited = time.monotonic() - started
    assert waited < 0.7


def test_workers_send_tensors_on_the_dataset_device(device):
    # OpenCL does not survive fork (a forked child's first OpenCL call hangs): spawn, as torch's CUDA
    context = "spawn" if device == "opencl" else None
    x = lg.tensor(np.arange(12, dtype=np.float32).reshape(6, 2), device=device)
    loader = DataLoader(TensorDataset(x, lg.arange(6, device=device)), batch_size=4, num_workers=2,
                        multiprocessing_context=context)
    (x0, y0), (x1, y1) = list(loader)
    assert x0.device == device and y0.tolist() == [0, 1, 2, 3] and y1.tolist() == [4, 5]
    assert x1.tolist() == [[8.0, 9.0], [10.0, 11.0]]


@pytest.mark.slow
def test_spawned_workers_load_an_iterable_dataset():
    batches = list(DataLoader(Stream(5), batch_size=2, num_workers=2, multiprocessing_context="spawn"))
    assert [b.tolist() for b in batches] == [[0, 2], [1, 3], [4]]
