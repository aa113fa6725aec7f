"""Autograd as a graph transformation (issue #4): gradient rules per primitive, as data.

Placeholder mixin so Tensor's class layout is fixed; the rules and backward() land here.
"""
from __future__ import annotations


class AutogradMixin:
    pass
