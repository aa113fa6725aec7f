"""torch's backward-node names for the ops whose record is plain: a name, and the op's
floating-point tensor operands in order (torch lists the differentiable inputs; an index, a
mask or a number is none). Data for grad_fn_records.py, which holds the ops that need code.

Each name was read off torch 2.13 (`t.grad_fn.name()`); tests/test_grad_fn_graph.py compares
the graph's first levels with torch's for every row. An op on this list shows torch's name
where lazygrad's graph would show the primitive it ends in (std's SqrtBackward0, a cumsum's
CastBackward0, an erf's WhereBackward0).
"""
from __future__ import annotations

from lazygrad.frontend.grad_fn_operands import float_operands
from lazygrad.frontend.tensor_base import TensorBase

# Tensor method, and the function of the same name (lazygrad.*, nn.functional) -> name
ONE_NAME = {
    "std": "StdBackward0", "var": "VarBackward0", "std_mean": "StdMeanBackward0", "var_mean": "VarMeanBackward0",
    "log1p": "Log1PBackward0", "log2": "Log2Backward0", "rsqrt": "RsqrtBackward0", "sign": "SignBackward0",
    "exp2": "Exp2Backward0", "expm1": "Expm1Backward0", "erf": "ErfBackward0", "erfc": "ErfcBackward0",
    "sinc": "SincBackward0", "frac": "FracBackward0", "square": "PowBackward0", "reciprocal": "ReciprocalBackward0",
    "logsumexp": "LogsumexpBackward0", "cumsum": "CumsumBackward0", "cumprod": "CumprodBackward0",
    "logcumsumexp": "LogcumsumexpBackward0", "amax": "AmaxBackward0", "amin": "AminBackward0",
    "mode": "ModeBackward0", "norm": "LinalgVectorNormBackward0",
    "repeat": "RepeatBackward0", "roll": "RollBackward0", "flip": "FlipBackward0", "tril": "TrilBackward0",
    "triu": "TriuBackward0", "narrow": "SliceBackward0", "select": "SelectBackward0",
    "diagonal": "DiagonalBackward0", "trace": "TraceBackward0", "unfold": "UnfoldBackward0",
    "clone": "CloneBackward0", "contiguous": "CloneBackward0",
    **dict.fromkeys(["to", "type", "double", "float", "half", "bfloat16"], "ToCopyBackward0"),
    "gather": "GatherBackward0", "index_select": "IndexSelectBackward0", "take": "TakeBackward0",
    "atan2": "Atan2Backward0", "arctan2": "Atan2Backward0", "minimum": "MinimumBackward0",
    "maximum": "MaximumBackward0", "fmax": "FmaxBackward0", "fmin": "FminBackward0", "hypot": "HypotBackward0",
    "xlogy": "XlogyBackward0", "dist": "DistBackward0", "cdist": "CdistBackward0",
    "addcmul": "AddcmulBackward0", "addcdiv": "AddcdivBackward0", "addmm": "AddmmBackward0",
    "addmv": "AddmvBackward0", "baddbmm": "BaddbmmBackward0", "addbmm": "AddbmmBackward0",
    "index_add": "IndexAddBackward0", "scatter_add": "ScatterAddBackward0",
    "__rpow__": "PowBackward2",
}

# nn.functional only (their Tensor methods, where there are any, are other ops)
FUNCTIONAL_NAME = {
    "selu": "EluBackward0", "celu": "CeluBackward0", "elu": "EluBackward0", "mish": "MishBackward0",
    "logsigmoid": "LogSigmoidBackward0", "glu": "GluBackward0", "hardsigmoid": "HardsigmoidBackward0",
    "hardswish": "HardswishBackward0", "relu6": "HardtanhBackward0", "threshold": "ThresholdBackward0",
    "hardshrink": "HardshrinkBackward0", "softshrink": "SoftshrinkBackward0", "softplus": "SoftplusBackward0",
    "pixel_shuffle": "PixelShuffleBackward0", "pixel_unshuffle": "PixelUnshuffleBackward0",
    "max_pool3d": "MaxPool3DWithIndicesBackward0", "avg_pool3d": "AvgPool3DBackward0",
    "adaptive_max_pool2d": "AdaptiveMaxPool2DBackward0", "adaptive_avg_pool3d": "AdaptiveAvgPool3DBackward0",
}

# the 1-d poolings: torch's 2-d op over an unsqueeze, squeezed back
POOLED_1D = {
    "avg_pool1d": "AvgPool2DBackward0", "max_pool1d": "MaxPool2DWithIndicesBackward0",
    "adaptive_avg_pool1d": "AdaptiveAvgPool2DBackward0", "adaptive_max_pool1d": "AdaptiveMaxPool2DBackward0",
}

# name -> (torch's name with a number there, with a tensor there, where: position after self, keyword)
BY_OPERAND = {
    "masked_fill": ("MaskedFillBackward0", "MaskedFillBackward1", 1, "value"),
    "lerp": ("LerpBackward0", "LerpBackward1", 1, "weight"),
    "scatter": ("ScatterBackward1", "ScatterBackward0", 2, "src"),
}

# name -> (without a dim, with one): two ATen overloads
BY_DIM = {"prod": ("ProdBackward0", "ProdBackward1"), "median": ("MedianBackward0", "MedianBackward1"),
          "nanmedian": ("NanmedianBackward0", "NanmedianBackward1")}

# ops giving several tensors, every one a view out of one backward node
SEVERAL = {"chunk": "SplitBackward0", "unbind": "UnbindBackward0"}

# F.interpolate's mode -> torch's op by the input's spatial rank ("area" is adaptive average pooling)
UPSAMPLE = {
    "nearest": "UpsampleNearest{}DBackward0", "nearest-exact": "UpsampleNearestExact{}DBackward0",
    "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
    "bicubic": "UpsampleBicubic2DBackward0", "trilinear": "UpsampleTrilinear3DBackward0",
    "area": "AdaptiveAvgPool{}DBackward0",
}


# ---- the records these tables describe ---------------------------------------------------------

def _of_all(name):
    """name over every floating-point operand; a method gets (self, args, kwargs, out), a
    function (*args, **kwargs)."""
    def method(self, args, kwargs, out):
        return name, float_operands((self, *args, *kwargs.values()))

    def function(*args, **kwargs):
        return name, float_operands((*args, *kwargs.values()))
    return method, function


def _by_operand(number, tensor, position, keyword):
    def method(self, args, kwargs, out):
        given = args[position] if len(args) > position else kwargs.get(keyword)
        return (tensor if isinstance(given, TensorBase) else number), float_operands((self, *args, *kwargs.values()))
    return method


def _by_dim(whole, along):
    def method(self, args, kwargs, out):
        given = (args and args[0] is not None) or kwargs.get("dim") is not None
        return (along if given else whole), float_operands((self,))
    return method


def _several(name):
    def method(self, args, kwargs, out):
        return name, float_operands((self,))
    method.each_output = True
    return method


def _split(self, args, kwargs, out):
    sizes = args[0] if args else kwargs.get("split_size_or_sections", kwargs.get("split_size"))
    return ("SplitBackward0" if isinstance(sizes, int) else "SplitWithSizesBackward0"), float_operands((self,))


_split.each_output = True


def _interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None, antialias=False):
    spatial = input.ndim - 2
    if antialias or mode not in UPSAMPLE or not 1 <= spatial <= 3:
        return None
    if mode == "area" and spatial == 1:  # torch's adaptive_avg_pool1d: a 2-d pool of an unsqueeze
        inner = ("made", "AdaptiveAvgPool2DBackward0", (("made", "UnsqueezeBackward0", float_operands((input,))),))
        return "SqueezeBackward1", (inner if input.requires_grad else None,)
    return UPSAMPLE[mode].format(spatial), float_operands((input,))


def _pooled_1d(name):
    def function(input, *args, **kwargs):
        inner = ("made", name, (("made", "UnsqueezeBackward0", float_operands((input,))),))
        return "SqueezeBackward1", (inner if input.requires_grad else None,)
    return function


def _linalg_norm(A, ord=None, dim=None, keepdim=False, **kwargs):
    """linalg.norm is a vector norm where no matrix norm is asked for (torch's dispatch)."""
    vector = ord in (None, "fro") or A.ndim == 1 or isinstance(dim, int) or (dim is not None and len(dim) == 1)
    return ("LinalgVectorNormBackward0", float_operands((A,))) if vector else None


def linalg_functions() -> dict:
    """torch.linalg's functions -> record maker."""
    return {"vector_norm": _of_all("LinalgVectorNormBackward0")[1], "norm": _linalg_norm}


def methods() -> dict:
    """Tensor method -> record maker (self, args, kwargs, out) -> (name, inputs)."""
    found = {name: _of_all(torch_name)[0] for name, torch_name in ONE_NAME.items()}
    found.update({name: _by_operand(*spec) for name, spec in BY_OPERAND.items()})
    found.update({name: _by_dim(*names) for name, names in BY_DIM.items()})
    found.update({name: _several(torch_name) for name, torch_name in SEVERAL.items()})
    found["split"] = _split
    return found


def functions() -> dict:
    """Function (lazygrad.*, nn.functional) -> record maker (*args, **kwargs) -> (name, inputs)."""
    found = {name: _of_all(torch_name)[1] for name, torch_name in {**ONE_NAME, **FUNCTIONAL_NAME}.items()}
    found.update({name: _pooled_1d(torch_name) for name, torch_name in POOLED_1D.items()})
    found["interpolate"] = _interpolate
    return found
