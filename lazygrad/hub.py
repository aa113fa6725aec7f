"""torch.hub: local hubconf.py folders and already-downloaded checkpoints (frontend/hub.py)."""
from lazygrad.frontend.hub import (
    NoDownloadError,
    download_url_to_file,
    get_dir,
    help,
    list,
    load,
    load_state_dict_from_url,
    set_dir,
)

__all__ = ["NoDownloadError", "download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]
