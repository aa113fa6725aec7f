"""How a tensor prints: torch's text, so a ported program prints what it printed with torch.

`print(x)` and `repr(x)` give torch's layout: `tensor(` and the values, one notation for all of
them, chosen from the finite nonzero values as torch chooses (`_Notation`), rows broken at
`linewidth`, tensors of more than `threshold` elements summarized to `edgeitems` at each end of
every dim, then torch's suffixes: the device when it is not the default one, the dtype when it
is not the default float dtype, int64 or bool, and `grad_fn=<...>` (a result) or
`requires_grad=True` (a leaf). A dtype prints as lazygrad's (`dtype=lazygrad.float64`). The
options are torch's, set with `lg.set_printoptions` (the `torch.set_printoptions` names,
defaults and profiles) and read with `get_printoptions()`.

Printing computes the tensor (`.numpy()`), as every read of its values does.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.complex_dtypes import default_complex
from lazygrad.frontend.defaults import get_default_device, get_default_dtype
from lazygrad.frontend.meta_tensors import meta_repr_suffixes
from lazygrad.runtime.meta import is_meta


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4  # digits after the point
    threshold: float = 1000  # more elements than this are summarized
    edgeitems: int = 3  # what a summary keeps at each end of a dim
    linewidth: int = 80  # characters a line, for the line breaks
    sci_mode: bool | None = None  # None: chosen from the values


PRINT_OPTIONS = PrintOptions()  # the user's setting (torch's is global too), not a cache
_PROFILES = {"default": PrintOptions(), "short": PrintOptions(precision=2, edgeitems=2),
             "full": PrintOptions(threshold=math.inf)}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """torch.set_printoptions: a profile ('default', 'short', 'full') first, then each option
    given; sci_mode is set every call (None: chosen from the values), as torch's is."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', got {profile!r}")
        base = _PROFILES[profile]
        PRINT_OPTIONS.precision, PRINT_OPTIONS.threshold = base.precision, base.threshold
        PRINT_OPTIONS.edgeitems, PRINT_OPTIONS.linewidth = base.edgeitems, base.linewidth
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTIONS, name, value)
    PRINT_OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The options, as keywords set_printoptions takes back."""
    return dataclasses.asdict(PRINT_OPTIONS)


@contextlib.contextmanager
def printoptions(**options: Any) -> Iterator[None]:
    """set_printoptions(**options) for a block."""
    old = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Notation:
    """One notation and width for every element, chosen from the finite nonzero values shown:
    scientific where the largest is over 1e8, the smallest under 1e-4, or they span more than
    1000x (or as sci_mode says); else whole numbers with a point (`2.`) where all are whole;
    else `precision` digits after the point. Integers and bools print as Python prints them."""

    def __init__(self, shown: np.ndarray, is_float: bool) -> None:
        self.is_float, self.sci, self.whole, self.width = is_float, False, True, 1
        p = PRINT_OPTIONS.precision
        if not is_float:
            self.width = max([1] + [len(str(v)) for v in shown.ravel().tolist()])
            return
        flat = shown.ravel().astype(np.float64)
        values = flat[np.isfinite(flat) & (flat != 0)]
        if values.size == 0:
            return
        magnitude = np.abs(values)
        small, large = magnitude.min(), magnitude.max()
        self.whole = bool((values == np.ceil(values)).all())
        chosen = large / small > 1000.0 or large > 1.0e8 or small < 1.0e-4
        self.sci = chosen if PRINT_OPTIONS.sci_mode is None else PRINT_OPTIONS.sci_mode
        if self.sci:
            texts = [format(v, f".{p}e") for v in values.tolist()]
        elif self.whole:
            texts = [f"{v:.0f}." for v in values.tolist()]
        else:
            texts = [format(v, f".{p}f") for v in values.tolist()]
        self.width = max(len(t) for t in texts)

    def __call__(self, v) -> str:
        if not self.is_float:
            text = str(v)
        elif self.sci:
            text = format(v, f"{self.width}.{PRINT_OPTIONS.precision}e")
        elif self.whole:
            text = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            text = format(v, f".{PRINT_OPTIONS.precision}f")
        return text.rjust(self.width)


class _ComplexNotation:
    """torch's complex elements: the real parts in one notation, right-aligned; the imaginary
    parts in another, unpadded, with their sign and a `j` (`1.5000+2.0000e+00j`)."""

    def __init__(self, shown: np.ndarray) -> None:
        self.re, self.im = _Notation(shown.real, True), _Notation(shown.imag, True)
        self.width = self.re.width + self.im.width + 1

    def __call__(self, v) -> str:
        imag = (self.im(v.imag) + "j").lstrip()
        return self.re(v.real) + (imag if imag[0] in "+-" else "+" + imag)


def _shown(a: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements a summary shows: edgeitems at each end of every dim longer than both."""
    edge = PRINT_OPTIONS.edgeitems
    if not summarize:
        return a
    for axis in range(a.ndim):
        n = a.shape[axis]
        if n > 2 * edge:
            a = np.take(a, list(range(edge)) + list(range(n - edge, n)), axis=axis)
    return a


def _body(a: np.ndarray, indent: int, summarize: bool, notation: _Notation) -> str:
    edge = PRINT_OPTIONS.edgeitems
    if a.ndim == 0:
        return notation(a.item())
    if a.ndim == 1:
        if summarize and not edge:
            items = ["..."]
        elif summarize and len(a) > 2 * edge:
            items = [notation(v) for v in a[:edge].tolist()] + [" ..."] + [notation(v) for v in a[-edge:].tolist()]
        else:
            items = [notation(v) for v in a.tolist()]
        per_line = max(1, math.floor((PRINT_OPTIONS.linewidth - indent) / (notation.width + 2)))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and len(a) > 2 * edge:
        rows = [_body(a[i], indent + 1, summarize, notation) for i in range(edge)] + ["..."] + \
               [_body(a[i], indent + 1, summarize, notation) for i in range(len(a) - edge, len(a))]
    else:
        rows = [_body(row, indent + 1, summarize, notation) for row in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """`, suffix` on the last line while it fits in linewidth, else on a line of its own."""
    parts, last = [text], len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > PRINT_OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(parts) + ")"


def _values_text(t, indent: int) -> tuple[list[str], str]:
    """The suffixes before grad_fn (device, size, dtype) and the values' text of tensor t."""
    suffixes = []
    if t.device != get_default_device():
        suffixes.append(f"device='{t.device}'")
    a = t.numpy(force=True)
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if t.dtype != get_default_dtype():
            suffixes.append(f"dtype={t.dtype}")
        return suffixes, "[]"
    if not PRINT_OPTIONS.edgeitems:
        suffixes.append(f"size={tuple(a.shape)}")
    if t.dtype not in (get_default_dtype(), dtypes.int64, dtypes.bool_, default_complex()):
        suffixes.append(f"dtype={t.dtype}")
    summarize = a.size > PRINT_OPTIONS.threshold
    shown = _shown(a, summarize)
    notation = _ComplexNotation(shown) if a.dtype.kind == "c" else _Notation(shown, t.dtype.is_float)
    return suffixes, _body(a, indent, summarize, notation)


def tensor_repr(t, bare: bool = False) -> str:
    """torch's text of tensor t (computes t); bare: without the suffixes (a sparse tensor's
    indices and values print so inside its own text)."""
    prefix = "tensor("
    indent = len(prefix)
    if is_meta(t.device):  # no values: torch prints "..." and the size (t.device: complex ones too)
        suffixes, body = meta_repr_suffixes(t, get_default_dtype()), "..."
    else:
        suffixes, body = _values_text(t, indent)
    if bare:
        return prefix + body + ")"
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name().rsplit('::', 1)[-1]}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
