"""torch.return_types: the named tuples that max(dim), sort, topk, kthvalue, median, mode,
cummax, aminmax, frexp and slogdet return.

torch makes them C struct sequences: a tuple subclass per op, named after the op, whose fields
are also attributes (`values`, `indices`), built from one sequence (`max((v, i))`), printed one
field a line. Programs unpack them, index them, read `.values` and test `type(r).__name__`, so
each op gets its own type here, in the module lazygrad.return_types (pickles find them there).
"""
from __future__ import annotations

import operator


class StructSeq(tuple):
    """A tuple with named fields, as CPython's structseq: built from one sequence of exactly
    n_fields items; equal to, and hashing as, the plain tuple."""

    _fields: tuple[str, ...] = ()
    n_fields = n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, sequence=None):
        if sequence is None or isinstance(sequence, (str, bytes)) or not hasattr(sequence, "__iter__"):
            raise TypeError("constructor requires a sequence")
        values = tuple(sequence)
        if len(values) != cls.n_fields:
            raise TypeError(f"{cls.__module__}.{cls.__name__}() takes a {cls.n_fields}-sequence "
                            f"({len(values)}-sequence given)")
        return super().__new__(cls, values)

    def __repr__(self) -> str:
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{type(self).__module__}.{type(self).__name__}(\n{fields})"

    def __reduce__(self):
        return type(self), (tuple(self),)


def _struct_seq(name: str, fields: tuple[str, ...]) -> type:
    attributes = {field: property(operator.itemgetter(i), doc=f"item {i}") for i, field in enumerate(fields)}
    cls = type(name, (StructSeq,), {"__slots__": (), "_fields": fields, "n_fields": len(fields),
                                     "n_sequence_fields": len(fields), "__module__": "lazygrad.return_types",
                                     "__doc__": f"What {name} returns: ({', '.join(fields)}).", **attributes})
    cls.__qualname__ = name
    return cls


max = _struct_seq("max", ("values", "indices"))  # (torch's names)
min = _struct_seq("min", ("values", "indices"))
sort = _struct_seq("sort", ("values", "indices"))
topk = _struct_seq("topk", ("values", "indices"))
kthvalue = _struct_seq("kthvalue", ("values", "indices"))
median = _struct_seq("median", ("values", "indices"))
nanmedian = _struct_seq("nanmedian", ("values", "indices"))
mode = _struct_seq("mode", ("values", "indices"))
cummax = _struct_seq("cummax", ("values", "indices"))
cummin = _struct_seq("cummin", ("values", "indices"))
aminmax = _struct_seq("aminmax", ("min", "max"))
frexp = _struct_seq("frexp", ("mantissa", "exponent"))
slogdet = _struct_seq("slogdet", ("sign", "logabsdet"))
linalg_slogdet = _struct_seq("linalg_slogdet", ("sign", "logabsdet"))
histogram = _struct_seq("histogram", ("hist", "bin_edges"))
geqrf = _struct_seq("geqrf", ("a", "tau"))
linalg_ldl_factor = _struct_seq("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _struct_seq("linalg_ldl_factor_ex", ("LD", "pivots", "info"))

__all__ = ["aminmax", "cummax", "cummin", "frexp", "geqrf", "histogram", "kthvalue", "linalg_ldl_factor", "linalg_ldl_factor_ex", "linalg_slogdet", "max", "median", "min", "mode",
           "nanmedian", "slogdet", "sort", "topk"]
