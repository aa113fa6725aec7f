"""Counts of a tinygrad op-suite run (plugin.py's JSON lines): total cases, those that do not
apply (and why), applicable, passed, and the failures by class.

    python summary.py results.jsonl [CLASS|all]   # with a class: list those failures

A case does not apply when the shim raised TinygradOnly, a tinygrad-only name was missing, the
test was skipped (tinygrad device or speed), tinygrad's int32 default int decided the dtype,
or MANUAL below says so: tests that assert tinygrad-only behaviour with no torch comparison,
or use a torch name with tinygrad's meaning (each read in test_ops.py).
"""
from __future__ import annotations

import collections
import json
import re
import sys

MANUAL = {
    "TestOps::test_where": "cond.where(x, y): torch's Tensor.where is x.where(cond, y)",
    "TestOps::test_inf_where": "cond.where(x, y): torch's Tensor.where is x.where(cond, y)",
    "TestOps::test_cmp_lt_backwards": "gradient of a factory tensor made without requires_grad",
    "TestOps::test_cmp_ne_backwards": "gradient of a factory tensor made without requires_grad",
    "TestOps::test_sigmoid_alt_extreme": "asserts 0 where torch's own gradient is nan (exp(300)=inf)",
    "TestOps::test_const_reduce": "x.full_like(v) as a method (torch: torch.full_like(x, v))",
    "TestOps::test_isclose_scalar": "isclose with a Python scalar (torch needs a tensor)",
    "TestOps::test_masked_select_size": "masked_select(size=) is tinygrad-only",
    "TestOps::test_nonzero_size": "nonzero(size=) is tinygrad-only",
    "TestOps::test_prod_dtype_arg": "asserts tinygrad's AttributeError for dtype=''",
    "TestOps::test_sum_dtype_arg": "asserts tinygrad's AttributeError for dtype=''",
    "TestOps::test_one_hot": "asserts ValueError for num_classes=-1, which torch accepts",
    "TestOps::test_scatter_no_reduce_tensor_src": "asserts tinygrad's TypeError",
    "TestOps::test_slice_errors": "asserts a TypeError for a tensor slice bound, which torch accepts",
    "TestOps::test_slice_fancy_indexing_errors": "Tensor.randint(*shape, high=) signature",
    "TestOps::test_arange": "asserts tinygrad's OverflowError on out-of-range ints",
    "TestOps::test_stack": "asserts tinygrad's ValueError for Tensor.stack((a, b), c)",
    "TestOps::test_cat": "asserts tinygrad's IndexError for a 0-d cat (torch: RuntimeError)",
    "TestOps::test_negative_dims": "tinygrad-only factories (normal, uniform, scaled_uniform, glorot_uniform)",
}
AUTO = [  # (text in the failure, why the case does not apply)
    ("logcumsumexp() missing 1 required positional argument", "logcumsumexp without dim"),
    ("detect_positive", "isinf(detect_positive=)"),
    ("'DType' object has no attribute", "dtypes.max/min helpers"),
]


API_MISS = re.compile(r"^AttributeError: '?(?:type object )?'?(Tensor|DType|max|min|tuple)'? (?:object )?has no attribute")


def classify(rows: list[dict]) -> None:
    """Marks failing cases that do not apply (MANUAL, AUTO) as n/a, in place; an AttributeError
    on an internal object (not a name missing from Tensor's API) is a crash (older plugin runs)."""
    for r in rows:
        if r["outcome"] == "n/a" and r["msg"].startswith("AttributeError") and not API_MISS.match(r["msg"]):
            r["outcome"], r["cls"] = "fail", "crash"
        if r["outcome"] != "fail":
            continue
        why = MANUAL.get(r["test"]) or next((w for text, w in AUTO if text in r["msg"]), None)
        if why is None and "reshape" in r["test"] and "NoneType" in r["msg"]:
            why = "reshape with None"
        if why:
            r["outcome"], r["cls"], r["msg"] = "n/a", "n/a", "manual: " + why


def main(path: str, show: str | None) -> None:
    rows: dict = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            rows[(r["test"], r["i"])] = r
    cases = list(rows.values())
    classify(cases)
    na = [r for r in cases if r["outcome"] in ("n/a", "skip")]
    app = [r for r in cases if r["outcome"] in ("pass", "fail")]
    failed = [r for r in app if r["outcome"] == "fail"]
    print(f"total {len(cases)}  not applicable {len(na)}  applicable {len(app)}  "
          f"passed {len(app) - len(failed)}  failed {len(failed)}")
    print("n/a:", collections.Counter((r["msg"] or "")[:40] if r["outcome"] == "skip" else r["msg"].split(":")[0]
                                      for r in na).most_common())
    print("fail classes:", collections.Counter(r["cls"] for r in failed).most_common())
    for r in sorted(failed, key=lambda r: (r["cls"] or "", r["test"])):
        if show in ("all", r["cls"]):
            print(r["cls"], r["test"], r["i"], r["at"], r["msg"][:220].replace("\n", " | "))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
