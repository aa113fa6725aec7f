import lazygrad as lg
from tinygrad.renderer import Renderer


class _Compiled:
    renderer = Renderer()


class _Device:
    DEFAULT = lg.Device.DEFAULT.upper()

    def __getitem__(self, name):
        return _Compiled()


Device = _Device()
