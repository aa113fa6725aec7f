"""nn modules, one family a file."""
from lazygrad.nn.modules.activation import (GELU, Dropout, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,
                                            Softmax, Tanh)
from lazygrad.nn.modules.attention import MultiheadAttention
from lazygrad.nn.modules.container import ModuleDict, ModuleList, Sequential
from lazygrad.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from lazygrad.nn.modules.linear import Embedding, Flatten, Identity, Linear, Unflatten
from lazygrad.nn.modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from lazygrad.nn.modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = ["Module", "Linear", "Identity", "Flatten", "Unflatten", "Embedding", "Conv1d", "Conv2d",
           "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "ReLU", "LeakyReLU",
           "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Sequential",
           "ModuleList", "ModuleDict", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
           "MultiheadAttention", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss"]
