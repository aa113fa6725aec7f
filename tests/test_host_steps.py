"""Host steps (ir/host_step.py): a Graph IR node whose value the host makes between kernels, as
lazygrad.distributed's collectives do with MPI. Here a step that doubles its input on the host
stands in for MPI, so the scheduler, the engine, the schedule cache and lg.jit are checked in
one process (tests/test_distributed.py runs the real collectives on several ranks)."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.engine.realize import observers
from lazygrad.errors import InplaceModifiedError, IRParseError
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.ir.host_step import HostStep, host_node
from lazygrad.ir.parser import parse_graph
from lazygrad.ir.printer import print_graph
from lazygrad.schedule import schedule_cache
from lazygrad.schedule.schedule import create_schedule


class Scale(HostStep):
    """out = factor * the sum of the inputs, computed with numpy; `log` records each run."""

    def __init__(self, factor: float, log: list) -> None:
        super().__init__()
        self.factor, self.log = factor, log
        self.name = f"scale(x{factor:g})"
        self.key = self.name

    def start(self, out, inputs):
        self.log.append(("start", self.serial))
        value = sum(b.numpy().reshape(-1)[:n] for b, n in zip(inputs, self.sizes)) * self.factor

        def finish():
            out.copyin(value.astype(out.dtype.np))
            self.log.append(("finish", self.serial))
        return finish


def host(step: HostStep, *tensors):
    t = tensors[0]
    return lg.Tensor._wrap(host_node(step, [x.node for x in tensors], t.dtype, t.shape, t.device))


def test_a_host_step_runs_between_the_kernels_computing_its_input_and_reading_its_result():
    log: list = []
    x = lg.arange(6.0)
    y = host(Scale(3, log), x * 2) + 1
    schedule = create_schedule([y.node])
    assert [k.kind for k in schedule.kernels] == ["kernel", "host", "kernel"]
    assert schedule.kernels[1].name == "scale(x3)"
    assert "host step scale(x3)" in schedule.why[schedule.kernels[1].target]
    np.testing.assert_array_equal(y.numpy(), np.arange(6.0) * 6 + 1)
    assert [what for what, _ in log] == ["start", "finish"]


def test_a_host_step_starts_first_and_what_reads_its_result_runs_last():
    """The step starts as soon as its input is computed; kernels that do not need its result
    run while it is in flight; it finishes right before the first kernel reading it."""
    log: list = []
    x = lg.arange(4.0)
    reader = host(Scale(2, log), x * 3) + 1
    other = (x + 5).exp()  # needs no step: runs while the step is in flight
    schedule = create_schedule([reader.node, other.node])
    assert [k.kind for k in schedule.kernels] == ["kernel", "host", "kernel", "kernel"]
    assert schedule.kernels[2].target is other.node and schedule.kernels[3].target is reader.node
    ran = []

    def watch(event, **info):
        if event == "kernel_done":
            ran.append(info["kernel"].kind)
    observers.append(watch)
    try:
        lg.realize(reader, other)
    finally:
        observers.remove(watch)
    assert ran == ["kernel", "kernel", "host", "kernel"]  # the step completed after `other` ran
    np.testing.assert_array_equal(reader.numpy(), np.arange(4.0) * 6 + 1)


def test_steps_start_in_the_order_the_program_made_them():
    log: list = []
    first, second = Scale(2, log), Scale(5, log)
    x = lg.arange(3.0)
    b = host(second, x + 1)  # made second, but reached first by the graph
    a = host(first, x * 2)
    total = b + a
    np.testing.assert_array_equal(total.numpy(), (np.arange(3.0) + 1) * 5 + np.arange(3.0) * 4)
    starts = [serial for what, serial in log if what == "start"]
    assert starts == sorted(starts) == [first.serial, second.serial]


def test_every_call_is_a_new_step_and_the_schedule_cache_keys_on_what_it_does():
    log: list = []
    hits = schedule_cache.stats["hits"]
    for i in range(3):  # the same structure: remembered, and each call's own step runs
        x = lg.tensor(np.full(4, float(i), np.float32))
        np.testing.assert_array_equal(host(Scale(2, log), x + 1).numpy(), np.full(4, (i + 1) * 2.0))
    assert schedule_cache.stats["hits"] >= hits + 2 and len(log) == 6
    x = lg.arange(4.0).realize()
    assert host(Scale(2, log), x + 1).node is not host(Scale(2, log), x + 1).node  # each call: an event
    np.testing.assert_array_equal(host(Scale(7, log), x + 1).numpy(), (np.arange(4.0) + 1) * 7)  # not x2: the cache


def test_a_result_written_into_a_tensor_is_a_new_version_of_its_storage():
    log: list = []
    w = lg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = lg.tensor([4.0, 5.0, 6.0]).realize()
    view = x[1:]
    loss = (w * x).sum()  # saves x for w's gradient
    with no_grad():
        x.assign(host(Scale(10, log), x), _replaces=True).realize()
    np.testing.assert_array_equal(x.numpy(), [40.0, 50.0, 60.0])
    np.testing.assert_array_equal(view.numpy(), [50.0, 60.0])  # views see it
    with pytest.raises(InplaceModifiedError, match="modified by an inplace operation"):
        loss.backward()


def test_lg_jit_records_a_host_step_and_runs_it_again_on_every_replay():
    log: list = []

    @lg.jit
    def f(x):
        return host(Scale(2, log), x * 3) + 1
    for i in range(5):
        np.testing.assert_array_equal(f(lg.full((4,), float(i))).numpy(), np.full(4, 6.0 * i + 1))
    assert len(f.plans) == 1 and len([w for w, _ in log if w == "finish"]) == 5


def test_a_host_step_prints_but_does_not_parse_back():
    text = print_graph([host(Scale(2, []), lg.arange(3.0) + 1).node])
    assert "host %2 step='scale(x2)' device=c" in text
    with pytest.raises(IRParseError, match="host step"):
        parse_graph(text)
