"""nn modules, one family a file."""
from lazygrad.nn.linear_cross_entropy import LinearCrossEntropyOptions
from lazygrad.nn.modules import utils as utils  # (torch.nn.modules.utils)
from lazygrad.nn.modules.activation import (
                                            GELU,
                                            Dropout,
                                            LeakyReLU,
                                            LogSoftmax,
                                            ReLU,
                                            Sigmoid,
                                            SiLU,
                                            Softmax,
                                            Tanh,
)
from lazygrad.nn.modules.activation_more import (
                                            CELU,
                                            ELU,
                                            GLU,
                                            SELU,
                                            Hardshrink,
                                            Hardsigmoid,
                                            Hardswish,
                                            Hardtanh,
                                            LogSigmoid,
                                            Mish,
                                            PReLU,
                                            ReLU6,
                                            RReLU,
                                            Softmax2d,
                                            Softmin,
                                            Softplus,
                                            Softshrink,
                                            Softsign,
                                            Tanhshrink,
                                            Threshold,
)
from lazygrad.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss
from lazygrad.nn.modules.attention import MultiheadAttention
from lazygrad.nn.modules.container import ModuleDict, ModuleList, Sequential
from lazygrad.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from lazygrad.nn.modules.conv_more import (
                                            Conv3d,
                                            ConvTranspose1d,
                                            ConvTranspose3d,
                                            Fold,
                                            PixelShuffle,
                                            PixelUnshuffle,
                                            Unfold,
)
from lazygrad.nn.modules.distance import CosineSimilarity, PairwiseDistance
from lazygrad.nn.modules.dropout import AlphaDropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from lazygrad.nn.modules.layers_more import (
                                            Bilinear,
                                            CrossMapLRN2d,
                                            EmbeddingBag,
                                            InstanceNorm1d,
                                            InstanceNorm2d,
                                            InstanceNorm3d,
                                            LocalResponseNorm,
)
from lazygrad.nn.modules.lazy import (
                                            LazyBatchNorm1d,
                                            LazyBatchNorm2d,
                                            LazyBatchNorm3d,
                                            LazyConv1d,
                                            LazyConv2d,
                                            LazyConv3d,
                                            LazyConvTranspose1d,
                                            LazyConvTranspose2d,
                                            LazyConvTranspose3d,
                                            LazyInstanceNorm1d,
                                            LazyInstanceNorm2d,
                                            LazyInstanceNorm3d,
                                            LazyLinear,
)
from lazygrad.nn.modules.linear import Embedding, Flatten, Identity, Linear, Unflatten
from lazygrad.nn.modules.loss import (
                                            BCELoss,
                                            BCEWithLogitsLoss,
                                            CrossEntropyLoss,
                                            L1Loss,
                                            LinearCrossEntropyLoss,
                                            MSELoss,
                                            NLLLoss,
)
from lazygrad.nn.modules.loss_more import (
                                            CosineEmbeddingLoss,
                                            CTCLoss,
                                            GaussianNLLLoss,
                                            HingeEmbeddingLoss,
                                            HuberLoss,
                                            KLDivLoss,
                                            MarginRankingLoss,
                                            MultiLabelMarginLoss,
                                            MultiLabelSoftMarginLoss,
                                            MultiMarginLoss,
                                            NLLLoss2d,
                                            PoissonNLLLoss,
                                            SmoothL1Loss,
                                            SoftMarginLoss,
                                            TripletMarginLoss,
                                            TripletMarginWithDistanceLoss,
)
from lazygrad.nn.modules.misc_more import (
                                            BatchNorm3d,
                                            ChannelShuffle,
                                            LPPool1d,
                                            LPPool2d,
                                            LPPool3d,
                                            ParameterDict,
                                            ParameterList,
                                            RMSNorm,
)
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from lazygrad.nn.modules.padding import (
                                            CircularPad1d,
                                            CircularPad2d,
                                            CircularPad3d,
                                            ConstantPad1d,
                                            ConstantPad2d,
                                            ConstantPad3d,
                                            ReflectionPad1d,
                                            ReflectionPad2d,
                                            ReflectionPad3d,
                                            ReplicationPad1d,
                                            ReplicationPad2d,
                                            ReplicationPad3d,
                                            ZeroPad1d,
                                            ZeroPad2d,
                                            ZeroPad3d,
)
from lazygrad.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from lazygrad.nn.modules.pooling_fractional import FractionalMaxPool2d, FractionalMaxPool3d
from lazygrad.nn.modules.pooling_more import (
                                            AdaptiveAvgPool1d,
                                            AdaptiveAvgPool3d,
                                            AdaptiveMaxPool1d,
                                            AdaptiveMaxPool2d,
                                            AdaptiveMaxPool3d,
                                            AvgPool1d,
                                            AvgPool3d,
                                            MaxPool1d,
                                            MaxPool3d,
                                            MaxUnpool1d,
                                            MaxUnpool2d,
                                            MaxUnpool3d,
)
from lazygrad.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from lazygrad.nn.modules.sync_batchnorm import SyncBatchNorm
from lazygrad.nn.modules.transformer import (
                                            Transformer,
                                            TransformerDecoder,
                                            TransformerDecoderLayer,
                                            TransformerEncoder,
                                            TransformerEncoderLayer,
)
from lazygrad.nn.modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
                                            "GELU",
                                            "GRU",
                                            "LSTM",
                                            "RNN",
                                            "AdaptiveAvgPool2d",
                                            "AvgPool2d",
                                            "BCELoss",
                                            "BCEWithLogitsLoss",
                                            "BatchNorm1d",
                                            "BatchNorm2d",
                                            "Conv1d",
                                            "Conv2d",
                                            "ConvTranspose2d",
                                            "CrossEntropyLoss",
                                            "Dropout",
                                            "Embedding",
                                            "Flatten",
                                            "GRUCell",
                                            "GroupNorm",
                                            "Identity",
                                            "L1Loss",
                                            "LSTMCell",
                                            "LayerNorm",
                                            "LeakyReLU",
                                            "Linear",
                                            "LogSoftmax",
                                            "MSELoss",
                                            "MaxPool2d",
                                            "Module",
                                            "ModuleDict",
                                            "ModuleList",
                                            "MultiheadAttention",
                                            "NLLLoss",
                                            "RNNBase",
                                            "RNNCell",
                                            "RNNCellBase",
                                            "ReLU",
                                            "Sequential",
                                            "SiLU",
                                            "Sigmoid",
                                            "Softmax",
                                            "Tanh",
                                            "Unflatten",
]

__all__ += [  # activation_more.py
                                            "CELU",
                                            "ELU",
                                            "GLU",
                                            "SELU",
                                            "Hardshrink",
                                            "Hardsigmoid",
                                            "Hardswish",
                                            "Hardtanh",
                                            "LogSigmoid",
                                            "Mish",
                                            "PReLU",
                                            "RReLU",
                                            "ReLU6",
                                            "Softmax2d",
                                            "Softmin",
                                            "Softplus",
                                            "Softshrink",
                                            "Softsign",
                                            "Tanhshrink",
                                            "Threshold",
]

__all__ += [  # loss_more.py, distance.py
                                            "CosineEmbeddingLoss",
                                            "CosineSimilarity",
                                            "GaussianNLLLoss",
                                            "HingeEmbeddingLoss",
                                            "HuberLoss",
                                            "KLDivLoss",
                                            "MarginRankingLoss",
                                            "MultiLabelSoftMarginLoss",
                                            "PairwiseDistance",
                                            "PoissonNLLLoss",
                                            "SmoothL1Loss",
                                            "SoftMarginLoss",
                                            "TripletMarginLoss",
]

__all__ += [  # dropout.py
    "AlphaDropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
]

__all__ += [  # transformer.py
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]

__all__ += [  # pooling_more.py
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool3d",
    "MaxPool1d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]

__all__ += [  # conv_more.py
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose3d",
    "Fold",
    "PixelShuffle",
    "PixelUnshuffle",
    "Unfold",
]

__all__ += [  # upsampling.py
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]

__all__ += [  # layers_more.py, sync_batchnorm.py
    "Bilinear",
    "CrossMapLRN2d",
    "EmbeddingBag",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
    "SyncBatchNorm",
]

__all__ += ["AdaptiveLogSoftmaxWithLoss", "FractionalMaxPool2d", "FractionalMaxPool3d"]  # adaptive.py, pooling_fractional.py

__all__ += [  # misc_more.py, padding.py
                                            "BatchNorm3d",
                                            "ChannelShuffle",
                                            "CircularPad1d",
                                            "CircularPad2d",
                                            "CircularPad3d",
                                            "ConstantPad1d",
                                            "ConstantPad2d",
                                            "ConstantPad3d",
                                            "LPPool1d",
                                            "LPPool2d",
                                            "LPPool3d",
                                            "ParameterDict",
                                            "ParameterList",
                                            "RMSNorm",
                                            "ReflectionPad1d",
                                            "ReflectionPad2d",
                                            "ReflectionPad3d",
                                            "ReplicationPad1d",
                                            "ReplicationPad2d",
                                            "ReplicationPad3d",
                                            "ZeroPad1d",
                                            "ZeroPad2d",
                                            "ZeroPad3d",
]

__all__ += [  # loss_more.py
    "MultiLabelMarginLoss",
    "MultiMarginLoss",
    "NLLLoss2d",
    "TripletMarginWithDistanceLoss",
]

__all__ += [  # lazy.py
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
]

__all__ += ["CTCLoss"]  # loss_more.py
__all__ += ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]  # loss.py, linear_cross_entropy.py
