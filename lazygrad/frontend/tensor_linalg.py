"""Linear algebra as broadcast multiply + sum: matmul, dot, bmm, mv, outer, einsum.

A product is one elementwise multiply over the union of the operands' dims followed by one
sum over the contracted dims, so the scheduler fuses it into a single reduce kernel. Integer
inputs stay integer (int @ int is int, as in torch); the sum runs in int64 and is cast back.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.codegen.heuristics import MATMUL_PANELS, PACKING
from lazygrad.errors import ShapeError
from lazygrad.frontend.autocast_policy import autocast_op, lowered
from lazygrad.frontend.dtype_mismatch import check_einsum_step, check_matmul
from lazygrad.frontend.product_nodes import packed_matmul, product_node
from lazygrad.frontend.tensor_base import TensorBase, tensor_operand
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_shape import _unviewed, broadcast_shape
from lazygrad.ir.ops import Op


def _contract(product, axes, dtype):
    """Sum over axes, returning the operands' promoted dtype (sum widens ints to int64)."""
    return product.sum(axes).cast(dtype)


def _as_tensor(like, x):
    """x, or a tensor of x's data on like's device."""
    return x if isinstance(x, TensorBase) else like._from_data(x, device=like.device)


def _reads_transposed(t) -> bool:
    """A permute that moves another axis last (w.T, k.transpose(-2, -1)) on a big enough tensor."""
    return (t.node.op is Op.PERMUTE and t.node.arg[-1] != t.ndim - 1
            and t.shape[-1] >= 16 and t.shape[-2] >= 16)


def _packs(a, b) -> bool:
    """A big enough float32 product of a 2-D B on the c device multiplies packed panels
    (packed_matmul); A's leading dims are its rows (nn.Linear on a batch of sequences)."""
    if a.ndim < 2 or b.ndim != 2 or a.device != "c" or b.device != "c":
        return False
    (k, n), m = b.shape, math.prod(a.shape[:-1])
    least_work, least_dim = PACKING
    return (a.dtype == b.dtype == dtypes.float32 and n % MATMUL_PANELS[1] == 0
            and min(m, n, k) >= least_dim and m * n * k >= least_work)


def _packed(a, b):
    """a @ b by packed_matmul, its gradients declared as the two products torch's mm backward
    computes (each packed in turn where it is big enough), not derived through the panels'
    copies and pads."""
    rows = a.reshape(-1, a.shape[-1])
    out = input_gradient((rows, b), packed_matmul, _product_gradient)
    return out.reshape(a.shape[:-1] + (b.shape[1],))


def _product_gradient(i, inputs, result, grad):
    a, b = inputs
    return _derived_product(grad, b.t()) if i == 0 else _derived_product(a.t(), grad)


def _derived_product(a, b):
    """A product whose own gradient is derived (through the panels' copies where it packs):
    `grad` comes to a declared gradient as a tensor without history, so a product declared
    on it would drop what it depends on from a second derivative."""
    return packed_matmul(a, b) if _packs(a, b) else a.matmul(b)


def _matmul_error(a: tuple, b: tuple) -> str | None:
    """torch's words for operands matmul cannot take (None if it can), from the op its matmul
    runs for those ranks: dot, mv, mm (a batch of rows folded into one matrix), or bmm over
    the broadcast batch dims."""
    if len(a) == 1 and len(b) == 1:
        if a[0] == b[0]:
            return None
        return (f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have the same "
                f"number of elements, but got {a[0]} and {b[0]} elements respectively")
    if len(b) == 1:
        rows = math.prod(a[:-1])
        if a[-1] == b[0]:
            return None
        return f"size mismatch, got input ({rows}), mat ({rows}x{a[-1]}), vec ({b[0]})"
    if len(b) == 2:
        rows = math.prod(a[:-1])
        return None if a[-1] == b[0] else (f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a[-1]} and "
                                           f"{b[0]}x{b[1]})")
    batch_a, batch_b = a[:-2], b[:-2]
    n = max(len(batch_a), len(batch_b))
    batch_a, batch_b = (1,) * (n - len(batch_a)) + batch_a, (1,) * (n - len(batch_b)) + batch_b
    for i, (p, q) in enumerate(zip(batch_a, batch_b)):
        if p != q and 1 not in (p, q):
            return (f"The size of tensor a ({p}) must match the size of tensor b ({q}) at non-singleton "
                    f"dimension {i}")
    count = math.prod(max(p, q) for p, q in zip(batch_a, batch_b))
    if a[-1] == b[-2]:
        return None
    return (f"Expected size for first two dimensions of batch2 tensor to be: [{count}, {a[-1]}] but got: "
            f"[{count}, {b[-2]}].")


class LinalgMixin:
    @autocast_op("lower")
    def matmul(self, other):
        tensor_operand("matmul", other)
        a, b = self, _as_tensor(self, other)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                             f"{b.ndim}D")
        if other is b:  # (two tensors of two dtypes raise, as torch's; data given as a list or array is cast)
            check_matmul(a, b)
        dtype = dtypes.promote_types(a.dtype, b.dtype)
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
        mismatch = a2.shape[-1] != b2.shape[-2]
        if not mismatch:
            try:
                broadcast_shape(a2.shape[:-2], b2.shape[:-2])
            except ShapeError:
                mismatch = True
        if mismatch:
            raise ShapeError(_matmul_error(tuple(a.shape), tuple(b.shape)))
        if dtype.is_bool:  # torch has no bool product kernel
            kernel = "dot" if a.ndim == b.ndim == 1 else "addmv_impl_cpu" if b.ndim == 1 else "addmm_impl_cpu_"
            raise dtypes.no_kernel(kernel, dtype)
        if _packs(a2, b2):
            return _unviewed(_packed(a2, b2))
        if _reads_transposed(b2):
            # x @ w.T reads w across its rows; one small copy lets the kernel read both inputs
            # contiguously along the output (the 4x16 register tile of codegen/heuristics.py)
            b2 = b2._contiguous()
        # (..., n, k, 1) * (..., 1, k, m) summed over k; batch dims broadcast in the multiply
        if a2.dtype is b2.dtype is dtype and dtype.is_float and not dtypes.is_half(dtype):
            out = product_node(a2, b2)
        else:
            x = a2.reshape(a2.shape[:-1] + (a2.shape[-1], 1))
            y = b2.reshape(b2.shape[:-2] + (1,) + b2.shape[-2:])
            out = _contract(x * y, -2, dtype)
        if a.ndim == 1:
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return _unviewed(out)

    def __matmul__(self, other):
        if isinstance(other, (bool, int, float, complex)):
            return NotImplemented  # (Python's TypeError: unsupported operand type(s) for @, as torch's)
        return self.matmul(other)

    def __rmatmul__(self, other):
        if isinstance(other, (bool, int, float, complex)):
            return NotImplemented
        return _as_tensor(self, other).matmul(self)

    @autocast_op("keep")
    def dot(self, other):
        tensor_operand("dot", other)
        other = _as_tensor(self, other)
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self.shape != other.shape:
            raise ShapeError(_matmul_error(tuple(self.shape), tuple(other.shape)))
        return self.matmul(other)

    @autocast_op("keep")
    def mv(self, vec):
        tensor_operand("mv", vec)
        vec = _as_tensor(self, vec)
        if self.ndim != 2 or vec.ndim != 1:  # (torch's words are addmv's: its first operand a vector)
            raise ShapeError(f"vector + matrix @ vector expected, got 1, {self.ndim}, {vec.ndim}")
        return self.matmul(vec)

    def mm(self, mat2):
        tensor_operand("mm", mat2)
        mat2 = _as_tensor(self, mat2)
        if self.ndim != 2 or mat2.ndim != 2:
            raise ShapeError("self must be a matrix" if self.ndim != 2 else "mat2 must be a matrix")
        return self.matmul(mat2)

    def bmm(self, mat2):
        tensor_operand("bmm", mat2)
        mat2 = _as_tensor(self, mat2)
        if self.ndim != 3 or mat2.ndim != 3:
            raise ShapeError("batch1 must be a 3D tensor" if self.ndim != 3 else "batch2 must be a 3D tensor")
        if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
            raise ShapeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                             f"[{self.shape[0]}, {self.shape[2]}] but got: "
                             f"[{mat2.shape[0]}, {mat2.shape[1]}].")
        return self.matmul(mat2)

    def outer(self, vec2):
        tensor_operand("outer", vec2)
        vec2 = _as_tensor(self, vec2)
        if self.ndim != 1 or vec2.ndim != 1:
            which, t = ("self", self) if self.ndim != 1 else ("vec2", vec2)
            raise ShapeError(f"outer: Expected 1-D argument {which}, but got {t.ndim}-D")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)


# ---- einsum ---------------------------------------------------------------------------------

_ELLIPSIS_LABELS = "0123456789"  # stand-ins for the dims an ellipsis covers (never letters)


def _parse_equation(equation: str, operands) -> tuple[list[str], str]:
    """Labels of each operand (ellipsis expanded, right-aligned like broadcasting) and the
    output labels (explicit, or torch's implicit rule: ellipsis dims, then the labels seen
    exactly once, in alphabetical order)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):  # (torch's words for the einsum errors below too)
        fewer = "fewer" if len(operands) < len(terms) else "more"
        raise ShapeError(f"einsum(): {fewer} operands were provided than specified in the equation")
    ell_ndim = 0
    labels = []
    for k, (term, op) in enumerate(zip(terms, operands)):
        if term.count("...") > 1 or "." in term.replace("...", ""):
            raise ShapeError(f"einsum: malformed term {term!r} in {equation!r}")
        bad = [c for c in term.replace("...", "") if not c.isalpha()]
        if bad:
            raise ShapeError(f"einsum(): invalid subscript given at index {equation.index(bad[0])} in the "
                             f"equation string, subscripts must be in [a-zA-Z]")
        named = len(term.replace("...", ""))
        if "..." in term:
            covered = op.ndim - named
            if covered < 0:
                raise ShapeError(f"einsum(): the number of subscripts in the equation ({named}) is more than "
                                 f"the number of dimensions ({op.ndim}) for operand {k}")
            ell_ndim = max(ell_ndim, covered)
            fill = _ELLIPSIS_LABELS[len(_ELLIPSIS_LABELS) - covered:] if covered else ""
            labels.append(term.replace("...", fill))
        else:
            if named != op.ndim:
                raise ShapeError(f"einsum(): the number of subscripts in the equation ({named}) does not "
                                 f"match the number of dimensions ({op.ndim}) for operand {k} and no ellipsis "
                                 f"was given")
            labels.append(term)
    ell = _ELLIPSIS_LABELS[len(_ELLIPSIS_LABELS) - ell_ndim:] if ell_ndim else ""
    if arrow:
        if rhs.count("...") > 1 or "." in rhs.replace("...", ""):
            raise ShapeError(f"einsum: malformed output {rhs!r} in {equation!r}")
        out = rhs.replace("...", ell)  # an output without '...' sums the ellipsis dims (as torch)
        seen = set("".join(labels))
        for c in out:
            if c not in seen:
                raise ShapeError(f"einsum(): output subscript {c} does not appear in the equation for any "
                                 f"input operand")
            if out.count(c) > 1:
                raise ShapeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:
        letters = "".join(labels)
        out = ell + "".join(sorted(c for c in set(letters) if c.isalpha() and letters.count(c) == 1))
    return labels, out


def _take_diagonals(x, labels: str, k: int):
    """Operand k with each repeated label reduced to its diagonal ('ii' -> 'i')."""
    while True:
        dup = next((c for c in labels if labels.count(c) > 1), None)
        if dup is None:
            return x, labels
        i, j = labels.index(dup), labels.index(dup, labels.index(dup) + 1)
        n = x.shape[i]
        if x.shape[j] != n:
            raise ShapeError(f"einsum(): subscript {dup} is repeated for operand {k} but the sizes don't "
                             f"match, {x.shape[j]} != {n}")
        rest = [k for k in range(x.ndim) if k not in (i, j)]
        x, labels = x.diagonal(0, i, j), "".join(labels[k] for k in rest) + dup


def _multiply_sum(terms, keep: str, sizes: dict[str, int], dtype):
    """The product of terms ((tensor, labels) pairs) over the union of their labels, summed
    over every label not in keep; the result's dims are keep, in order. One reduce kernel:
    the product is laid out as keep + summed, so no permute follows the sum."""
    union = "".join(dict.fromkeys("".join(lab for _, lab in terms)))
    summed = "".join(c for c in union if c not in keep)
    full = keep + summed
    product = None
    for op, lab in terms:
        order = sorted(range(len(lab)), key=lambda k: full.index(lab[k]))
        op = op.permute(order) if order else op
        present = {lab[k]: op.shape[i] for i, k in enumerate(order)}
        op = op.reshape(tuple(present.get(c, 1) for c in full))
        product = op if product is None else product * op
    product = product._broadcast_to(tuple(sizes[c] for c in full))
    if not summed:
        return product
    return product.sum(tuple(range(len(keep), len(full)))).cast(dtype)


def einsum(equation: str, *operands):
    """torch.einsum: explicit or implicit output, repeated labels (traces, diagonals),
    broadcasting '...'. Operands are contracted left to right, two at a time, each step
    summing out the labels no later operand and not the output needs (so 'ij,jk,kl->il' never
    builds the i*j*k*l product); each step is one multiply + sum. Operands are tensors
    (lg.einsum makes tensors of the others)."""
    if not operands:
        raise ShapeError(f"einsum: {equation!r} got no operands")
    operands = list(operands)
    labels, out = _parse_equation(equation, operands)
    dtype = operands[0].dtype
    for o in operands[1:]:
        dtype = dtypes.promote_types(dtype, o.dtype)
    sizes: dict[str, int] = {}
    terms = []
    for k, (op, lab) in enumerate(zip(operands, labels)):
        ellipsis = [c for c in lab if not c.isalpha()]  # (this operand's, as torch counts them)
        op, lab = _take_diagonals(op.cast(dtype), lab, k)
        for c, n in zip(lab, op.shape):
            if c in sizes and n != sizes[c] and 1 not in (n, sizes[c]):
                if c in ellipsis:  # (torch's text, its missing space too)
                    raise ShapeError(f"einsum(): dimension {ellipsis.index(c)} covered by ellipsis in "
                                     f"operand {k}has size {n} which does not broadcast with previously seen "
                                     f"ellipsis with size {sizes[c]} for the respective dimension")
                raise ShapeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                                 f"broadcast with previously seen size {sizes[c]}")
            if c not in sizes or sizes[c] == 1:
                sizes[c] = n
        terms.append((op, lab))
    current, current_dtype = terms[0], operands[0].dtype
    for i in range(1, len(terms)):
        if i == len(terms) - 1:
            keep = out
        else:
            later = set(out).union(*(set(lab) for _, lab in terms[i + 1:]))
            keep = "".join(c for c in dict.fromkeys(current[1] + terms[i][1]) if c in later)
        pair, step_dtype = [current, terms[i]], dtype
        if set(current[1]) & set(terms[i][1]) - set(keep):  # a contraction: torch's bmm, lowered by autocast
            low = lowered(current[0], terms[i][0])
            if low is None:  # (autocast casts both, as it does bmm's operands)
                check_einsum_step(current_dtype, operands[i].dtype)
            if low is not None:  # (as bmm: lowered inputs, float32 products and sums, a lowered result)
                step_dtype = dtypes.promote_types(low[0].dtype, low[1].dtype)
                wide = dtypes.promote_types(step_dtype, dtypes.float32)
                pair = [(low[0].cast(wide), current[1]), (low[1].cast(wide), terms[i][1])]
        current = (_multiply_sum(pair, keep, sizes, step_dtype), keep)
        current_dtype = dtypes.promote_types(current_dtype, operands[i].dtype)
    if len(terms) == 1:
        return _multiply_sum(terms, out, sizes, dtype)
    return current[0]
