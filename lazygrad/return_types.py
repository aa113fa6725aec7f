"""torch.return_types: the named tuple type of each op that returns one (`lg.return_types.max`).
They live in frontend/return_types.py; this is their public home, where pickles look them up."""
from lazygrad.frontend.return_types import (
    StructSeq,
    aminmax,
    cummax,
    cummin,
    frexp,
    geqrf,
    histogram,
    kthvalue,
    linalg_ldl_factor,
    linalg_ldl_factor_ex,
    linalg_slogdet,
    max,
    median,
    min,
    mode,
    nanmedian,
    slogdet,
    sort,
    topk,
)

__all__ = ["StructSeq", "aminmax", "cummax", "cummin", "frexp", "geqrf", "histogram", "kthvalue", "linalg_ldl_factor", "linalg_ldl_factor_ex", "linalg_slogdet", "max",
           "median", "min", "mode", "nanmedian", "slogdet", "sort", "topk"]
