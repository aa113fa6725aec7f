"""lazygrad.futures (torch.futures): Future, collect_all, wait_all, step by step beside torch's.

Work.get_future() of lazygrad.distributed returns these futures; its multi-rank checks are in
tests/distributed/collectives_check.py and p2p_check.py."""
from __future__ import annotations

import threading

import pytest

import lazygrad as lg
from lazygrad.futures import Future, collect_all, wait_all

torch = pytest.importorskip("torch")


def _outcome(call):
    try:
        return ("value", call())
    except Exception as e:  # noqa: BLE001
        return (type(e).__name__, str(e).split("\n")[0])


@pytest.mark.parametrize("lib", ["torch", "lazygrad"])
def test_a_future_completes_once_and_runs_its_callbacks_in_order(lib):
    F = torch.futures.Future if lib == "torch" else Future
    order = []
    f = F()
    assert not f.done()
    f.add_done_callback(lambda fut: order.append(("callback", fut.value())))
    child = f.then(lambda fut: order.append("then") or fut.wait() + 1)
    f.set_result(5)
    assert order == [("callback", 5), "then"] and child.wait() == 6 and f.done()
    twice = "Attempting to mark a completed Future as complete again. Note that a Future can only be marked completed once."
    assert _outcome(lambda: f.set_result(6)) == ("RuntimeError", twice)
    late = []
    f.add_done_callback(lambda fut: late.append(fut.wait()))  # already complete: runs now
    assert late == [5]


def _errors(F):
    e = F()
    e.set_exception(ValueError("bad"))
    failing = F()
    failing.set_result(1)
    return [_outcome(e.wait), _outcome(e.value), e.done(), _outcome(e.then(lambda fut: fut.wait()).wait),
            _outcome(failing.then(lambda fut: 1 / 0).wait), _outcome(lambda: F().set_exception(5))]


def test_exceptions_travel_as_torchs_do():
    ours, theirs = _errors(Future), _errors(torch.futures.Future)
    assert ours == theirs
    assert ours[3] == ("RuntimeError", "Got the following error when running the callback: ValueError: bad")


def test_a_raising_done_callback_is_reported_not_raised(capfd):
    f = Future()
    f.add_done_callback(lambda fut: 1 / 0)
    f.set_result(2)
    assert f.value() == 2
    assert "ZeroDivisionError: division by zero" in capfd.readouterr().err


def _collected(F, collect, wait):
    a, b, x = F(), F(), F()
    both = collect([a, b])
    pending = both.done()
    a.set_result(1)
    b.set_result(2)
    x.set_exception(ValueError("boom"))
    return [pending, [f.wait() for f in both.wait()], wait([a, b]), _outcome(lambda: wait([a, x])),
            _outcome(collect([a, x]).wait), collect([]).wait(), _outcome(lambda: collect([1]))[0]]


def test_collect_all_and_wait_all_match_torch():
    assert _collected(Future, collect_all, wait_all) == _collected(
        torch.futures.Future, torch.futures.collect_all, torch.futures.wait_all)


def test_wait_blocks_until_another_thread_sets_the_result():
    f = Future()
    later = f.then(lambda fut: fut.value() * 2)
    threading.Timer(0.05, f.set_result, (21,)).start()
    assert later.wait() == 42 and f.wait() == 21


def test_a_lazily_progressing_source_is_driven_by_wait_and_polled_by_done():
    """Work.get_future()'s kind: settle runs on wait(), check on done(); a then() chain drives its source."""
    polls = []
    f = Future()
    f._settle, f._check = (lambda: f.set_result("ran")), (lambda: polls.append(1))
    chained = f.then(lambda fut: fut.value() + "!").then(lambda fut: fut.value() * 2)
    assert not chained.done() and polls == [1]
    assert chained.wait() == "ran!ran!" and f.done()


def test_torch_jit_future_is_torch_futures_future_and_fork_returns_one():
    assert lg.jit.Future is Future and torch.jit.Future is torch.futures.Future
    fut = lg.fork(lambda v: v + 1, 1)
    assert isinstance(fut, Future) and fut.done() and lg.wait(fut) == 2
    assert Future[int] is not None  # generic, as torch's
