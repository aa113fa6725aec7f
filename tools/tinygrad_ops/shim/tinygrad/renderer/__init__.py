class Renderer:
    def supported_dtypes(self):
        from tinygrad.dtype import dtypes

        return list(dtypes.all)
