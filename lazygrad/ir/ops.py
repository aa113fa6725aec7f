"""The closed set of primitive ops every layer below the front end sees.

Graph IR uses all but LOAD/STORE; Kernel IR replaces buffers and movement ops with
LOAD/STORE leaves that carry views. Composite ops (matmul, softmax, ...) never appear here.
"""
from __future__ import annotations

from enum import Enum


class Op(Enum):
    # sources
    CONST = "const"
    BUFFER = "buffer"
    IOTA = "iota"  # 0..n-1: the one source of position (arange, counter-based random)
    # unary
    NEG = "neg"
    EXP2 = "exp2"
    LOG2 = "log2"
    SIN = "sin"
    SQRT = "sqrt"
    RECIP = "recip"
    CAST = "cast"
    BITCAST = "bitcast"
    # binary
    ADD = "add"
    MUL = "mul"
    DIV = "div"  # float a / b, correctly rounded (IDIV is the integer one)
    MAX = "max"
    MOD = "mod"
    IDIV = "idiv"
    CMPLT = "cmplt"
    CMPNE = "cmpne"
    AND = "and"
    OR = "or"
    XOR = "xor"
    SHL = "shl"
    SHR = "shr"
    # ternary
    WHERE = "where"
    # reduce
    SUM = "sum"
    REDUCE_MAX = "reduce_max"
    # movement (views)
    RESHAPE = "reshape"
    PERMUTE = "permute"
    EXPAND = "expand"
    PAD = "pad"
    SHRINK = "shrink"
    FLIP = "flip"
    # memory
    COPY = "copy"
    ASSIGN = "assign"
    CONTIGUOUS = "contiguous"  # asks for a realized buffer
    DETACH = "detach"  # identity for values; stops gradients
    HOST = "host"  # a value the host makes between kernels (a collective): arg is an ir.host_step.HostStep
    # kernel level
    LOAD = "load"  # read a kernel parameter through a view
    STORE = "store"  # write a kernel's result through a view
    INDEX = "index"  # kernel-level iota: the memory index a view gives
    VALID = "valid"  # kernel-level pad mask: whether a view's index is in bounds
    VAR = "var"  # Loop IR: a named scalar (loop variable, SSA value, accumulator)

    def __repr__(self) -> str:
        return f"Op.{self.name}"

    # members are singletons: identity hashing in C, not Enum's Python-level hash of the name
    __hash__ = object.__hash__


UNARY = frozenset({Op.NEG, Op.EXP2, Op.LOG2, Op.SIN, Op.SQRT, Op.RECIP, Op.CAST, Op.BITCAST})
BINARY = frozenset({Op.ADD, Op.MUL, Op.DIV, Op.MAX, Op.MOD, Op.IDIV, Op.CMPLT, Op.CMPNE, Op.AND, Op.OR,
                    Op.XOR, Op.SHL, Op.SHR})
TERNARY = frozenset({Op.WHERE})
ALU = UNARY | BINARY | TERNARY
REDUCE = frozenset({Op.SUM, Op.REDUCE_MAX})
MOVEMENT = frozenset({Op.RESHAPE, Op.PERMUTE, Op.EXPAND, Op.PAD, Op.SHRINK, Op.FLIP})
SOURCES = frozenset({Op.CONST, Op.BUFFER, Op.IOTA})
COMPARISONS = frozenset({Op.CMPLT, Op.CMPNE})
# ops with f(0, ..., 0) == 0: a zero padding may be pushed through them
ZERO_PRESERVING = frozenset({Op.NEG, Op.SIN, Op.SQRT, Op.CAST, Op.BITCAST, Op.ADD, Op.MUL,
                             Op.MAX, Op.CMPLT, Op.CMPNE, Op.AND, Op.OR, Op.XOR, Op.SHL, Op.SHR,
                             Op.WHERE})
# the reduce op's identity element and the binary op that combines partial results
REDUCE_BINARY = {Op.SUM: Op.ADD, Op.REDUCE_MAX: Op.MAX}

BY_NAME: dict[str, Op] = {op.value: op for op in Op}
