"""`lg.backends`: torch.backends' flags and questions, for programs that set or ask them.

lazygrad runs neither cuDNN nor MPS: `is_available()` is False, and the flags (`cudnn.benchmark`,
`cudnn.deterministic`, `cuda.matmul.allow_tf32`, ...) are plain attributes a program may set
and read back, with torch's defaults; they change nothing here (lazygrad's float32 matmul
never rounds to TF32, and its kernels are deterministic: see `lg.use_deterministic_algorithms`).
"""
from __future__ import annotations


class _Cudnn:
    enabled = True
    benchmark = False
    deterministic = False
    allow_tf32 = True

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def version() -> None:
        return None


class _Mps:
    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


def _sdp_switch(name: str):
    """torch.backends.cuda's enable_<name>_sdp(enabled) and <name>_sdp_enabled() for one kernel."""
    def enable(self, enabled: bool) -> None:
        self._sdp[name] = bool(enabled)

    def enabled(self) -> bool:
        return self._sdp[name]
    return enable, enabled


class _Cuda:
    def __init__(self) -> None:
        self.matmul = _Matmul()
        # scaled_dot_product_attention's kernels a program allows (torch.nn.attention.sdpa_kernel
        # sets them): lazygrad has one implementation, which runs while math or flash is allowed
        self._sdp = {"math": True, "flash": True, "mem_efficient": True, "cudnn": True}

    enable_math_sdp, math_sdp_enabled = _sdp_switch("math")
    enable_flash_sdp, flash_sdp_enabled = _sdp_switch("flash")
    enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _sdp_switch("mem_efficient")
    enable_cudnn_sdp, cudnn_sdp_enabled = _sdp_switch("cudnn")

    @staticmethod
    def is_built() -> bool:
        return False


cudnn = _Cudnn()
mps = _Mps()
cuda = _Cuda()
