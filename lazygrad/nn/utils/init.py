"""nn.utils.skip_init: a module whose parameters are left uninitialized. torch builds it on the
meta device and allocates it empty; here it is built as usual (uninitialized values are any
values), after torch's check that the class takes a device argument."""
from __future__ import annotations

import inspect


def skip_init(module_cls, *args, **kwargs):
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
