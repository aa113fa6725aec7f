"""Tensor factories (zeros, ones, arange, rand, ...). Filled in by the front-end work."""
from __future__ import annotations

__all__: list[str] = []
