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
from lazygrad.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

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
