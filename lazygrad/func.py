"""torch.func: functional_call, grad, grad_and_value, vjp, jacrev, jacfwd, hessian and vmap.

torch's function transforms run one program over batched or dual tensors. lazygrad gives the
same values with the tools it has: the derivatives come from autograd.grad on the function's
outputs (keeping the graph where an argument already has one, so transforms compose:
grad(grad(f)), vmap(grad(f))), and vmap calls the function once per batch element and stacks
the results (the graph is lazy, so the calls still fuse into few kernels). randomness follows
torch's modes: "error" raises when the function draws random numbers, "different" gives each
element its own draws, "same" gives every element the draws of the first.
"""
from __future__ import annotations

from lazygrad.autograd.functional import jacobian, weighted_gradients
from lazygrad.frontend import random
from lazygrad.frontend.autograd import grad as autograd_grad
from lazygrad.frontend.factories import zeros_like
from lazygrad.frontend.functions import stack
from lazygrad.frontend.grad_mode import enable_grad
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.nn.utils.stateless import functional_call
from lazygrad.utils._pytree import tree_flatten, tree_unflatten


def _argnums(argnums, n: int) -> tuple[bool, tuple[int, ...]]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(a).__name__}")  # noqa: TRY004 (torch's)
        if not -n <= a < n:
            raise RuntimeError(f"Got argnums={a}, but only {n} positional inputs")
    return single, tuple(a % n for a in nums)


def _differentiable(x):
    """x itself where it has a graph (an outer transform differentiates through it), else a
    detached copy that requires grad."""
    if not isinstance(x, TensorBase):
        raise RuntimeError(f"Expected argument to be a Tensor, got {type(x).__name__}")  # noqa: TRY004 (torch's)
    return x if x.requires_grad else x.detach().requires_grad_(True)


def _split_aux(out, has_aux: bool, fn: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{fn}(f, ...)(*args): output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return out


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient of func's scalar output for the argnums arguments, value)."""
    def wrapper(*args, **kwargs):
        single, nums = _argnums(argnums, len(args))
        with enable_grad():
            trees = {i: tree_flatten(args[i]) for i in nums}  # an argument may be a dict or list of tensors
            nested = any(isinstance(x, TensorBase) and x.requires_grad for i in nums for x in trees[i][0])
            trees = {i: ([_differentiable(x) for x in leaves], spec) for i, (leaves, spec) in trees.items()}
            args = tuple(tree_unflatten(*trees[i]) if i in nums else a for i, a in enumerate(args))
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(out, TensorBase):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "  # noqa: TRY004 (torch's)
                                   f"{type(out).__name__}")
            if out.numel() != 1 or out.ndim != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            xs = [x for i in nums for x in trees[i][0]]
            gs = autograd_grad(out, xs, create_graph=nested, allow_unused=True) if out.requires_grad else \
                (None,) * len(xs)
            gs = [zeros_like(x) if g is None else g for g, x in zip(gs, xs)]
            gs = tuple(tree_unflatten([gs.pop(0) for _ in trees[i][0]], trees[i][1]) for i in nums)
            value = out if nested else out.detach()
        result = gs[0] if single else gs
        return (result, (value, aux)) if has_aux else (result, value)
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning the gradient of func's scalar output for the argnums arguments."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives the gradient of the outputs weighted
    by the cotangents, one per primal."""
    with enable_grad():
        nested = any(isinstance(p, TensorBase) and p.requires_grad for p in primals)
        xs = tuple(_differentiable(p) for p in primals)
        out, aux = _split_aux(func(*xs), has_aux, "vjp")
    outs = out if isinstance(out, (tuple, list)) else (out,)

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 and isinstance(out, (tuple, list)) else cotangents
        if len(cts) != len(outs):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function: {len(outs)} outputs, {len(cts)} cotangents")
        with enable_grad():
            gs = weighted_gradients(outs, xs, cts, retain_graph=True, create_graph=nested)
        return tuple(zeros_like(x) if g is None else g for g, x in zip(gs, xs))
    shown = out if nested else (tuple(o.detach() for o in outs) if isinstance(out, tuple) else out.detach())
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def _forward(func, primals: tuple, has_aux: bool, what: str):
    """func(*primals) on differentiable copies, and the vjp of its outputs as a function of
    cotangents that require grad: the derivative of sum(tangent . vjp) with respect to those
    cotangents is J . tangent (forward mode by the double-backward trick, which needs no
    forward-mode rules of its own)."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{what}: Expected primals to be a tuple. "  # noqa: TRY004 (torch's)
                           "E.g. it should be valid to call f(*primals).")
    with enable_grad():
        nested = any(isinstance(p, TensorBase) and p.requires_grad for p in primals)
        xs = tuple(_differentiable(p) for p in primals)
        out, aux = _split_aux(func(*xs), has_aux, what.split("(")[0])
        outs = out if isinstance(out, (tuple, list)) else (out,)
        cotangents = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        vjps = weighted_gradients(outs, xs, cotangents, create_graph=True)
    shown = out if nested else (type(out)(o.detach() for o in outs) if isinstance(out, (tuple, list)) else
                                out.detach())

    def push(tangents: tuple):
        for i, (x, t) in enumerate(zip(xs, tangents)):
            if tuple(t.shape) != tuple(x.shape):
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree doesn't match the shape "
                                   f"{x.shape} of the corresponding primal.")
        with enable_grad():
            got = weighted_gradients(vjps, cotangents, tangents, retain_graph=True, create_graph=nested)
        pushed = tuple(zeros_like(o) if g is None else g for g, o in zip(got, outs))
        return type(out)(pushed) if isinstance(out, (tuple, list)) else pushed[0]
    return shown, aux, push


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J . tangents): the outputs' change along tangents, one per primal."""
    what = "jvp(f, primals, tangents)"
    if isinstance(primals, tuple) and (not isinstance(tangents, tuple) or len(tangents) != len(primals)):
        raise RuntimeError(f"{what}: Expected primals and tangents to have the same python structure. For example, "
                           "if primals is a tuple of 3 tensors, tangents also must be.")
    shown, aux, push = _forward(func, primals, has_aux, what)
    result = push(tangents)
    return (shown, result, aux) if has_aux else (shown, result)


def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) gives J . tangents at primals, the graph
    built once."""
    shown, _, push = _forward(func, primals, False, "linearize(func, *primals)")

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise RuntimeError(f"Expected the tangents to have the structure of the primals: {len(primals)} "
                               f"tensors, got {len(tangents)}")
        return push(tangents)
    return shown, jvp_fn


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy: bool = False):
    """A function returning the jacobian of func's outputs for the argnums arguments."""
    def wrapper(*args, **kwargs):
        single, nums = _argnums(argnums, len(args))
        trees = [tree_flatten(args[i]) for i in nums]  # an argument may be a dict of tensors (a model's params)
        leaves = tuple(x for ls, _ in trees for x in ls)
        nested = any(isinstance(x, TensorBase) and x.requires_grad for x in leaves)
        aux_box, out_box = [], []

        def regroup(per_leaf):  # one jacobian a leaf -> the arguments' structure
            it = iter(per_leaf)
            groups = tuple(tree_unflatten([next(it) for _ in ls], spec) for ls, spec in trees)
            return groups[0] if single else groups

        def of_leaves(*flat):
            full = list(args)
            for i, group in zip(nums, regroup(flat) if not single else (regroup(flat),)):
                full[i] = group
            out, aux = _split_aux(func(*full, **kwargs), has_aux, "jacrev")
            aux_box.append(aux)
            out_box.append(out)
            return out
        result = jacobian(of_leaves, leaves, create_graph=nested)
        result = regroup(result) if isinstance(out_box[0], TensorBase) else tuple(regroup(r) for r in result)
        return (result, aux_box[0]) if has_aux else result
    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The jacobian, as jacrev computes it (the values of forward mode are the same)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The jacobian of the jacobian of func's output for the argnums arguments."""
    return jacfwd(jacrev(func, argnums), argnums)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """func mapped over a dimension of its arguments (in_dims: one per argument, None for one
    not mapped), its results stacked along out_dims."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    def wrapper(*args, **kwargs):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure {len(dims)} but inputs has {len(args)}.")
        trees = [tree_flatten(a) for a in args]  # an argument may be a dict or list of tensors
        flat_dims = [_leaf_dims(d, a, len(leaves), in_dims) for d, a, (leaves, _) in zip(dims, args, trees)]
        pairs = [(x, d) for (leaves, _), ds in zip(trees, flat_dims) for x, d in zip(leaves, ds)]
        sizes = {x.shape[d] for x, d in pairs if d is not None}
        if not sizes:
            raise ValueError("vmap(f, in_dims=..., ...)(<inputs>): at least one input must be mapped (in_dims "
                             "all None)")
        if len(sizes) != 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sorted(sizes)} for the mapped dimension")
        n, = sizes
        results, start = [], random.get_rng_state()
        for k in range(n):
            if randomness == "same":
                random.set_rng_state(start)
            before = random.default_generator.counter
            sliced = [tree_unflatten([x.select(d, k) if d is not None else x for x, d in zip(leaves, ds)], spec)
                      for (leaves, spec), ds in zip(trees, flat_dims)]
            out = func(*sliced, **kwargs)
            if randomness == "error" and random.default_generator.counter != before:
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please either "
                                   "use the 'same' or 'different' randomness flags on vmap or perform the "
                                   "randomness operation out of vmap")
            results.append(out)
        return _stacked(results, out_dims)
    return wrapper


def _leaf_dims(dim, arg, n: int, in_dims) -> list:
    """The mapped dimension of each leaf of arg: dim for all of them, or dim's own leaves where
    dim is a tree of arg's shape."""
    dims = [dim] * n if dim is None or isinstance(dim, int) else tree_flatten(dim)[0]
    if len(dims) != n or not all(d is None or isinstance(d, int) for d in dims):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure "
                         "of `inputs`: expected an int or None for each input, or a tree of them of the input's "
                         "structure")
    for x, d in zip(tree_flatten(arg)[0], dims):
        if d is not None and not isinstance(x, TensorBase):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but the input "
                             f"is of type {type(x)}. We cannot vmap over non-Tensor arguments, please use None as the "
                             "respective in_dim")
        if d is not None and not -x.ndim <= d < x.ndim:
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, but that "
                             f"input is a Tensor of dimensionality {x.ndim} so expected in_dim to satisfy "
                             f"-{x.ndim} <= in_dim < {x.ndim}.")
    return dims


def _stacked(results: list, out_dims):
    first = results[0]
    if isinstance(first, (tuple, list)) and isinstance(out_dims, (tuple, list)):
        return type(first)(_stacked([r[i] for r in results], d) for i, d in enumerate(out_dims))
    spec = tree_flatten(first)[1]
    columns = zip(*(tree_flatten(r)[0] for r in results))
    stacked = []
    for column in columns:
        if not isinstance(column[0], TensorBase):
            name = type(column[0]).__name__
            raise ValueError(f"vmap: `{name}` returned by the function is not a Tensor")  # noqa: TRY004 (torch's)
        stacked.append(column[0] if out_dims is None else stack(column, out_dims))
    return tree_unflatten(stacked, spec)


def _stacked_leaf(tensors: tuple, name: str):
    grads = {t.requires_grad for t in tensors}
    if len(grads) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    return result.detach().requires_grad_() if grads == {True} else result


def stack_module_state(models) -> tuple[dict, dict]:
    """(params, buffers) of M modules of one class, each name's tensors stacked along a new first
    dimension: vmap over them with functional_call runs the ensemble as one model. The stacked
    parameters are new leaves (an optimizer can train them), unrelated to the modules' own."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if len({type(m) for m in models}) != 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    tables = [[dict(m.named_parameters()) for m in models], [dict(m.named_buffers()) for m in models]]
    params, buffers = ({k: _stacked_leaf(tuple(t[k] for t in table), k) for k in table[0]} for table in tables)
    return params, buffers


__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize",
           "stack_module_state", "vjp", "vmap"]
