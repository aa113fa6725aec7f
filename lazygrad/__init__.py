"""lazygrad: looks eager, runs compiled. See README.md and docs/.

The public names, gathered from the layers (README's "How it is built"): the front end
(frontend/, nn/, optim/), the engine (lg.jit, lg.stats) and the runtime (devices). Nothing
inside lazygrad imports this module; `lg.autograd` holds torch.autograd's public names, and
`lg.random` is the front end's module of that name (torch.random.manual_seed).
"""
import gc as _gc
import math as _math
import warnings as _warnings
from types import SimpleNamespace as _SimpleNamespace

from lazygrad import config as config
from lazygrad import dtypes, nn, optim, utils
from lazygrad.config import caches
from lazygrad.dtypes import (
    DType,
    bfloat16,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from lazygrad.dtypes import DType as dtype  # torch.dtype: isinstance(x.dtype, lg.dtype)
from lazygrad.dtypes import can_cast as can_cast
from lazygrad.dtypes import promote_types as promote_types
from lazygrad.engine.jit import JitError
from lazygrad.engine.realize import stats
from lazygrad.errors import CompileError, DeviceError, DTypeError, IRParseError, LazygradError, ShapeError
from lazygrad.errors import user_stacklevel as _user_stacklevel
from lazygrad.frontend import accelerator as accelerator  # torch.accelerator
from lazygrad import autograd as autograd  # torch.autograd: its public names only
from lazygrad import distributions as distributions  # torch.distributions
from lazygrad import special as special  # torch.special
from lazygrad import linalg as linalg  # torch.linalg
from lazygrad import fft as fft  # torch.fft
from lazygrad import hub as hub  # torch.hub (local folders and cached checkpoints)
from lazygrad import sparse as sparse  # torch.sparse
from lazygrad import func as func  # torch.func (function transforms)
from lazygrad import amp as amp  # torch.amp (autocast, GradScaler)
from lazygrad import futures as futures  # torch.futures (Future, collect_all, wait_all)
from lazygrad import multiprocessing as multiprocessing  # torch.multiprocessing (spawn; tensors go by value)
from lazygrad import testing as testing  # torch.testing (assert_close, make_tensor)
from lazygrad import profiler as profiler  # torch.profiler (the kernels realized in a block)
from lazygrad import return_types as return_types  # torch.return_types (max(dim)'s named tuple, ...)
from lazygrad import onnx as onnx  # torch.onnx (importable; export raises NotImplementedError)
from lazygrad import serialization as serialization  # torch.serialization (save, load, safe_globals)
from lazygrad.frontend import backends as backends  # torch.backends (cudnn, mps, cuda flags)
from lazygrad.frontend import cpu as cpu  # torch.cpu (is_available, device_count, synchronize)
from lazygrad.frontend import torch_compiler as compiler  # torch.compiler (is_compiling, disable)
from lazygrad.frontend import cuda as cuda  # torch.cuda, as torch without CUDA answers it
from lazygrad.frontend import random as random  # torch.random
from lazygrad.autograd._grad_options import grad
from lazygrad.frontend.autocast_state import *  # (lg.set_autocast_enabled, lg.get_autocast_dtype, ...)
from lazygrad.frontend.defaults import (
    are_deterministic_algorithms_enabled,
    get_default_device,
    get_default_dtype,
    is_deterministic_algorithms_warn_only_enabled,
    set_default_device,
    set_default_dtype,
    use_deterministic_algorithms,
)
from lazygrad.frontend import composite_functions as _composite_functions
from lazygrad.frontend import legacy_sizes as _legacy_sizes
from lazygrad.frontend.composite_functions import *  # (lg.meshgrid, lg.cdist, ...)
from lazygrad.frontend.dtype_info import *  # (lg.finfo, lg.iinfo, lg.result_type, ...)
from lazygrad.frontend.factories import *  # noqa: F403  (lg.zeros, lg.arange, ...)
from lazygrad.frontend.fill_functions import *  # (lg.scalar_tensor, lg.fill, lg.rsub, ...)
from lazygrad.frontend.functions import *  # noqa: F403  (lg.exp, lg.sum, lg.cat, ...)
from lazygrad.frontend.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from lazygrad import jit as jit  # (callable: lg.jit(fn) records and replays; also torch.jit's names)
from lazygrad.frontend.linalg_torch_names import *  # (lg.svd, lg.qr, ...; installs x.svd() ...)
from lazygrad.frontend.removed_functions import *  # (lg.solve, lg.eig, ...: torch's removed functions, raising)
from lazygrad.frontend.legacy_tensors import (  # torch's typed constructors
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from lazygrad.frontend.legacy_tensors import set_default_tensor_type as set_default_tensor_type
from lazygrad.frontend.random import *  # noqa: F403  (lg.rand, lg.manual_seed, ...)
from lazygrad.frontend.random_fill import *  # (lg.normal, lg.bernoulli; installs x.normal_() ...)
from lazygrad.frontend.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from lazygrad.frontend.anomaly_mode import set_detect_anomaly as set_anomaly_enabled
from lazygrad.frontend.process_settings import *  # (lg.set_float32_matmul_precision, ...)
from lazygrad.frontend.searching import bucketize as bucketize
from lazygrad.frontend.searching import searchsorted as searchsorted
from lazygrad.frontend.serialization import load, save
from lazygrad.frontend.memory_format import *  # (lg.channels_last, lg.contiguous_format, ...)
from lazygrad.frontend.size import Size as Size
from lazygrad.frontend.spectral import istft as istft
from lazygrad.frontend.spectral import stft as stft
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.frontend.tensor_complex_names import *  # (lg.conj, lg.angle, ...; installs x.H, x.real ...)
from lazygrad.frontend.tensor_print import get_printoptions, printoptions, set_printoptions
from lazygrad.frontend.tensor_resize import *  # (lg.resize_as_; installs x.resize_(), x.resize_as_())
from lazygrad.frontend.tensor_strided import *  # (lg.as_strided, lg.empty_strided, ...; installs x.as_strided())
from lazygrad.frontend.tensor_more_names import *  # (lg.frombuffer, lg.nonzero_static, lg.put, ...; installs x.dim_order())
from lazygrad.frontend.tensor_storages import *  # (lg.is_storage, lg.UntypedStorage; installs x.storage())
from lazygrad.frontend.symbolic_scalars import *  # (lg.sym_int, lg.sym_max, lg.sym_ite, ...)
from lazygrad.frontend.control_flow import *  # (lg.cond, lg.while_loop: eager)
from lazygrad.frontend.tensor_interop import *  # (lg.from_file, lg.from_dlpack, lg.to_dlpack; installs x.__dlpack__())
from lazygrad.frontend.hash_tensor import *  # (lg.hash_tensor; installs x.hash_tensor())
from lazygrad.frontend.tensor_set import *  # (installs x.set_())
from lazygrad.frontend.tensor_method_names import *  # (installs x.to_dense(), x.resize_as(), x.storage_type(), ...)
from lazygrad.frontend.tensor_callbacks import *  # (installs x.apply_(), x.map_(), x.map2_())
from lazygrad.frontend.tensor_queries import *  # (lg.strided, lg.is_nonzero, ...; installs x.data_ptr() ...)
from lazygrad.frontend.tensor_stacking import *  # (lg.hstack, lg.hsplit, ...; installs x.fliplr() ...)
from lazygrad.frontend.torch_device import device
from lazygrad.frontend.view_copies import *  # (lg.view_copy, lg.permute_copy, ...; installs x.narrow_copy())
from lazygrad.nn.compiled import compile as compile  # (torch.compile)
from lazygrad.nn.torch_functions import *  # torch.conv2d, torch.selu, torch.dropout, ...
from lazygrad.nn.torch_level import *  # torch.layer_norm, torch.kl_div, torch.lstm_cell, ... (aten's signatures)
from lazygrad.nn.torch_norms import *  # (torch.native_batch_norm, torch.batch_norm_stats, ...: aten's norm primitives)
from lazygrad.nn.torch_embedding_bag import *  # (torch.embedding_bag: aten's argument order, four results)
from lazygrad.nn.torch_conv_grid import *  # (torch.convolution, torch.grid_sampler, torch.embedding_renorm_, ...)
from lazygrad.frontend.segment_histogram import *  # (torch.segment_reduce, torch.histogramdd)
from lazygrad.frontend.linalg_lowrank import *  # (torch.svd_lowrank, torch.pca_lowrank)
from lazygrad.nn.torch_rnn import *  # (torch.rnn_tanh, torch.lstm, torch.gru: the flat-weights recurrent layers)
from lazygrad.frontend.statistics import *  # (lg.cov, lg.corrcoef, lg.histogram; installs x.cov() ...)
from lazygrad.frontend.integration import *  # (lg.trapezoid, lg.cumulative_trapezoid, lg.gradient)
from lazygrad.frontend.window_functions import *  # (lg.hann_window, lg.kaiser_window, ...)
from lazygrad.frontend.tensor_measures import *  # (lg.inner, lg.dist, lg.renorm; installs x.inner() ...)
from lazygrad.frontend.random_counts import *  # (lg.poisson, lg.binomial)
from lazygrad.linalg import matrix_power as matrix_power  # torch.matrix_power (and x.matrix_power(n) below)
from lazygrad.runtime.registry import Device_ as Device
from lazygrad.runtime.registry import devices, register_device
from lazygrad.runtime.threads import get_num_interop_threads as get_num_interop_threads
from lazygrad.runtime.threads import get_num_threads as get_num_threads
from lazygrad.runtime.threads import set_num_interop_threads as set_num_interop_threads
from lazygrad.runtime.threads import set_num_threads as set_num_threads

fork, wait = jit.fork_now, jit.wait_for  # torch.fork / torch.wait (run at once)
bool = bool_  # noqa: A001  (torch spells it lazygrad.bool)
range = _composite_functions.deprecated_range  # (torch.range, deprecated there: lg.arange is Python's range)
float = float32  # noqa: A001
half = float16
double = float64
long = int64
int = int32  # noqa: A001
short = int16
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan  # torch.pi, torch.inf (-torch.inf masks), ...
newaxis = None  # (x[:, torch.newaxis], numpy's spelling)


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(data, Tensor):  # (torch's advice: a copy that says whether it keeps the graph)
        _warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                       "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                       UserWarning, stacklevel=_user_stacklevel())
    return Tensor(data, dtype=_legacy_sizes.data_dtype_of(data, dtype), device=device, requires_grad=requires_grad)


from_numpy = Tensor.from_numpy
vmap = func.vmap  # (torch.vmap is torch.func.vmap)
autocast, is_autocast_enabled = amp.autocast, amp.is_autocast_enabled
cuda.amp = _SimpleNamespace(GradScaler=amp._cuda_gradscaler, autocast=amp._cuda_autocast)  # (torch.cuda.amp)
cpu.amp = _SimpleNamespace(autocast=amp._cpu_autocast)  # (torch.cpu.amp)
compiler.compile = compile  # (torch.compiler.compile is torch.compile)
Tensor.matrix_power = matrix_power


__all__ = ["Tensor", "tensor", "realize", "dtypes", "DType", "Device", "devices", "stats",
           "no_grad", "enable_grad", "register_device", "grad", "nn", "optim", "save", "load", "caches",
           "device", "dtype", "inference_mode", "is_inference_mode_enabled", "set_default_dtype",
           "get_default_dtype", "set_default_device", "get_default_device", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor",
           "ShortTensor", "IntTensor", "LongTensor", "BoolTensor", "set_printoptions", "get_printoptions",
           "printoptions"]


from lazygrad.frontend import complex_functions as _complex_functions
from lazygrad.frontend import foreach as _foreach
from lazygrad.frontend import grad_fn_records as _grad_fn_records
from lazygrad.frontend import result_layouts as _result_layouts
from lazygrad.frontend import sparse_functions as _sparse_functions
from lazygrad.frontend import torch_kwargs as _torch_kwargs  # (after every op is here)

_grad_fn_records.install(Tensor, globals())  # what grad_fn.next_functions shows
_grad_fn_records.install_functions(nn.functional.__dict__)
_grad_fn_records.install_functions(linalg.__dict__, _grad_fn_records.grad_fn_names.linalg_functions())
_torch_kwargs.install(Tensor, globals())  # axis=/keepdims= aliases, out=, format(t, spec)
_complex_functions.install(Tensor, globals(), (nn.functional.__dict__,))  # complex tensors: their functions, a guard on all others
_sparse_functions.install(Tensor, globals())  # sparse tensors: constructors, products with a sparse operand
_result_layouts.install(Tensor, globals())  # torch's strides of elementwise results (outermost: it reads its caller's frame)
globals().update(_foreach.functions())  # torch._foreach_add_, _foreach_lerp_, ... (list-wise ops, built on the above)

from lazygrad import module_paths as _module_paths
from lazygrad import version as version  # torch.version (version.cuda is None: no CUDA build)

__version__ = version.__version__
_module_paths.install()  # import torch.backends.cudnn, torch.random, torch.optim.adamw, ... (as lazygrad's)

if config.settings.gc_freeze != "0":
    # Python's cycle collector scans every tracked object in its oldest generation, and the
    # ~70k objects of lazygrad and its libraries (functions, types, modules, caches) live as long
    # as the process: those scans were a tenth of an eager transformer step (8.7 -> 2.8 ms of
    # collection a step). Frozen, they are never scanned; reference counting still frees them.
    _gc.freeze()
