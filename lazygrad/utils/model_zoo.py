"""torch.utils.model_zoo: its load_url is torch.hub.load_state_dict_from_url."""
from lazygrad.frontend.hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
