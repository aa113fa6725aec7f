"""print(model) shows what torch's shows: every module's extra_repr (its options, as torch
prints them) and torch's class names; compared with torch for each module torch.nn has."""
import warnings

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

MODULES = {  # name: (args, kwargs)
    "AdaptiveAvgPool1d": ((3,), {}), "AdaptiveAvgPool2d": (((1, 1),), {}), "AdaptiveAvgPool3d": ((2,), {}),
    "AdaptiveMaxPool1d": ((3,), {}), "AdaptiveMaxPool2d": ((2,), {}), "AdaptiveMaxPool3d": ((2,), {}),
    "AlphaDropout": ((0.2,), {}), "AvgPool1d": ((2,), {}), "AvgPool2d": ((2,), {}), "AvgPool3d": ((2, 1), {}), 
    "BCELoss": ((), {}), "BCEWithLogitsLoss": ((), {}), "BatchNorm1d": ((6,), {}), "BatchNorm2d": ((6,), {"affine": False}),
    "BatchNorm3d": ((6,), {"track_running_stats": False}), "Bilinear": ((2, 3, 4), {}), "CELU": ((), {}),
    "CTCLoss": ((), {}), "ChannelShuffle": ((2,), {}), "CircularPad1d": ((1,), {}), "CircularPad2d": ((1,), {}),
    "CircularPad3d": ((1,), {}), "ConstantPad1d": ((2, 0.5), {}), "ConstantPad2d": (((1, 2, 0, 1), 0.0), {}),
    "ConstantPad3d": ((1, 3.5), {}), "Conv1d": ((3, 6, 3), {}), "Conv2d": ((3, 6, 5), {}), "Conv3d": ((3, 6, 3), {"stride": 2, "padding": 1, "bias": False}),
    "ConvTranspose1d": ((3, 6, 3), {}), "ConvTranspose2d": ((3, 6, 3, 2), {"output_padding": 1}), "ConvTranspose3d": ((3, 6, 3), {}),
    "CosineEmbeddingLoss": ((), {}), "CosineSimilarity": ((), {}), "CrossEntropyLoss": ((), {}), "Dropout": ((0.2,), {}),
    "Dropout1d": ((), {}), "Dropout2d": ((0.1,), {}), "Dropout3d": ((), {}), "ELU": ((), {}), "Embedding": ((10, 3), {}),
    "EmbeddingBag": ((10, 3), {}), "FeatureAlphaDropout": ((), {}), "Flatten": ((), {}), "Fold": (((4, 5), (2, 2)), {}),
    "GELU": ((), {}), "GLU": ((), {}), "GRU": ((4, 8), {}), "GRUCell": ((4, 8), {}), "GaussianNLLLoss": ((), {}),
    "GroupNorm": ((2, 6), {}), "Hardshrink": ((), {}), "Hardsigmoid": ((), {}), "Hardswish": ((), {}), "Hardtanh": ((), {}),
    "HingeEmbeddingLoss": ((), {}), "HuberLoss": ((), {}), "Identity": ((), {}), "InstanceNorm1d": ((3,), {}),
    "InstanceNorm2d": ((3,), {"affine": True}), "InstanceNorm3d": ((3,), {}), "KLDivLoss": ((), {}), "L1Loss": ((), {}),
    "LPPool1d": ((2, 3), {}), "LPPool2d": ((2, 3), {}), "LPPool3d": ((2, 3), {}), "LSTM": ((4, 8), {}), "LSTMCell": ((4, 8), {}),
    "LayerNorm": ((6,), {}), "LeakyReLU": ((0.1,), {}), "Linear": ((3, 4), {}), "LocalResponseNorm": ((2,), {}),
    "LogSigmoid": ((), {}), "LogSoftmax": ((1,), {}), "MSELoss": ((), {}), "MarginRankingLoss": ((), {}),
    "MaxPool1d": ((2,), {}), "MaxPool2d": ((2, 2), {}), "MaxPool3d": ((3,), {"stride": 1, "padding": 1}),
    "MaxUnpool1d": ((2,), {}), "MaxUnpool2d": ((2,), {}), "MaxUnpool3d": ((2,), {}), "Mish": ((), {}),
    "MultiLabelMarginLoss": ((), {}), "MultiLabelSoftMarginLoss": ((), {}), "MultiMarginLoss": ((), {}),
    "MultiheadAttention": ((8, 2), {}), "NLLLoss": ((), {}), "NLLLoss2d": ((), {}), "PReLU": ((), {}),
    "PairwiseDistance": ((), {}), "PixelShuffle": ((2,), {}), "PixelUnshuffle": ((2,), {}), "PoissonNLLLoss": ((), {}),
    "RMSNorm": ((6,), {}), "RNN": ((4, 8), {"num_layers": 2, "nonlinearity": "relu"}), "RNNCell": ((4, 8), {}), "RReLU": ((), {}),
    "ReLU": ((True,), {}), "ReLU6": ((), {}), "ReflectionPad1d": ((1,), {}), "ReflectionPad2d": ((1,), {}),
    "ReflectionPad3d": ((1,), {}), "ReplicationPad1d": ((1,), {}), "ReplicationPad2d": ((1,), {}), "ReplicationPad3d": ((1,), {}),
    "SELU": ((), {}), "SiLU": ((), {}), "Sigmoid": ((), {}), "SmoothL1Loss": ((), {}), "SoftMarginLoss": ((), {}),
    "Softmax": ((), {}), "Softmax2d": ((), {}), "Softmin": ((1,), {}), "Softplus": ((), {}), "Softshrink": ((), {}),
    "Softsign": ((), {}), "Tanh": ((), {}), "Tanhshrink": ((), {}), "Threshold": ((0.1, 20.0), {}),
    "TransformerEncoderLayer": ((8, 2, 16), {}), "TransformerDecoderLayer": ((8, 2, 16), {}),
    "TripletMarginLoss": ((), {}), "TripletMarginWithDistanceLoss": ((), {}), "Unflatten": ((1, (2, 3)), {}),
    "Unfold": ((2,), {}), "Upsample": ((), {"scale_factor": 2}), "UpsamplingBilinear2d": ((), {"scale_factor": 2}),
    "UpsamplingNearest2d": ((), {"size": 4}), "ZeroPad1d": ((1,), {}), "ZeroPad2d": (((1, 2, 0, 1),), {}), "ZeroPad3d": ((1,), {}),
    "Sequential": ((), {}), "ModuleList": ((), {}), "ModuleDict": ((), {}),
}
VARIANTS = [  # (name, args, kwargs): options that change what prints
    ("Embedding", (10, 3, 0), {}), ("Embedding", (10, 3), {"max_norm": 1.0, "norm_type": 1.0}),
    ("Conv2d", (3, 6, 3), {"padding": "same", "bias": False, "dilation": 2, "groups": 3}),
    ("Conv1d", (2, 4, 3), {"padding_mode": "zeros"}), ("Dropout", (), {}), ("LeakyReLU", (0.2, True), {}),
    ("Softmax", (1,), {}), ("MaxPool2d", (3,), {"ceil_mode": True}), ("AvgPool2d", ((2, 3),), {"padding": 1}),
    ("LayerNorm", ((2, 3),), {"elementwise_affine": False}), ("GroupNorm", (2, 4), {"affine": False}),
    ("GELU", (), {"approximate": "tanh"}), ("EmbeddingBag", (10, 3), {"mode": "sum", "padding_idx": 2}),
    ("Linear", (3, 4, False), {}), ("ELU", (0.5, True), {}),
]
CASES = [(name, *MODULES[name]) for name in MODULES] + VARIANTS


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}{c[1]}{c[2] or ''}" for c in CASES])
def test_module_prints_as_torchs(name, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NLLLoss2d's deprecation)
        assert repr(getattr(lg.nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


def test_a_tutorials_network_prints_as_torchs():
    def net(nn):
        return nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(6 * 14 * 14, 10),
                             nn.Dropout(0.25), nn.LogSoftmax(dim=1))
    assert repr(net(lg.nn)) == repr(net(torch.nn))


def test_parameter_containers_print_their_entries_as_torchs():
    def held(T):
        plist = T.nn.ParameterList([T.nn.Parameter(T.ones(2)), 3, T.ones(2, 3, dtype=T.float64)])
        pdict = T.nn.ParameterDict({"a": T.nn.Parameter(T.ones(2)), "b": T.ones(3, dtype=T.float64), "c": "x"})
        one = T.nn.ParameterList([T.nn.Parameter(T.zeros(()))])
        return T.nn.ModuleDict({"l": plist, "d": pdict, "one": one, "empty": T.nn.ParameterList()})
    assert repr(held(lg)).replace("lazygrad.", "torch.") == repr(held(torch))  # (dtypes print as lazygrad's)
