"""torch.nn.modules.<file>.<Class> for every class lazygrad.nn has: torch's files group the
modules otherwise than ours (its Dropout sits in dropout.py, ours with the activations; its
LayerNorm in normalization.py, which we have no file of), and programs name them by torch's
path: an allow-list for torch.load (`torch.serialization.safe_globals([torch.nn.modules.
dropout.Dropout, ...])`), an isinstance check, a pickle.

Each entry is a torch file and the classes of it that our file of that name lacks; install()
puts the very class objects there (lazygrad.nn.modules.dropout.Dropout is lg.nn.Dropout), and
a torch file we have no file of becomes a module of its own, importable by that path. Declared
as data; tests/test_nn_module_paths.py holds it to torch's files.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

TORCH_FILES = {
    "activation": "Threshold RReLU Hardtanh ReLU6 Hardsigmoid Mish Hardswish ELU CELU SELU GLU Hardshrink "
                  "LogSigmoid Softplus Softshrink MultiheadAttention PReLU Softsign Tanhshrink Softmin Softmax2d",
    "batchnorm": "BatchNorm1d LazyBatchNorm1d BatchNorm2d LazyBatchNorm2d BatchNorm3d LazyBatchNorm3d SyncBatchNorm",
    "channelshuffle": "ChannelShuffle",
    "container": "ParameterList ParameterDict",
    "conv": "Conv3d ConvTranspose1d ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d "
            "LazyConvTranspose2d LazyConvTranspose3d",
    "dropout": "Dropout",
    "flatten": "Flatten Unflatten",
    "fold": "Fold Unfold",
    "instancenorm": "InstanceNorm1d LazyInstanceNorm1d InstanceNorm2d LazyInstanceNorm2d InstanceNorm3d "
                    "LazyInstanceNorm3d",
    "linear": "Bilinear LazyLinear",
    "linear_cross_entropy_options": "LinearCrossEntropyOptions",
    "loss": "NLLLoss2d PoissonNLLLoss GaussianNLLLoss KLDivLoss HingeEmbeddingLoss MultiLabelMarginLoss SmoothL1Loss "
            "HuberLoss SoftMarginLoss MultiLabelSoftMarginLoss CosineEmbeddingLoss MarginRankingLoss "
            "MultiMarginLoss TripletMarginLoss TripletMarginWithDistanceLoss CTCLoss",
    "normalization": "LocalResponseNorm CrossMapLRN2d LayerNorm GroupNorm RMSNorm",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "pooling": "MaxPool1d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d AvgPool1d AvgPool3d FractionalMaxPool2d "
               "FractionalMaxPool3d LPPool1d LPPool2d LPPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d "
               "AdaptiveMaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool3d",
    "sparse": "Embedding EmbeddingBag",
}


def install(classes: dict) -> None:
    """Give each torch file above its classes, taken by name from `classes` (lg.nn's namespace);
    run once, from lazygrad/nn/__init__.py, after every module class exists."""
    package = sys.modules[__name__.rpartition(".")[0]]
    for file, names in TORCH_FILES.items():
        path = f"{package.__name__}.{file}"
        if path in sys.modules or importlib.util.find_spec(path) is not None:
            module = importlib.import_module(path)
        else:
            module = types.ModuleType(path, f"torch.nn.modules.{file}: its classes, lazygrad's (nn/modules/torch_files.py)")
            sys.modules[path] = module
            setattr(package, file, module)
        for name in names.split():
            if not hasattr(module, name):
                setattr(module, name, classes[name])
