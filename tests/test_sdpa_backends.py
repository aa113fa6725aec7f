"""torch.nn.attention's backend choice, as programs set it around their attention calls:
sdpa_kernel(SDPBackend...) with one backend or a list, torch.backends.cuda's *_sdp_enabled()
inside and after the block, the refusal where only the GPU kernels are allowed, the bad-argument
error; compared with torch's CPU build on every device. Before, `from torch.nn.attention import
SDPBackend` failed: lazygrad.nn.attention held only the implementation."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
attention = pytest.importorskip("torch.nn.attention")
CHOICES = [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"], ["CUDNN_ATTENTION"], ["EFFICIENT_ATTENTION", "MATH"]]


def _run(lib, module, names, device):
    kw = {"device": device} if lib is lg else {}
    q = lib.arange(24.0, **kw).reshape(1, 2, 3, 4) / 10
    chosen = [getattr(module.SDPBackend, n) for n in names]
    cuda = lib.backends.cuda
    with module.sdpa_kernel(chosen if len(chosen) > 1 else chosen[0]):
        flags = [cuda.math_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
                 cuda.cudnn_sdp_enabled()]
        try:
            out = lib.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True).detach().cpu().numpy()
        except RuntimeError as e:
            out = str(e)
    after = [cuda.math_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
             cuda.cudnn_sdp_enabled()]
    return flags, out, after


@pytest.mark.parametrize("names", CHOICES, ids="+".join)
def test_sdpa_kernel_allows_and_refuses_as_torchs_cpu_build(device, names):
    ours, theirs = _run(lg, lg.nn.attention, names, device), _run(torch, attention, names, device)
    assert ours[0] == theirs[0] and ours[2] == theirs[2] == [True] * 4
    if isinstance(theirs[1], str):
        assert ours[1] == theirs[1]
    else:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)


def test_sdpa_kernel_names_and_errors(device):
    for module in (lg.nn.attention, attention):
        assert [(n, b.value) for n, b in module.SDPBackend.__members__.items()] == [
            ("ERROR", -1), ("MATH", 0), ("FLASH_ATTENTION", 1), ("EFFICIENT_ATTENTION", 2), ("CUDNN_ATTENTION", 3),
            ("OVERRIDEABLE", 4)]
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"), module.sdpa_kernel("math"):
            pass
    assert repr(lg.nn.attention.SDPBackend.MATH) == repr(attention.SDPBackend.MATH)
    q = lg.ones(1, 2, 3, 4, device=device)
    lg.backends.cuda.enable_flash_sdp(False)
    lg.backends.cuda.enable_math_sdp(False)
    try:
        with pytest.raises(RuntimeError, match="No viable backend"):
            lg.nn.functional.scaled_dot_product_attention(q, q, q)
    finally:
        lg.backends.cuda.enable_flash_sdp(True)
        lg.backends.cuda.enable_math_sdp(True)
