"""Ops that take one dtype only: matmul and its forms, linear, convolution and the norms.

Elementwise ops promote (float32 + float64 is float64), but torch's matrix products and
convolutions run one kernel of one dtype and raise when their operands differ, the usual
sign of a float32 model fed float64 data (a numpy array). lazygrad's broadcast-multiply
products could promote; they raise instead, with the error torch's kernel raises for that
form, so a program that works here works in torch. Each message is torch 2.13's, which names
the dtypes three ways: by ScalarType ("Double"), by C++ type ("double") and its own spelling.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.errors import DTypeError

# the C++ element type torch's kernels print ("expected m1 and m2 ... float != double")
C10_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
             "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
             "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
             "complex128": "c10::complex<double>"}
_SCALAR_NAMES = {**dtypes.TORCH_NAMES, "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def c10_name(d) -> str:
    return C10_NAMES.get(d.name, d.name)


def scalar_name(d) -> str:
    return _SCALAR_NAMES.get(d.name, d.name)


def check_matmul(a, b) -> None:
    """a @ b of two tensors: the message of the kernel torch's matmul picks for these ranks."""
    if a.dtype == b.dtype:
        return
    if a.ndim == 1 and b.ndim == 1:  # dot
        raise DTypeError(f"dot : expected both vectors to have same dtype, but found {scalar_name(a.dtype)} "
                         f"and {scalar_name(b.dtype)}")
    if b.ndim == 1:  # addmv (its result, made in b's dtype, is named first)
        raise DTypeError(f"addmv input tensors must have the same dtype, but got {scalar_name(b.dtype)}, "
                         f"{scalar_name(a.dtype)}, and {scalar_name(b.dtype)}")
    if b.ndim == 2:  # mm (a batched a is folded into rows)
        raise DTypeError(f"expected m1 and m2 to have the same dtype, but got: {c10_name(a.dtype)} != "
                         f"{c10_name(b.dtype)}")
    raise DTypeError(f"expected scalar type {scalar_name(a.dtype)} but found {scalar_name(b.dtype)}")  # bmm


def check_addmm(self, mat1, mat2) -> None:
    """addmm(self, mat1, mat2) checks the addend against mat2 first."""
    if self.dtype != mat2.dtype:
        raise DTypeError(f"self and mat2 must have the same dtype, but got {scalar_name(self.dtype)} and "
                         f"{scalar_name(mat2.dtype)}")
    if mat1.dtype != mat2.dtype:
        raise DTypeError(f"mat1 and mat2 must have the same dtype, but got {scalar_name(mat1.dtype)} and "
                         f"{scalar_name(mat2.dtype)}")


def check_linear(input, weight, bias) -> None:
    """F.linear: with a bias torch runs addmm(bias, input, weight.T)."""
    if bias is None:
        check_matmul(input, weight.T)
    else:
        check_addmm(bias, input, weight)


def check_tensordot(a, b) -> None:
    if a.dtype != b.dtype:
        raise DTypeError("both inputs should have same dtype")


def check_einsum_step(left, right) -> None:
    """A contracting step of einsum runs torch's bmm (a step that only multiplies promotes)."""
    if left != right:
        raise DTypeError(f"expected scalar type {scalar_name(left)} but found {scalar_name(right)}")


def check_conv(input, weight, bias) -> None:
    """A convolution: the bias against the input first, then the weight."""
    if bias is not None and bias.dtype != input.dtype:
        raise DTypeError(f"Input type ({c10_name(input.dtype)}) and bias type ({c10_name(bias.dtype)}) "
                         f"should be the same")
    check_conv_weight(input, weight)


def check_conv_weight(input, weight) -> None:
    if weight.dtype != input.dtype:
        raise DTypeError(f"expected scalar type {scalar_name(input.dtype)} but found "
                         f"{scalar_name(weight.dtype)}")


def transposed_conv_bias(input, bias):
    """A transposed convolution adds its bias into an output of the input's dtype (torch checks
    only that the promoted type can be cast back)."""
    if bias is None or bias.dtype == input.dtype:
        return bias
    promoted = dtypes.promote_types(input.dtype, bias.dtype)
    if not dtypes.can_cast(promoted, input.dtype):
        raise DTypeError(f"result type {scalar_name(promoted)} can't be cast to the desired output type "
                         f"{scalar_name(input.dtype)}")
    return bias.to(input.dtype)


def check_norm(input, *params) -> None:
    """layer_norm, batch_norm, group_norm on CPU: the parameters (weight, bias, running
    statistics) in the input's dtype, or float32 ones for a float16/bfloat16 input."""
    for p in params:
        if p is None or p.dtype == input.dtype or (dtypes.is_half(input.dtype) and p.dtype == dtypes.float32):
            continue
        if input.dtype == dtypes.float32:
            raise DTypeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise DTypeError("mixed dtype (CPU): all inputs must share same datatype.")


def check_bilinear(input1, input2, weight, bias) -> None:
    named = [("input1", input1), ("input2", input2), ("weight", weight)]
    named += [("bias", bias)] if bias is not None else []
    if any(t.dtype != input1.dtype for _, t in named):
        listed = ", ".join(f"{name}: {c10_name(t.dtype)}" for name, t in named)
        raise DTypeError(f"All tensors must have the same dtype, got {listed}")
