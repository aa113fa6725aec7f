"""torch.serialization: save and load, and the allow-list of globals a weights-only load trusts
(add_safe_globals, safe_globals, get_safe_globals, clear_safe_globals); programs reach it as
`torch.serialization.safe_globals([...])` around a `torch.load` of a whole model."""
from lazygrad.frontend.safe_globals import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)
from lazygrad.frontend.serialization import load, save

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "safe_globals", "save"]
