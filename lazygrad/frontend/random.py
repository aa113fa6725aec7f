"""Random numbers from a counter-based generator, written in primitive ops on uint32.

Element i of the k-th random tensor since `manual_seed(s)` is threefry-2x32 (20 rounds, the
Random123 algorithm) of the counter (i, k) under the key s. A random tensor is an ordinary lazy
expression of the IOTA primitive and a 3-word state buffer (key and k), so it fuses into the
kernels that use it, one compiled kernel serves every call, and every device gives the same
bits for the same seed.

From the two 32-bit words of each element:
  - rand: the top 24 bits of the first word, times 2**-24 (float32: every value in [0, 1) is a
    multiple of 2**-24); float64 takes 53 bits from both words;
  - randn: Box-Muller, u1 from the first word (kept away from 0), u2 from the second;
  - randint: the two words as one 64-bit number, modulo (high - low). The modulo bias is
    (high - low) / 2**64 at most, far below anything a test could see.
Tensors of 2**32 elements or more would repeat counters; that is not supported.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType, to_dtype
from lazygrad.errors import DTypeError, ShapeError
from lazygrad.frontend.factories import _size
from lazygrad.frontend.generator import MASK32, Generator, RandomState
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.torch_device import resolve_device
from lazygrad.ir.node import Node, make, one_user_line
from lazygrad.ir.ops import Op

ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
KEY_PARITY = 0x1BD11BDA
default_generator = Generator()
_STATE = default_generator  # (the name nn/_shared.py reads)


def manual_seed(seed: int) -> Generator:
    """Restart the default generator: the same seed gives the same numbers on every device."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator nondeterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type: str = "cuda"):
    """torch.random.fork_rng: the default generator's state is restored when the block ends, so
    the random numbers drawn inside do not change what is drawn after it (devices and
    device_type name torch's accelerator generators; lazygrad's one generator serves all)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    others = [(get(), put) for get, put in OTHER_STREAMS]
    try:
        yield
    finally:
        set_rng_state(state)
        for saved, put in others:
            put(saved)


# the random streams other layers keep beside the default generator, as (get state, set state):
# fork_rng restores them too (nn draws initial weights from a host stream of its own)
OTHER_STREAMS: list[tuple] = []


def _generator(generator) -> RandomState:
    """The state a random op draws from: the default generator, or the one given (which lg.jit
    cannot refill before a replay: refused while it records)."""
    if generator is None:
        return default_generator
    if not isinstance(generator, RandomState):
        raise TypeError(f"generator must be a lazygrad Generator (lg.Generator()), got {type(generator).__name__}")
    if _trace is not None and generator is not default_generator:
        raise NotImplementedError("a random op with generator= inside lg.jit is not supported: the replays "
                                  "could not advance that generator; use the default one (lg.manual_seed)")
    return generator


def _u32(value: int, like: Node) -> Node:
    return make(Op.CONST, (), value & MASK32, dtypes.uint32, like.shape, like.device)


def threefry_nodes(key: tuple, x0: Node, x1: Node) -> tuple[Node, Node]:
    """Threefry-2x32 with 20 rounds on two uint32 nodes of one shape; key is two Python ints
    or two uint32 nodes of that shape. Built on graph nodes, not tensors: a dropout mask's 150
    ops would otherwise pay a tensor op's dispatch each, every step; each constant is made
    once a call."""
    consts: dict[int, Node] = {}

    def u32(value: int) -> Node:
        node = consts.get(value)
        if node is None:
            node = consts[value] = _u32(value, x0)
        return node

    def rotate_left(x: Node, r: int) -> Node:
        return make(Op.OR, (make(Op.SHL, (x, u32(r))), make(Op.SHR, (x, u32(32 - r)))))

    k0, k1 = (k if isinstance(k, Node) else u32(k) for k in key)
    ks = (k0, k1, make(Op.XOR, (make(Op.XOR, (u32(KEY_PARITY), k0)), k1)))
    x0, x1 = make(Op.ADD, (x0, ks[0])), make(Op.ADD, (x1, ks[1]))
    for r in range(20):
        x0 = make(Op.ADD, (x0, x1))
        x1 = make(Op.XOR, (rotate_left(x1, ROTATIONS[r % 8]), x0))
        if r % 4 == 3:
            i = r // 4 + 1
            x0 = make(Op.ADD, (x0, ks[i % 3]))
            x1 = make(Op.ADD, (x1, make(Op.ADD, (ks[(i + 1) % 3], u32(i)))))
    return x0, x1


def threefry2x32(key: tuple[int, int], x0: Tensor, x1: Tensor) -> tuple[Tensor, Tensor]:
    """threefry_nodes on two uint32 tensors of one shape and a key of two Python ints."""
    return tuple(Tensor._wrap(n) for n in threefry_nodes(key, x0.node, x1.node))


# Every call reads its key and counter from its own uint32[3] buffer (key0, key1, counter),
# written from the host, so all calls of one shape share one compiled kernel. lg.jit records
# the buffers a trace used and refills them before every replay, which then continues the
# generator's sequence exactly as plain calls would.
_trace: list | None = None  # while lg.jit traces: (state buffer, offset from the first counter)
_trace_base = 0


def begin_trace() -> None:
    global _trace, _trace_base
    _trace, _trace_base = [], _STATE.counter


def end_trace() -> tuple[int, list]:
    """Stop tracing; returns how many random tensors the trace made, and their buffers."""
    global _trace
    made, record, _trace = _STATE.counter - _trace_base, _trace or [], None
    return made, record


def before_replay(made: int, record: list) -> None:
    """Point the traced random ops at the generator's next counters, then advance it."""
    for state, offset in record:
        state.node.buffer.copyin(_state_words(_STATE.counter + offset))
    _STATE.counter += made


def _state_words(counter: int, state: RandomState = None):
    seed = (state or default_generator).initial_seed() % (1 << 64)
    return np.array([seed & MASK32, seed >> 32, counter & MASK32], np.uint32)


def _state_tensor(device: str, counter: int, generator: RandomState = None):
    state = Tensor(_state_words(counter, generator), device=device)
    if _trace is not None:
        _trace.append((state, counter - _trace_base))
    return state


def random_bits(shape: tuple[int, ...], device: str, generator=None):
    """Two uint32 words for every element of shape, from the next counter of the generator."""
    source = _generator(generator)
    _, counter = source.next_key_and_counter()
    n = math.prod(shape)
    state = _state_tensor(device, counter, source).node
    with one_user_line():
        index = make(Op.IOTA, (), None, dtypes.uint32, (n,), device)
        k0, k1, count = (make(Op.EXPAND, (make(Op.SHRINK, (state,), ((i, i + 1),)),), (n,)) for i in range(3))
        x0, x1 = threefry_nodes((k0, k1), index, count)
    return Tensor._wrap(x0).reshape(shape), Tensor._wrap(x1).reshape(shape)


def _uniform(word0, word1, dtype: DType):
    """[0, 1) from the top bits, exactly representable in dtype (so never rounded up to 1)."""
    if dtype == dtypes.float64:
        high = (word0 >> 5).cast(dtypes.float64)  # 27 bits
        low = (word1 >> 6).cast(dtypes.float64)  # 26 bits
        return (high * 2.0 ** 26 + low) * 2.0 ** -53
    bits = _PRECISION_BITS[dtype.name]
    return ((word0 >> (32 - bits)).cast(dtypes.float32) * 2.0 ** -bits).cast(dtype)


# significant bits of the floats narrower than float64: the uniform draws take that many
_PRECISION_BITS = {"float32": 24, "float16": 11, "bfloat16": 8}


def _normal(word0, word1, dtype: DType):
    """Box-Muller: sqrt(-2 log u1) cos(2 pi u2), with u1 in (0, 1] so the log is finite."""
    work = dtypes.float64 if dtype == dtypes.float64 else dtypes.float32
    if work == dtypes.float64:
        u1 = (word0.cast(work) + 1.0) * 2.0 ** -32
        u2 = word1.cast(work) * 2.0 ** -32
    else:
        u1 = ((word0 >> 8).cast(work) + 1.0) * 2.0 ** -24
        u2 = (word1 >> 8).cast(work) * 2.0 ** -24
    radius = (u1.log() * -2.0).sqrt()
    return (radius * _cos_of_turn(u2 * (2.0 * math.pi))).cast(dtype)


def _cos_of_turn(x):
    """cos x for x in [0, 2 pi) as sin(pi/2 - x), pi/2 a rounded head plus its tail: one read
    of x, so the draw stays one kernel with its uniform bits (cos() counts quarter turns,
    reading x thrice, and the scheduler would then give the bits a kernel of their own), and
    the stream stays what it was. Within 5e-7 of cos here, where the turns count nothing."""
    head = float(np.array(math.pi / 2, x.dtype.np))
    tail = math.pi / 2 - head if x.dtype == dtypes.float32 else 6.123233995736766e-17  # (float64's: pi/2 - head)
    return ((head - x) + tail)._unary(Op.SIN)


def _shape_args(size) -> tuple[int, ...]:
    return _size(size)


def _float_dtype(dtype) -> DType:
    dt = to_dtype(dtype) if dtype is not None else dtypes.default_float
    if not dt.is_float:
        raise TypeError(f"random floats need a floating point dtype, got {dt.name}")
    return dt


def _device(device) -> str:
    return resolve_device(device)


def _finish(t, requires_grad: bool):
    return t.requires_grad_() if requires_grad else t


def rand(*size, generator=None, dtype: DType | None = None, device: str | None = None,
         requires_grad: bool = False):
    """Uniform on [0, 1)."""
    shape = _shape_args(size)
    dt = _float_dtype(dtype)
    words = random_bits(shape, _device(device), generator)
    return _finish(_uniform(*words, dt), requires_grad)


def randn(*size, generator=None, dtype: DType | None = None, device: str | None = None,
          requires_grad: bool = False):
    """Standard normal."""
    shape = _shape_args(size)
    dt = _float_dtype(dtype)
    words = random_bits(shape, _device(device), generator)
    return _finish(_normal(*words, dt), requires_grad)


def randint(*args, size=None, low=None, high=None, generator=None, dtype: DType | None = None,
            device: str | None = None, requires_grad: bool = False):
    """Integers in [low, high): randint(high, size) or randint(low, high, size), as torch."""
    positional = list(args)
    if size is None and positional and isinstance(positional[-1], (tuple, list)):
        size = positional.pop()
    if len(positional) == 2:
        low, high = positional
    elif len(positional) == 1:
        if high is None:
            high = positional[0]
        else:
            low = positional[0]
    elif positional:
        raise TypeError(f"randint takes (high, size) or (low, high, size), got {args!r}")
    low = 0 if low is None else int(low)
    if high is None or size is None:
        raise TypeError("randint needs high and size")
    high = int(high)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _shape_args((tuple(size),))
    dt = to_dtype(dtype) if dtype is not None else dtypes.default_int
    wide = _wide_bits(shape, _device(device), generator)
    offset = wide._binary(Op.MOD, high - low).cast(dtypes.int64)
    return _finish((offset + low).cast(dt), requires_grad)


def _wide_bits(shape: tuple[int, ...], device: str, generator=None):
    """One uint64 for every element of shape: the two words of random_bits."""
    word0, word1 = random_bits(shape, device, generator)
    return (word0.cast(dtypes.uint64) << 32) | word1.cast(dtypes.uint64)


def rand_like(input, dtype: DType | None = None, device: str | None = None,
              requires_grad: bool = False, *, generator=None):
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, dtype: DType | None = None, device: str | None = None,
               requires_grad: bool = False, *, generator=None):
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randperm(n: int, *, generator=None, dtype: DType | None = None, device: str | None = None,
             requires_grad: bool = False):
    """A random order of 0..n-1: the order of n random 64-bit keys (ties, at odds of n**2 / 2**65,
    by index), sorted on the host. So it is computed when called, and refused while lg.jit
    records (a replay would give the same order again)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    if _trace is not None:
        raise NotImplementedError("lg.randperm inside lg.jit is not supported: its order is sorted on the host "
                                  "when called, so a replay would repeat it; draw it outside the jitted function")
    dt = to_dtype(dtype) if dtype is not None else dtypes.default_int
    dev = _device(device)
    keys = _wide_bits((n,), dev, generator).numpy() if n else np.zeros(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    return _finish(Tensor(order.astype(dt.np), dtype=dt, device=dev), requires_grad)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None, out=None):
    """num_samples category indices for each row of weights (torch.multinomial). With
    replacement, each is where a uniform draw falls in the row's cumulative weights; without,
    the categories whose exponential race keys -log(1 - u) / w come first (one at a time, each
    winner's key then set to inf), which draws them with torch's probabilities; once the
    positive weights are used up, zero-weight categories follow (torch's come in an order of
    its own; these in index order). Weights that
    are negative, inf or nan, or a row summing to 0, raise torch's RuntimeError at the next
    realize: they are only known on the device (frontend/index_checks.py)."""
    if out is not None:
        raise NotImplementedError("multinomial(out=...) is not supported")
    if not input.dtype.is_float:
        raise DTypeError(f"multinomial only supports floating-point dtypes for input, got {input.dtype.name}")
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ShapeError(f"prob_dist must be 1 or 2 dim with at least one category, got shape {list(input.shape)}")
    k = input.shape[-1]
    if num_samples <= 0 or (not replacement and num_samples > k):
        raise RuntimeError(f"cannot sample n_sample={num_samples} from {k} categories "
                           f"{'' if replacement else 'without replacement'}".rstrip())
    w = (input if input.ndim == 2 else input.unsqueeze(0)).float().detach()
    n = w.shape[0]
    check_all((w >= 0) & w.isfinite(), "probability tensor contains either `inf`, `nan` or element < 0")
    check_all(w.sum(-1) > 0, "invalid multinomial distribution (sum of probabilities <= 0)")
    u = rand(n, num_samples, device=input.device, generator=generator)
    if replacement:
        cdf = w.cumsum(-1)
        drawn = u * cdf[:, -1:]
        picked = (cdf.unsqueeze(1) <= drawn.unsqueeze(-1)).sum(-1)._minimum(k - 1)
    else:  # past the positive weights, zero ones in index order; a winner's key is inf
        position = Tensor(np.arange(k), device=input.device)
        race = -(1 - rand(n, k, device=input.device, generator=generator)).log() / w
        keys = (w > 0).if_else(race, position.float() + 1e30)
        chosen = []
        for _ in range(num_samples):
            winner = keys.argmin(-1, keepdim=True)
            chosen.append(winner)
            keys = (position == winner).if_else(math.inf, keys)
        picked = chosen[0].cat(*chosen[1:], dim=-1)
    picked = picked.cast(dtypes.int64)
    return picked if input.ndim == 2 else picked.squeeze(0)


_OPS = ["manual_seed", "multinomial", "rand", "rand_like", "randint", "randn", "randn_like", "randperm"]
for _name in _OPS:  # Tensor.rand, ..., as torch has them (factories.py does the same)
    setattr(Tensor, _name, staticmethod(globals()[_name]))
__all__ = ["Generator", "default_generator", "get_rng_state", "initial_seed", "manual_seed", "multinomial", "rand",
           "rand_like", "randint", "randn", "randn_like", "randperm", "seed", "set_rng_state"]
Tensor.multinomial = multinomial  # (a method of the weights)
