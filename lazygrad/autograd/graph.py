"""torch.autograd.graph: register_multi_grad_hook (frontend/grad_hooks.py).

torch's saved-tensor hooks (saved_tensors_hooks, save_on_cpu) are not here: lazygrad's ops
keep graph nodes, not tensors, for their backward, so there is nothing a pack hook could be
given; a program that relies on them fails at import rather than computing without them."""
from __future__ import annotations

from lazygrad.frontend.grad_hooks import register_multi_grad_hook

__all__ = ["register_multi_grad_hook"]
