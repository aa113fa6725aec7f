"""Differential testing against torch: random programs over the public API, run on lazygrad
(every device) and on torch, must agree.

A program is data: a tuple of Python statements over a module namespace `T` (torch or
lazygrad), `F` (its nn.functional), `nn`, `optim`, `DEV` (the device), `JIT` (lg.jit or the
identity) and `R` (record a value now). `programs` (and `training`, `higher_order`: custom autograd
Functions and second derivatives) generates them (hypothesis strategies) while
running each candidate step on torch, so every step is valid or raises on torch on purpose;
`runner` runs one on either side and compares the outcomes.
"""
