"""nn modules, one family a file."""
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
from lazygrad.nn.modules.attention import MultiheadAttention
from lazygrad.nn.modules.container import ModuleDict, ModuleList, Sequential
from lazygrad.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from lazygrad.nn.modules.linear import Embedding, Flatten, Identity, Linear, Unflatten
from lazygrad.nn.modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from lazygrad.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
                                            "GELU",
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
                                            "GroupNorm",
                                            "Identity",
                                            "L1Loss",
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
                                            "ReLU",
                                            "Sequential",
                                            "SiLU",
                                            "Sigmoid",
                                            "Softmax",
                                            "Tanh",
                                            "Unflatten",
]
