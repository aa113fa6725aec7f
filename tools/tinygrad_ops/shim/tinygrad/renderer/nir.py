from tinygrad.renderer import Renderer


class NIRRenderer(Renderer):
    pass
