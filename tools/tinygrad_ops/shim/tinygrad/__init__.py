"""A stand-in `tinygrad` package whose Tensor is lazygrad's, to run tinygrad's test_ops.py
unchanged against lazygrad (tools/tinygrad_ops/run.py)."""
from tinygrad.device import Device
from tinygrad.dtype import dtypes
from tinygrad.tensor import Tensor

__all__ = ["Device", "Tensor", "dtypes"]
