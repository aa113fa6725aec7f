"""nn.utils.parametrizations.orthogonal: a weight kept orthogonal by construction.

The parameter X is free; the weight is a map of it onto the orthogonal matrices:
- "matrix_exp": exp(A) with A = tril(X) - tril(X)^T skew-symmetric (square weights' default);
- "cayley": (I - A/2)^-1 (I + A/2), the same A;
- "householder": the product of the reflections stored below X's diagonal (householder_product,
  torch's default for non-square weights), each column's sign taken from X's diagonal.
A wide weight (rows < columns) is parametrized through its transpose. With use_trivialization
(the default) the module keeps `base`, an orthogonal matrix that the map's result multiplies:
assigning a weight stores it (made orthogonal by QR where it is not) as the new base and resets
X to the point that maps to the identity, as torch's; without it, only householder can be
assigned (X becomes the weight's geqrf reflectors).
"""
from __future__ import annotations

from lazygrad.frontend.dtype_info import finfo
from lazygrad.frontend.factories import eye
from lazygrad.frontend.functions import cat
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.linalg_derived import householder_product, matrix_exp
from lazygrad.frontend.linalg_factor import qr
from lazygrad.frontend.linalg_inverse import solve
from lazygrad.frontend.linalg_torch_names import geqrf
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.modules.module import Module
from lazygrad.nn.utils import parametrize

MAPS = ("matrix_exp", "cayley", "householder")


def _is_orthogonal(q) -> bool:
    """Q^T Q = I within torch's tolerance, 10 n eps."""
    n, k = q.shape[-2:]
    identity = eye(k, dtype=q.dtype, device=q.device)
    return bool((q.mT @ q).allclose(identity, atol=10.0 * n * finfo(q.dtype).eps))


def _make_orthogonal(a):
    """The Q of A's QR with R's diagonal made positive: the orthogonal matrix nearest in
    direction to A's columns, one per full-rank A."""
    q, r = qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _minus_identity_like(w):
    """-1 on the diagonal of each matrix of w's shape: the parameter that every map sends to
    the identity (householder's signs come from X's diagonal)."""
    m, n = w.shape[-2:]
    return (-eye(m, n, dtype=w.dtype, device=w.device)).expand(tuple(w.shape)).contiguous()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, x):
        n, k = x.shape[-2:]
        transposed = n < k
        if transposed:
            x, n, k = x.mT, k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            x = x.tril()
            if n != k:  # embed the tall n x k in a square n x n
                x = cat([x, x.new_zeros((n, n - k)).expand(tuple(x.shape[:-2]) + (n, n - k))], dim=-1)
            a = x - x.mT
            if self.orthogonal_map == "matrix_exp":
                q = matrix_exp(a)
            else:
                identity = eye(n, dtype=a.dtype, device=a.device)
                q = solve(identity - 0.5 * a, identity + 0.5 * a)
            q = q[..., :k] if n != k else q
        else:
            a = x.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (a * a).sum(dim=-2))
            q = householder_product(a, tau)
            q = q * x.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)  # (no gradient through the signs)
        base = self._buffers.get("base")
        if base is not None:
            q = base @ q
        return q.mT if transposed else q

    def right_inverse(self, q):
        with no_grad():
            return self._right_inverse(q)

    def _right_inverse(self, q):
        if q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {q.shape}.")
        given = q
        n, k = q.shape[-2:]
        transposed = n < k
        if transposed:
            q, n, k = q.mT, k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != "householder":
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            a, tau = geqrf(q)
            signs = a.diagonal(dim1=-2, dim2=-1).sign()
            a = a.diagonal_scatter((tau == 0.0).if_else(-signs, signs), dim1=-2, dim2=-1)  # (tau 0: LAPACK skipped that reflection)
            return a.mT if transposed else a
        if n == k:
            q = q.clone() if _is_orthogonal(q) else _make_orthogonal(q)
        else:  # complete the n x k columns into an n x n orthogonal matrix
            extra = randn(*(tuple(q.shape[:-2]) + (n, n - k)), dtype=q.dtype, device=q.device)
            q = _make_orthogonal(cat([q, extra], dim=-1))
        self.base = q
        return _minus_identity_like(given)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")  # noqa: TRY004 (torch's class)
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
