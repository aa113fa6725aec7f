"""Run after `pip install -e examples/backend_cstub`: the entry point makes the device known
to lazygrad, and it computes what numpy computes. The whole core suite runs on it with
`LAZYGRAD_TEST_DEVICES=cstub pytest tests/test_core.py` from the repository root."""
import numpy as np

import lazygrad as lg


def test_entry_point_registers_the_device():
    record = {d.name: d for d in lg.devices()}["cstub"]
    assert record.available, record.reason


def test_calls_go_through_an_array_of_pointers():
    x = lg.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device="cstub")
    source = (x * 2).schedule()[0].source()
    assert "(void **args)" in source and "#pragma omp" not in source
    np.testing.assert_allclose((x @ x.T).numpy(), x.numpy() @ x.numpy().T)
